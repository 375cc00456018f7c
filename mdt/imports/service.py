"""Caseload import: keep an uploaded file server-side, preview it, import it all or nothing.
Plain functions taking an actor; they add and flush, the view commits once."""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, insert, select

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.errors import Refused
from mdt.extensions import db
from mdt.imports import parse
from mdt.imports import plan as planner
from mdt.imports.models import ImportBatch, ImportMapping
from mdt.patients.models import Patient, PatientTeam
from mdt.patients.service import FIELDS, closed_message
from mdt.timeutil import london_today, utcnow

KEEP_FOR = timedelta(hours=2)  # an upload not imported by then is dropped
CHUNK = 900  # ids in one IN (...): under every database's limit on bound values


class ImportRefused(Refused):
    """Nothing was imported: the message says why."""


@dataclass
class Preview:
    batch: ImportBatch
    mapping: dict
    missing: list
    lines: list
    counts: dict
    fingerprint: str

    @property
    def can_import(self) -> bool:
        return not self.missing and not self.counts["error"] and bool(self.lines) and \
            (self.counts["new"] + self.counts["update"]) > 0


def team_mapping(team_id: int) -> dict:
    row = db.session.get(ImportMapping, team_id)
    return dict(row.columns) if row else {}


def start(actor: Actor, team_id: int, raw: bytes) -> ImportBatch:
    """Parse an uploaded file and keep its rows for the preview (ImportFileError if refused)."""
    if not actor.is_chair(team_id):
        raise ImportRefused("Choose a team you chair")
    csv_file = parse.read_csv(raw)
    if not csv_file.rows:
        raise parse.ImportFileError("The file has column headings but no patients")
    db.session.execute(delete(ImportBatch).where(ImportBatch.expires_at < utcnow()))
    batch = ImportBatch(token=secrets.token_urlsafe(24), team_id=team_id,
                        created_by_id=actor.user_id, expires_at=utcnow() + KEEP_FOR,
                        headers=csv_file.headers, rows=csv_file.rows,
                        row_count=len(csv_file.rows))
    db.session.add(batch)
    mapping = parse.guess_mapping(csv_file.headers, team_mapping(team_id))
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="create", record_type="patient_import", record_id=None,
                 changes={"lines": len(csv_file.rows), "encoding": csv_file.encoding,
                          "delimiter": csv_file.delimiter, "columns": len(csv_file.headers),
                          "mapped": sorted(mapping)})
    db.session.flush()
    return batch


def find_batch(actor: Actor, token: str) -> ImportBatch | None:
    """The actor's own upload, for a team they still chair, not yet imported or expired."""
    if not token or len(token) > 43:
        return None
    batch = db.session.scalar(select(ImportBatch).where(
        ImportBatch.token == token, ImportBatch.created_by_id == actor.user_id,
        ImportBatch.status == "previewed", ImportBatch.expires_at > utcnow()))
    if batch is None or not actor.is_chair(batch.team_id):
        return None
    return batch


def save_mapping(actor: Actor, batch: ImportBatch, chosen: dict) -> dict:
    """Remember the team's columns (only headers this file has; one field per column)."""
    mapping, used = {}, set()
    for field in parse.FIELDS:
        header = chosen.get(field) or ""
        if header in batch.headers and header not in used:
            mapping[field] = header
            used.add(header)
    row = db.session.get(ImportMapping, batch.team_id)
    if row is None:
        row = ImportMapping(team_id=batch.team_id, changed_by_id=actor.user_id)
        db.session.add(row)
    before = dict(row.columns or {})
    row.columns, row.changed_by_id, row.changed_at = mapping, actor.user_id, utcnow()
    audit.record(user_id=actor.user_id, role=actor.role(batch.team_id), team_id=batch.team_id,
                 action="change", record_type="import_mapping", record_id=batch.team_id,
                 changes=audit.diff(before, mapping))
    db.session.flush()
    return mapping


def _known(team_id: int, numbers: list[str]) -> dict[str, planner.Known]:
    rows = []
    for start_at in range(0, len(numbers), CHUNK):
        chunk = numbers[start_at:start_at + CHUNK]
        rows += db.session.execute(select(
            Patient.id, Patient.nhs_number, Patient.given_name, Patient.family_name,
            Patient.date_of_birth, Patient.title, Patient.address, Patient.postcode,
            Patient.gp_practice, Patient.usual_gp).where(Patient.nhs_number.in_(chunk))).all()
    ids = [r.id for r in rows]
    status = {}
    for start_at in range(0, len(ids), CHUNK):
        status.update(db.session.execute(select(PatientTeam.patient_id, PatientTeam.status)
                                         .where(PatientTeam.team_id == team_id,
                                                PatientTeam.patient_id.in_(
                                                    ids[start_at:start_at + CHUNK]))).all())
    known = {}
    for r in rows:
        on_team = r.id in status
        closed = closed_message(r.id, team_id) if on_team and status[r.id] != "on_caseload" \
            else None
        known[r.nhs_number] = planner.Known(
            id=r.id, nhs_number=r.nhs_number, given_name=r.given_name,
            family_name=r.family_name, date_of_birth=r.date_of_birth, on_team=on_team,
            closed=closed, demographics={f: getattr(r, f) or "" for f in planner.DEMOGRAPHICS})
    return known


