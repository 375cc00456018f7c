"""The shared key information ("red book"): its sections and their rules, as plain data.

Field names follow the national end-of-life record standard (EPaCCS, SCCI1580) where it
has one, so the record can be shared with an EPaCCS system later."""

from dataclasses import dataclass, field
from datetime import date

from mdt.errors import Refused

PLACES = (
    ("home", "Home"), ("care_home", "Care home"), ("hospice", "Hospice"),
    ("hospital", "Hospital"), ("other", "Other"), ("not_discussed", "Not yet discussed"),
)
RESUSCITATION = (
    ("dnacpr", "DNACPR decision in place"), ("respect", "ReSPECT form completed"),
    ("for_cpr", "For attempted CPR"), ("not_discussed", "Not yet discussed"),
)
CONSENT = (("given", "Consent given"), ("declined", "Consent declined"))
YES_NO = (("yes", "Yes"), ("no", "No"))


@dataclass(frozen=True)
class Item:
    name: str
    label: str
    kind: str = "text"  # text, long, choice, date
    limit: int = 200
    choices: tuple = ()
    hint: str = ""

    def display(self, value) -> str:
        if value in (None, ""):
            return ""
        if self.kind == "choice":
            return dict(self.choices).get(value, value)
        if self.kind == "date":
            day = date.fromisoformat(value)
            return f"{day.day} {day:%b %Y}"
        return str(value)


@dataclass(frozen=True)
class Section:
    name: str
    title: str
    items: tuple
    rules: tuple = field(default=())  # functions (data, context) -> {item: message}


def _dnacpr_date_needs_status(data, context):
    if data.get("resuscitation_date") and data.get("resuscitation_status") in (None, "",
                                                                               "not_discussed"):
        return {"resuscitation_status": "Select the DNACPR / ReSPECT status this date is for"}
    return {}


def _death_after_birth(data, context):
    died = data.get("date_of_death")
    if died and died < context["date_of_birth"]:
        return {"date_of_death": "Date of death must be after the date of birth"}
    return {}


def _consent_needs_a_decision(data, context):
    if data.get("consent_date") and not data.get("consent"):
        return {"consent": "Select whether consent was given or declined"}
    return {}


SECTIONS = (
    Section("what_matters", "What matters to the person", (
        Item("what_matters", "What matters to them", "long", 2000,
             hint="In their own words where possible"),
    )),
    Section("wishes", "Preferred place of care and of death", (
        Item("preferred_place_of_care", "Preferred place of care", "choice", choices=PLACES),
        Item("preferred_place_of_death", "Preferred place of death", "choice", choices=PLACES),
        Item("wishes_notes", "Other wishes", "long", 1000),
    )),
    Section("resuscitation", "DNACPR / ReSPECT", (
        Item("resuscitation_status", "Status", "choice", choices=RESUSCITATION),
        Item("resuscitation_date", "Date of the decision", "date"),
        Item("resuscitation_location", "Where the form is kept", "text", 200),
    ), rules=(_dnacpr_date_needs_status,)),
    Section("people", "Main carer, next of kin and lasting power of attorney", (
        Item("carer_name", "Main carer", "text", 120),
        Item("carer_relationship", "Main carer's relationship", "text", 60),
        Item("carer_phone", "Main carer's phone", "text", 40),
        Item("next_of_kin_name", "Next of kin", "text", 120),
        Item("next_of_kin_relationship", "Next of kin's relationship", "text", 60),
        Item("next_of_kin_phone", "Next of kin's phone", "text", 40),
        Item("lpa_health_welfare", "Lasting power of attorney (health and welfare)", "choice",
             choices=YES_NO),
        Item("lpa_name", "Attorney's name and contact details", "text", 200),
    )),
    Section("communication", "Communication needs", (
        Item("communication_needs", "Communication needs", "long", 1000,
             hint="For example interpreter, hearing, sight, learning disability, cognition"),
    )),
    Section("medicines", "Allergies and key medicines", (
        Item("allergies", "Allergies", "long", 1000),
        Item("key_medicines", "Key medicines", "long", 2000,
             hint="Including anticipatory (just in case) medicines at home"),
    )),
    Section("professionals", "Other professionals involved", (
        Item("other_professionals", "Other professionals involved", "long", 2000,
             hint="Name, role, organisation and how to reach them, one per line"),
    )),
    Section("consent", "Consent to share", (
        Item("consent", "Consent to share this record", "choice", choices=CONSENT),
        Item("consent_date", "Date", "date"),
    ), rules=(_consent_needs_a_decision,)),
    Section("death", "Death", (
        Item("date_of_death", "Date of death", "date"),
        Item("actual_place_of_death", "Actual place of death", "choice", choices=PLACES[:5]),
    ), rules=(_death_after_birth,)),
)
BY_NAME = {section.name: section for section in SECTIONS}


class KeyInfoError(Refused, ValueError):
    """A key information section refused: {field: message}."""


def validate(section: Section, values: dict, *, date_of_birth: date, today: date) -> dict:
    """Stored form of a section (dates as ISO strings, blanks dropped) or KeyInfoError."""
    errors, clean = {}, {}
    for item in section.items:
        value = values.get(item.name)
        if value in (None, ""):
            continue
        if item.kind == "choice" and value not in dict(item.choices):
            errors[item.name] = f"Select a valid option for {item.label.lower()}"
        elif item.kind == "date" and value > today:
            errors[item.name] = f"{item.label} must be today or in the past"
        elif item.kind in ("text", "long") and len(value) > item.limit:
            errors[item.name] = f"{item.label} must be {item.limit} characters or fewer"
        clean[item.name] = value
    context = {"date_of_birth": date_of_birth, "today": today}
    for rule in section.rules:
        for name, message in rule(clean, context).items():
            errors.setdefault(name, message)
    if errors:
        raise KeyInfoError(errors)
    return {name: value.isoformat() if isinstance(value, date) else value
            for name, value in clean.items()}


def as_form_values(section: Section, data: dict) -> dict:
    """Stored values back into form values (dates as date objects)."""
    out = {}
    for item in section.items:
        value = data.get(item.name)
        out[item.name] = date.fromisoformat(value) if item.kind == "date" and value else value
    return out
