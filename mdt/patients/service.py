"""Patients: create, change, find, always within the caller's teams, always audited."""

from datetime import date

from sqlalchemy import case, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.errors import Refused
from mdt.extensions import db
from mdt.patients import nhs_number
from mdt.patients.listing import search_hmac
from mdt.patients.models import Patient, PatientTeam
from mdt.timeutil import london_today, utcnow

FIELDS = ("nhs_number", "given_name", "family_name", "date_of_birth", "address", "postcode",
          "gp_practice", "phone")
DUPLICATE = ("This NHS number is already registered. If the patient should be on your team's "
             "list, ask a system administrator to add them.")
CONFLICT = ("Someone else saved changes to this record while you were editing it. Your changes "
            "are below and not yet saved: check the patient page, then save again.")


class PatientError(Refused):
    """Refused input: {field: message} for the form, nothing saved."""


def validate(data: dict) -> dict:
    """Normalised patient fields or PatientError; the rules forms cannot express."""
    errors = {}
    clean = dict(data)
    try:
        clean["nhs_number"] = nhs_number.normalise(data.get("nhs_number"))
    except nhs_number.InvalidNhsNumber as exc:
        errors["nhs_number"] = str(exc)
    dob = data.get("date_of_birth")
    if isinstance(dob, date):
        if dob > london_today():
            errors["date_of_birth"] = "Date of birth must be today or in the past"
        elif dob.year < 1880:
            errors["date_of_birth"] = "Date of birth must be after 1880"
    clean["postcode"] = " ".join((data.get("postcode") or "").upper().split())
    if errors:
        raise PatientError(errors)
    return clean


def _snapshot(patient: Patient) -> dict:
    return {f: getattr(patient, f) for f in FIELDS}


def duplicate_message(actor: Actor, number: str, except_id: int | None = None) -> str | None:
    """None if the number is free. Names the other patient when the actor may see them;
    says nothing about patients of other teams."""
    stmt = select(Patient.id).where(Patient.nhs_number == number)
    if except_id:
        stmt = stmt.where(Patient.id != except_id)
    other_id = db.session.scalar(stmt)
    if other_id is None:
        return None
    visible = get_patient(actor, other_id)
    if visible is not None:
        return (f"This NHS number is already recorded for {visible.full_name} (born "
                f"{visible.date_of_birth.day} {visible.date_of_birth:%b %Y}) on your team's "
                "list: check the number, or open that patient's record")
    return DUPLICATE


def refuse(actor: Actor, team_id, action: str, errors: dict, record_id=None) -> None:
    audit.refused(actor, team_id, action=action, record_type="patient", record_id=record_id,
                  errors=errors)


def create_patient(actor: Actor, team_id: int, data: dict) -> Patient:
    if team_id not in actor.team_ids:
        raise PatientError({"team_id": "Choose one of your teams"})
    try:
        clean = validate(data)
        duplicate = duplicate_message(actor, clean["nhs_number"])
        if duplicate:
            raise PatientError({"nhs_number": duplicate})
    except PatientError as exc:
        refuse(actor, team_id, "create", exc.errors)
        raise
    patient = Patient(**{f: clean.get(f) or "" for f in FIELDS if f != "date_of_birth"},
                      date_of_birth=clean["date_of_birth"])
    try:
        with db.session.begin_nested():  # a refused insert leaves the caller's work as it was
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team_id))
            audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                         action="create", record_type="patient", record_id=patient.id,
                         changes=audit.diff({}, _snapshot(patient)))
    except IntegrityError:  # a double submit or a colleague a moment earlier
        refuse(actor, team_id, "create", {"nhs_number": DUPLICATE})
        raise PatientError({"nhs_number": DUPLICATE}) from None
    return patient


