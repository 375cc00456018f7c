"""Saving the shared key information, one section at a time, never overwriting a colleague."""

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients import key_info
from mdt.patients.models import KeyInfoSection, Patient
from mdt.patients.service import primary_team_id
from mdt.timeutil import format_uk, london_today, utcnow


@dataclass
class SectionConflict(Exception):
    """Someone saved this section since the user opened it: what it holds now."""
    changed_by: str
    changed_at: str
    current: dict  # item label -> current value, for the items whose value differs

    def message(self) -> str:
        return (f"{self.changed_by} saved this section at {self.changed_at} while you were "
                "editing it. Your changes are below and not yet saved: check theirs, then "
                "save again.")


def load_sections(patient_id: int) -> dict[str, tuple[KeyInfoSection, str]]:
    """{section name: (row, name of who last changed it)} in one query."""
    rows = db.session.execute(
        select(KeyInfoSection, User.name).join(User, User.id == KeyInfoSection.changed_by_id)
        .where(KeyInfoSection.patient_id == patient_id))
    return {row.section: (row, name) for row, name in rows}


# The card shown on each case in the meeting: what matters most in the room.
CARD = (("resuscitation", "resuscitation_status", "DNACPR / ReSPECT"),
        ("wishes", "preferred_place_of_care", "Preferred place of care"),
        ("wishes", "preferred_place_of_death", "Preferred place of death"),
        ("people", "carer_name", "Main carer"),
        ("people", "lpa_health_welfare", "Lasting power of attorney"))


def key_card(patient_id: int) -> list[dict]:
    """[{label, value, confirmed_on, by}] for the key information card (one query). A value
    never recorded says so: in the room, "not recorded" is itself worth knowing."""
    return card_items(load_sections(patient_id))


def key_cards(patient_ids) -> dict[int, list[dict]]:
    """The card for many patients (a case list) in one query."""
    sections: dict[int, dict] = {pid: {} for pid in patient_ids}
    if patient_ids:
        for row, name in db.session.execute(
                select(KeyInfoSection, User.name)
                .join(User, User.id == KeyInfoSection.changed_by_id)
                .where(KeyInfoSection.patient_id.in_(list(patient_ids)),
                       KeyInfoSection.section.in_({part for part, _, _ in CARD}))):
            sections[row.patient_id][row.section] = (row, name)
    return {pid: card_items(found) for pid, found in sections.items()}


def card_items(sections: dict) -> list[dict]:
    items = []
    for section_name, item_name, label in CARD:
        row, who = sections.get(section_name, (None, ""))
        data = row.data if row is not None else {}
        item = next(i for i in key_info.BY_NAME[section_name].items if i.name == item_name)
        value = item.display(data.get(item_name))
        if item_name == "resuscitation_status" and data.get("resuscitation_date"):
            value += f" ({key_info.BY_NAME['resuscitation'].items[1].display(data['resuscitation_date'])})"
        elif item_name == "carer_name" and value:
            value = ", ".join(filter(None, (value, data.get("carer_relationship"),
                                            data.get("carer_phone"))))
        elif item_name == "lpa_health_welfare" and data.get("lpa_name"):
            value = f"{value}: {data['lpa_name']}"
        items.append({"label": label, "value": value or "Not recorded",
                      "recorded": bool(value), "section": section_name,
                      "confirmed_on": row.changed_at if row is not None and value else None,
                      "by": who if value else ""})
    return items


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
    if row is None:
        row = KeyInfoSection(patient_id=patient.id, section=name)
        db.session.add(row)
    row.data = clean
    row.changed_at = utcnow()
    row.changed_by_id = actor.user_id
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="change", record_type="key_information", record_id=patient.id,
                 changes={"section": name, **changes})
    try:
        db.session.commit()
    except (StaleDataError, IntegrityError):  # a colleague's save landed in between
        db.session.rollback()
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