def _team_people(team_id: int) -> dict[tuple, planner.Known]:
    rows = db.session.execute(select(Patient.id, Patient.nhs_number, Patient.given_name,
                                     Patient.family_name, Patient.date_of_birth)
                              .join(PatientTeam, PatientTeam.patient_id == Patient.id)
                              .where(PatientTeam.team_id == team_id))
    return {(r.given_name.lower(), r.family_name.lower(), r.date_of_birth): planner.Known(
        id=r.id, nhs_number=r.nhs_number, given_name=r.given_name, family_name=r.family_name,
        date_of_birth=r.date_of_birth, on_team=True) for r in rows}


def preview(batch: ImportBatch) -> Preview:
    mapping = parse.guess_mapping(batch.headers, team_mapping(batch.team_id))
    missing = parse.missing_fields(mapping)
    if missing:
        return Preview(batch, mapping, missing, [], planner.counts([]), "")
    numbers = set()
    for row in batch.rows:
        cell = parse.extract(batch.headers, row, {"n": mapping["nhs_number"]})["n"]
        numbers.add("".join(cell.replace("-", "").split()))
    lines = planner.plan(batch.headers, batch.rows, mapping,
                         _known(batch.team_id, sorted(numbers)), _team_people(batch.team_id),
                         london_today())
    return Preview(batch, mapping, missing, lines, planner.counts(lines),
                   planner.fingerprint(lines))


def run_import(actor: Actor, batch: ImportBatch, seen_fingerprint: str) -> dict:
    """All or nothing: every new patient added to the team, every changed demographic
    updated (matched on NHS number), each audited; clinical data untouched. ImportRefused
    when any line has an error or the plan differs from the preview the user accepted."""
    team_id = batch.team_id
    result = preview(batch)
    if result.missing:
        raise ImportRefused("Choose the columns for: " + ", ".join(result.missing))
    if result.counts["error"]:
        errors = result.counts["error"]
        raise ImportRefused(f"{errors} line{'s have' if errors > 1 else ' has'} errors: "
                            "correct them in the file and upload it again. Nothing has been "
                            "imported")
    if result.fingerprint != seen_fingerprint:
        raise ImportRefused("The patient records changed since your preview (someone added or "
                            "changed a patient). Check the preview again, then import")
    role = actor.role(team_id)
    new_lines = [line for line in result.lines if line.status == "new"]
    added = []
    if new_lines:
        # One multi-row INSERT ... RETURNING (no ORM objects: 5,000 rows in well under a
        # second), then the team rows and an audit row for each patient.
        rows = [{"nhs_number": line.data["nhs_number"],
                 "date_of_birth": line.data["date_of_birth"],
                 **{f: line.data[f] for f in planner.DEMOGRAPHICS}} for line in new_lines]
        ids = db.session.execute(insert(Patient).returning(
            Patient.id, sort_by_parameter_order=True), rows).scalars().all()
        db.session.execute(insert(PatientTeam), [{"patient_id": i, "team_id": team_id}
                                                 for i in ids])
        audit.record_changes(
            user_id=actor.user_id, role=role, team_id=team_id, record_type="patient",
            events=[("create", patient_id, {**audit.diff({}, {f: row.get(f, "")
                                                            for f in FIELDS}),
                                             "source": "import"})
                    for patient_id, row in zip(ids, rows, strict=True)])
        added = ids
    updates = {line.patient_id: line for line in result.lines if line.status == "update"}
    ids = sorted(updates)
    now = utcnow()
    changed = []
    for start_at in range(0, len(ids), CHUNK):
        for patient in db.session.scalars(select(Patient).where(
                Patient.id.in_(ids[start_at:start_at + CHUNK]))):
            line = updates[patient.id]
            for field, (_old, new) in line.changes.items():
                setattr(patient, field, new)
            patient.updated_at = now
            changed.append(("change", patient.id,
                            {**{f: list(v) for f, v in line.changes.items()},
                             "source": "import"}))
    audit.record_changes(user_id=actor.user_id, role=role, team_id=team_id,
                         record_type="patient", events=changed)
    summary = {"added": len(added), "updated": len(ids),
               "unchanged": result.counts["unchanged"], "skipped": result.counts["skip"]}
    audit.record(user_id=actor.user_id, role=role, team_id=team_id, action="change",
                 record_type="patient_import", record_id=batch.id, changes=summary)
    batch.status, batch.imported_at, batch.rows = "imported", now, []
    db.session.flush()
    return summary