def update_patient(actor: Actor, patient: Patient, data: dict, seen_version: int) -> Patient:
    team_id = primary_team_id(actor, patient.id)
    try:
        if seen_version != patient.version:
            raise PatientError({"form": CONFLICT})
        clean = validate(data)
        duplicate = duplicate_message(actor, clean["nhs_number"], except_id=patient.id)
        if duplicate:
            raise PatientError({"nhs_number": duplicate})
    except PatientError as exc:
        refuse(actor, team_id, "change", exc.errors, patient.id)
        raise
    before = _snapshot(patient)
    try:
        with db.session.begin_nested():  # a collision undoes this change only
            for field in FIELDS:
                value = clean.get(field)
                setattr(patient, field, value if field == "date_of_birth" else (value or ""))
            changes = audit.diff(before, _snapshot(patient))
            if not changes:
                db.session.expire(patient)  # nothing to save: the row stays as it was
                return patient
            patient.updated_at = utcnow()
            audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                         action="change", record_type="patient", record_id=patient.id,
                         changes=changes)
    except StaleDataError:  # another save landed between our read and our write
        refuse(actor, team_id, "change", {"form": CONFLICT}, patient.id)
        raise PatientError({"form": CONFLICT}) from None
    except IntegrityError:
        refuse(actor, team_id, "change", {"nhs_number": DUPLICATE}, patient.id)
        raise PatientError({"nhs_number": DUPLICATE}) from None
    return patient


def _in_teams(team_ids):
    return Patient.id.in_(select(PatientTeam.patient_id).where(PatientTeam.team_id.in_(team_ids)))


def get_patient(actor: Actor, patient_id: int) -> Patient | None:
    """The patient if on one of the actor's teams, else None (the view answers 404)."""
    return db.session.scalar(select(Patient).where(Patient.id == patient_id,
                                                   _in_teams(actor.team_ids)))


def primary_team_id(actor: Actor, patient_id: int) -> int | None:
    """The first of the actor's teams the patient is on: the team an audit row belongs to."""
    # A team that still has them on its caseload comes first (after a move, the new one).
    return db.session.scalar(select(PatientTeam.team_id).where(
        PatientTeam.patient_id == patient_id, PatientTeam.team_id.in_(actor.team_ids))
        .order_by(case((PatientTeam.status == "on_caseload", 0), else_=1), PatientTeam.team_id)
        .limit(1))


def view_patient(actor: Actor, patient_id: int) -> Patient | None:
    """The patient, with the view audited; None when not on the actor's teams."""
    patient = get_patient(actor, patient_id)
    if patient is None:
        return None
    record_view(actor, patient)
    return patient


def record_view(actor: Actor, patient: Patient, team_id: int | None = None) -> None:
    """Audit a view of the patient's record (the patient already loaded, in scope), under
    its primary team (`team_id` when the caller knows it already)."""
    team_id = team_id or primary_team_id(actor, patient.id)
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="view", record_type="patient", record_id=patient.id)


def record_list_view(actor: Actor, filters, rows) -> None:
    """The patient list, audited as one view (it shows PID) with its filters and page;
    search words only as a keyed hash, since they may be a name (issue 19). The caller
    commits."""
    changes = {"shown": len(rows), "matched": rows.total, **filters.as_args()}
    if rows.page > 1:
        changes["page"] = rows.page
    if filters.query:
        changes["search_hmac"] = search_hmac(filters.query)
    audit.record(user_id=actor.user_id, role="", team_id=actor.team_ids[0] if actor.team_ids
                 else None, action="view", record_type="patient_list", changes=changes)


def record_search(actor: Actor, team_id: int, found, *, record_type: str = "patient_search",
                  record_id: int | None = None) -> None:
    """A picker's search (the add-case search of a meeting), audited as what it is: a view
    of the patients it found (the rows loaded, added by audit.record), how many it showed
    and matched, the search words only as a keyed hash. Not a patient-list view. The caller
    commits."""
    changes = {"shown": len(found.patients), "matched": found.total}
    if found.query:
        changes["search_hmac"] = search_hmac(found.query)
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="view", record_type=record_type, record_id=record_id, changes=changes)


def closed_message(patient_id: int, team_id: int) -> str | None:
    """Why nothing new can be planned for this patient on this team (died, discharged,
    moved to another team), or None while they are on the caseload."""
    from mdt.patients.lifecycle import Status, label

    row = db.session.execute(select(PatientTeam.status, PatientTeam.status_changed_on).where(
        PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)).first()
    if row is None or row.status == Status.ON_CASELOAD:
        return None
    when = f" on {row.status_changed_on.day} {row.status_changed_on:%b %Y}" \
        if row.status_changed_on else ""
    return (f"This patient is no longer on the team's caseload ({label(row.status).lower()}"
            f"{when}): nothing new can be planned for them")
