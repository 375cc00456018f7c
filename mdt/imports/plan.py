"""What an import would do to each line of the file: a pure function of the lines and of the
patients already recorded (plain data), so the preview and the import decide the same way
and both are tested without Flask.

Statuses: new (a patient added to the team), update (demographics change), unchanged, skip
(the patient has left the team's caseload: their record is read-only), error (with reasons).
Any error stops the whole import: nothing is changed until the file is right.

Identity is the NHS number. A line whose number is recorded for someone with a different
date of birth, or with a different first and last name, is an error rather than an update:
the number may belong to someone else (hazard: an import that overwrites the wrong person).
"""

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date

from mdt.imports.parse import ADDRESS, extract, formula_cells, parse_date
from mdt.patients import nhs_number

# Patient columns an import may set: demographics only, never clinical data.
DEMOGRAPHICS = ("title", "given_name", "family_name", "address", "postcode", "gp_practice",
                "usual_gp")
LIMITS = {"title": 20, "given_name": 100, "family_name": 100, "address": 500, "postcode": 10,
          "gp_practice": 120, "usual_gp": 120}
LABELS = {"title": "title", "given_name": "first name", "family_name": "last name",
          "address": "address", "postcode": "postcode", "gp_practice": "registered practice",
          "usual_gp": "usual GP"}
NOT_ON_TEAM = ("this NHS number is recorded for a patient who is not on this team's list: "
               "ask a system administrator to add them")


@dataclass(frozen=True)
class Known:
    """A patient already recorded, as far as an import needs to know them."""

    id: int
    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: date
    on_team: bool  # on the importing team's list (any status)
    closed: str | None = None  # why the team's record is read-only, or None
    demographics: dict = field(default_factory=dict)


@dataclass
class Line:
    number: int  # the line in the file (the header is line 1)
    status: str
    data: dict
    reasons: list = field(default_factory=list)  # errors: any one stops the import
    notes: list = field(default_factory=list)  # why a line is left as it is
    patient_id: int | None = None
    changes: dict = field(default_factory=dict)  # {field: [old, new]}

    @property
    def is_error(self) -> bool:
        return self.status == "error"

    @property
    def name(self) -> str:
        return " ".join(p for p in (self.data.get("given_name"), self.data.get("family_name"))
                        if p)


def _clean(cells: dict) -> dict:
    address = "\n".join(cells.get(a, "") for a in ADDRESS if cells.get(a, ""))
    data = {f: " ".join(cells.get(f, "").split()) for f in DEMOGRAPHICS if f != "address"}
    data["address"] = address
    data["postcode"] = data["postcode"].upper()
    return data


def _same(a: str, b: str) -> bool:
    return " ".join(a.lower().replace("-", " ").split()) == \
        " ".join(b.lower().replace("-", " ").split())


def plan(headers: list[str], rows: list[list[str]], mapping: dict, known: dict[str, Known],
         team_people: dict[tuple, Known], today: date) -> list[Line]:
    """A Line for every row. `known`: patients by NHS number (every team); `team_people`:
    the importing team's patients by (first name, last name, date of birth), lower-cased."""
    lines, first_line_of = [], {}
    for offset, row in enumerate(rows):
        cells = extract(headers, row, mapping)
        line = Line(number=offset + 2, status="new", data=_clean(cells))
        reasons = line.reasons
        formulas = formula_cells(headers, row)
        if formulas:
            reasons.append(f"{', '.join(formulas[:3])} starts with = + - or @ (a spreadsheet "
                           "formula): remove it from the file")
        nhs_ok = True
        try:
            line.data["nhs_number"] = nhs_number.normalise(cells.get("nhs_number"))
        except nhs_number.InvalidNhsNumber as exc:
            nhs_ok = False
            line.data["nhs_number"] = cells.get("nhs_number", "")
            reasons.append(str(exc).replace("Enter the patient's NHS number", "no NHS number"))
        try:
            dob = parse_date(cells.get("date_of_birth", ""))
            if dob > today:
                reasons.append("date of birth is in the future")
            elif dob.year < 1880:
                reasons.append("date of birth must be after 1880")
            line.data["date_of_birth"] = dob
        except ValueError as exc:
            line.data["date_of_birth"] = None
            reasons.append(str(exc))
        for name in ("given_name", "family_name"):
            if not line.data[name]:
                reasons.append(f"no {LABELS[name]}")
        for name, limit in LIMITS.items():
            if len(line.data[name]) > limit:
                reasons.append(f"{LABELS[name]} is longer than {limit} characters")
        number = line.data["nhs_number"]
        if nhs_ok:
            if number in first_line_of:
                earlier = lines[first_line_of[number]]
                reasons.append(f"the same NHS number as line {earlier.number}")
                if earlier.status != "error" or not any("same NHS number" in r
                                                        for r in earlier.reasons):
                    earlier.reasons.append(f"the same NHS number as line {line.number}")
                    earlier.status = "error"
            else:
                first_line_of[number] = offset
            _match(line, known.get(number), team_people)
        if reasons:
            line.status = "error"
        lines.append(line)
    return lines


def _match(line: Line, patient: Known | None, team_people: dict) -> None:
    data, dob = line.data, line.data["date_of_birth"]
    if patient is None:
        if dob is None:
            return
        twin = team_people.get((data["given_name"].lower(), data["family_name"].lower(), dob))
        if twin is not None:
            line.reasons.append(
                f"{twin.given_name} {twin.family_name}, born {dob:%d/%m/%Y}, is already on "
                f"your list with NHS number {nhs_number.display(twin.nhs_number)}: check which "
                "number is right")
        return
    if not patient.on_team:
        line.reasons.append(NOT_ON_TEAM)
        return
    line.patient_id = patient.id
    who = (f"{patient.given_name} {patient.family_name}, born "
           f"{patient.date_of_birth:%d/%m/%Y}")
    if dob is not None and dob != patient.date_of_birth:
        line.reasons.append(f"this NHS number is {who} on your list, but this line's date of "
                            "birth differs: check the number (nothing will be overwritten)")
        return
    if not _same(data["given_name"], patient.given_name) \
            and not _same(data["family_name"], patient.family_name):
        line.reasons.append(f"this NHS number is {who} on your list, but this line names "
                            "someone else: check the number (nothing will be overwritten)")
        return
    if patient.closed:
        line.status = "skip"
        line.notes.append(patient.closed)
        return
    # Demographics only; a blank cell keeps what is recorded.
    line.changes = {f: [patient.demographics.get(f) or "", data[f]] for f in DEMOGRAPHICS
                    if data[f] and data[f] != (patient.demographics.get(f) or "")}
    line.status = "update" if line.changes else "unchanged"


def counts(lines: list[Line]) -> dict[str, int]:
    out = {"new": 0, "update": 0, "unchanged": 0, "skip": 0, "error": 0}
    for line in lines:
        out[line.status] += 1
    return out


def fingerprint(lines: list[Line]) -> str:
    """What the preview promised: which line does what to whom. The import recomputes the
    plan and refuses if this differs (someone changed the records in between)."""
    content = [[line.number, line.status, line.patient_id, sorted(line.changes)]
               for line in lines]
    return hashlib.sha256(json.dumps(content).encode()).hexdigest()[:32]
