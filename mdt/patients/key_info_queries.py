"""Reading the shared key information: each section with who last changed it, and the card
shown on each case in the meeting. Writes nothing (saving is key_info_service)."""

from sqlalchemy import select

from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients import key_info
from mdt.patients.models import KeyInfoSection


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
    nothing = card_items({}) if patient_ids else []  # one card for all with none recorded
    return {pid: card_items(found) if found else nothing for pid, found in sections.items()}


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
