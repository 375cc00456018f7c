"""Saving the shared key information, one section at a time, never overwriting a colleague."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import Conflict
from mdt.extensions import db
from mdt.patients import key_info
from mdt.patients.models import KeyInfoSection, Patient
from mdt.patients.service import primary_team_id
from mdt.timeutil import format_uk, london_today, utcnow


@dataclass
class SectionConflict(Conflict):
    """Someone saved this section since the user opened it: what it holds now."""
    changed_by: str
    changed_at: str
    current: dict  # item label -> current value, for the items whose value differs

    def message(self) -> str:
        return (f"{self.changed_by} saved this section at {self.changed_at} while you were "
                "editing it. Your changes are below and not yet saved: check theirs, then "
                "save again.")


def save_section(actor: Actor, patient: Patient, name: str, values: dict,
                 seen_version: int) -> KeyInfoSection | None:
    """Validate and save one section. Raises KeyInfoError (bad input) or SectionConflict."""
    section = key_info.BY_NAME[name]
    team_id = primary_team_id(actor, patient.id)
    try:
        clean = key_info.validate(section, values, date_of_birth=patient.date_of_birth,
                                  today=london_today())
    except key_info.KeyInfoError as exc:
        _refuse(actor, team_id, patient.id, name, sorted(exc.errors))
        raise
    row = db.session.scalar(select(KeyInfoSection).where(
        KeyInfoSection.patient_id == patient.id, KeyInfoSection.section == name))
    if (row.version if row else 0) != seen_version:
        raise _conflict(actor, team_id, patient.id, section, row, clean)
    before = row.data if row else {}
    changes = audit.diff({i.name: before.get(i.name) for i in section.items},
                         {i.name: clean.get(i.name) for i in section.items})
    if not changes:
        return row
    try:
        with db.session.begin_nested():  # a collision undoes this save only
            if row is None:
                row = KeyInfoSection(patient_id=patient.id, section=name)
                db.session.add(row)
            row.data = clean
            row.changed_at = utcnow()
            row.changed_by_id = actor.user_id
            audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                         action="change", record_type="key_information", record_id=patient.id,
                         changes={"section": name, **changes})
    except (StaleDataError, IntegrityError):  # a colleague's save landed in between
        current = db.session.scalar(select(KeyInfoSection).where(
            KeyInfoSection.patient_id == patient.id, KeyInfoSection.section == name))
        raise _conflict(actor, team_id, patient.id, section, current, clean) from None
    return row


def _conflict(actor, team_id, patient_id, section, row, mine) -> SectionConflict:
    _refuse(actor, team_id, patient_id, section.name, ["conflict"])
    theirs = row.data if row else {}
    differing = {item.label: item.display(theirs.get(item.name)) or "(blank)"
                 for item in section.items
                 if (theirs.get(item.name) or "") != (mine.get(item.name) or "")}
    who = db.session.scalar(select(User.name).where(User.id == row.changed_by_id)) if row else ""
    return SectionConflict(changed_by=who or "A colleague",
                           changed_at=format_uk(row.changed_at) if row else "", current=differing)


def _refuse(actor, team_id, patient_id, name, errors):
    audit.refused(actor, team_id, action="change", record_type="key_information",
                  record_id=patient_id, errors=errors, section=name)
