"""The care and support plan in plain English, for the patient and their carer: a pure
function of plain data (no Flask, no database), and its reading age.

Reading age: the Flesch-Kincaid grade (textstat), read as years of schooling; the target is
9 or under. The plan's own words are short sentences; what staff typed (concerns, actions)
is quoted as written, so a long description can push the grade up: the page says so."""

from dataclasses import dataclass, field
from datetime import date

TARGET_GRADE = 9.0
OUT_OF_HOURS = [
    "If you need help in the evening, at night or at the weekend, call NHS 111.",
    "Tell them you have a care plan from your community team.",
    "If it is an emergency, call 999.",
]


@dataclass(frozen=True)
class Agreed:
    who: str
    what: str
    by: date


@dataclass(frozen=True)
class Visiting:
    day: date
    who: str
    role: str
    when: str  # morning, afternoon ...


@dataclass
class PlanInputs:
    first_name: str
    full_name: str
    nhs_number: str
    team_name: str
    what_matters: str = ""
    preferred_place: str = ""  # a label, e.g. "Home"
    carer_name: str = ""
    concerns: list[str] = field(default_factory=list)
    agreed: list[Agreed] = field(default_factory=list)
    key_worker_name: str = ""
    key_worker_role: str = ""
    key_worker_phone: str = ""
    visits: list[Visiting] = field(default_factory=list)


def _day(value: date) -> str:
    return f"{value:%A} {value.day} {value:%B}"


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text if not text or text[-1] in ".!?" else text + "."


def build(inputs: PlanInputs) -> dict:
    """{"title", "for", "sections": [{"heading", "lines": [...], "items": [...]}]}, where
    every line and item is a sentence: the same text prints, makes the PDF and is scored."""
    sections = []
    if inputs.key_worker_name:
        lines = [f"Your key worker is {inputs.key_worker_name}."]
        if inputs.key_worker_role:
            lines.append(f"They are a {inputs.key_worker_role.lower()}.")
        if inputs.key_worker_phone:
            lines.append(f"The one number to call is {inputs.key_worker_phone}.")
        lines.append("Call them if you have a question or a worry about your care.")
    else:
        lines = ["You do not have a key worker yet.",
                 "Until you do, call your GP practice if you have a question or a worry."]
    sections.append({"heading": "Who to call", "lines": lines, "items": []})

    lines = []
    if inputs.what_matters:
        lines.append("You told us:")
    else:
        lines.append("We have not written this down yet. Tell your key worker what matters "
                     "most to you.")
    if inputs.preferred_place and inputs.preferred_place != "Not yet discussed":
        lines.append(f"Where you would like to be cared for: {inputs.preferred_place.lower()}.")
    if inputs.carer_name:
        lines.append(f"The person who helps you most: {inputs.carer_name}.")
    sections.append({"heading": "What matters to me", "lines": lines,
                     "items": [_sentence(inputs.what_matters)] if inputs.what_matters else []})

    if inputs.concerns:
        sections.append({"heading": "What I am worried about",
                         "lines": ["These are the worries you told us about."],
                         "items": [_sentence(c) for c in inputs.concerns]})

    if inputs.agreed:
        items = [f"{_sentence(a.what)} {a.who} will do this by {_day(a.by)}."
                 for a in sorted(inputs.agreed, key=lambda a: a.by)]
        lines = ["This is what we agreed to do, who will do it and by when."]
    else:
        items, lines = [], ["There is nothing for us to do just now. Your key worker will "
                            "tell you if this changes."]
    sections.append({"heading": "What we agreed", "lines": lines, "items": items})

    if inputs.visits:
        items = [f"{_day(v.day)}, in the {v.when.lower()}: {v.who}, {v.role.lower()}."
                 for v in sorted(inputs.visits, key=lambda v: v.day)]
        sections.append({"heading": "Who is coming to see me",
                         "lines": ["These visits are planned."], "items": items})

    sections.append({"heading": "At night and at weekends", "lines": list(OUT_OF_HOURS),
                     "items": []})
    return {"title": "My care and support plan", "for": inputs.full_name,
            "nhs_number": inputs.nhs_number, "team": inputs.team_name,
            "intro": f"This plan is for {inputs.first_name}. It says what matters to you, "
                     "what we agreed, and who to call.",
            "sections": sections}


def plain_text(plan: dict) -> str:
    parts = [plan["intro"]]
    for section in plan["sections"]:
        parts += section["lines"] + section["items"]
    return "\n".join(parts)


def reading_grade(text: str) -> float:
    """Years of schooling needed to read the text (Flesch-Kincaid grade), one decimal."""
    import textstat

    return round(max(0.0, float(textstat.flesch_kincaid_grade(text))), 1)


def hard_lines(plan: dict) -> list[str]:
    """The lines and items that on their own need more than the target schooling (what the
    page asks staff to reword: the plan's average can hide one hard sentence)."""
    return [line for section in plan["sections"] for line in section["lines"] + section["items"]
            if len(line.split()) > 3 and reading_grade(line) > TARGET_GRADE]
