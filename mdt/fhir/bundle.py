"""A patient's MDT record as a FHIR R4 Bundle (JSON): Patient, CareTeam (the key worker),
an Encounter for each MDT discussion, a Task for each action, a CarePlan for the team's
recommendations. A pure function of plain data, no Flask, no database; validated in the
tests against the fhir.resources models (its R4B set, the R4 family: every element used
here has the same shape in R4 4.0.1).

Only what the MDT holds goes out: no free-text key information (the "red book") beyond the
recommendations, and people by name only (no Practitioner resources)."""

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime

NHS_NUMBER = "https://fhir.nhs.uk/Id/nhs-number"
ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
TASK_STATUS = {"open": "requested", "done": "completed", "cancelled": "cancelled"}
ENCOUNTER_TYPE = "Neighbourhood multidisciplinary team (MDT) meeting discussion"


@dataclass(frozen=True)
class Discussion:
    case_id: int
    meeting_title: str
    starts_at: datetime
    ends_at: datetime
    reason: str
    outcome: str
    decisions: str
    chair: str


@dataclass(frozen=True)
class TaskItem:
    action_id: int
    case_id: int | None
    description: str
    owner: str
    due_on: date
    status: str
    created_at: datetime
    completed_on: date | None = None


@dataclass
class Record:
    patient_id: int
    nhs_number: str
    title: str
    given_name: str
    family_name: str
    date_of_birth: date
    address: str
    postcode: str
    gp_practice: str
    team_name: str
    key_worker: str | None
    key_worker_role: str = ""
    key_worker_phone: str = ""
    discussions: list[Discussion] = field(default_factory=list)
    tasks: list[TaskItem] = field(default_factory=list)


def _ids(namespace: str, keys) -> dict:
    """Stable urn:uuid ids (the same record gives the same Bundle)."""
    return {key: f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{namespace}/{key}')}"
            for key in keys}


def _instant(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def build(record: Record, generated_at: datetime) -> dict:
    base = f"neighbourhood-mdt/patient/{record.patient_id}"
    patient_ref = _ids(base, ["patient"])["patient"]
    care_team_ref = _ids(base, ["care-team"])["care-team"]
    plan_ref = _ids(base, ["care-plan"])["care-plan"]
    encounters = _ids(base + "/encounter", [d.case_id for d in record.discussions])
    tasks = _ids(base + "/task", [t.action_id for t in record.tasks])
    subject = {"reference": patient_ref, "display": f"{record.given_name} {record.family_name}"}

    name = {"use": "official", "family": record.family_name, "given": [record.given_name]}
    if record.title:
        name["prefix"] = [record.title]
    patient = {"resourceType": "Patient",
               "identifier": [{"system": NHS_NUMBER, "value": record.nhs_number}],
               "name": [name], "birthDate": record.date_of_birth.isoformat()}
    lines = [line for line in record.address.splitlines() if line.strip()]
    if lines or record.postcode:
        address = {"use": "home"}
        if lines:
            address["line"] = lines
        if record.postcode:
            address["postalCode"] = record.postcode
        patient["address"] = [address]
    if record.gp_practice:
        patient["generalPractitioner"] = [{"display": record.gp_practice}]

    care_team = {"resourceType": "CareTeam", "status": "active", "name": record.team_name,
                 "subject": subject}
    if record.key_worker:
        member = {"role": [{"text": "Key worker"}], "member": {"display": record.key_worker}}
        care_team["participant"] = [member]
        if record.key_worker_phone:
            care_team["telecom"] = [{"system": "phone", "value": record.key_worker_phone,
                                     "use": "work"}]

    entries = [(patient_ref, patient), (care_team_ref, care_team)]
    for d in record.discussions:
        encounter = {"resourceType": "Encounter", "status": "finished",
                     "class": {"system": ACT_CODE, "code": "VR", "display": "virtual"},
                     "type": [{"text": ENCOUNTER_TYPE}], "subject": subject,
                     "period": {"start": _instant(d.starts_at), "end": _instant(d.ends_at)}}
        if d.reason:
            encounter["reasonCode"] = [{"text": d.reason}]
        if d.chair:
            encounter["participant"] = [{"type": [{"text": "Chair"}],
                                         "individual": {"display": d.chair}}]
        entries.append((encounters[d.case_id], encounter))
    for t in record.tasks:
        task = {"resourceType": "Task", "status": TASK_STATUS.get(t.status, "requested"),
                "intent": "order", "description": t.description, "for": subject,
                "authoredOn": _instant(t.created_at),
                "owner": {"display": t.owner},
                "restriction": {"period": {"end": t.due_on.isoformat()}}}
        if t.case_id in encounters:
            task["encounter"] = {"reference": encounters[t.case_id]}
        if t.completed_on:
            task["executionPeriod"] = {"end": t.completed_on.isoformat()}
        entries.append((tasks[t.action_id], task))

    plan = {"resourceType": "CarePlan", "status": "active", "intent": "plan",
            "title": "MDT recommendations", "subject": subject,
            "careTeam": [{"reference": care_team_ref}], "created": _instant(generated_at)}
    notes = [f"{d.starts_at:%d %b %Y} ({d.meeting_title}): " +
             " ".join(p for p in (d.outcome, d.decisions) if p)
             for d in record.discussions if d.outcome or d.decisions]
    if notes:
        plan["description"] = notes[-1]
        plan["note"] = [{"text": text} for text in notes]
    open_tasks = [tasks[t.action_id] for t in record.tasks if t.status == "open"]
    if open_tasks:
        plan["activity"] = [{"reference": {"reference": ref}} for ref in open_tasks]
    entries.append((plan_ref, plan))
    return {"resourceType": "Bundle", "type": "collection",
            "timestamp": _instant(generated_at),
            "entry": [{"fullUrl": url, "resource": resource} for url, resource in entries]}
