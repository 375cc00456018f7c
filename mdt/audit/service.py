"""Audit events: written in the same transaction as the change they describe."""

from types import SimpleNamespace

from flask import g, has_request_context, request
from sqlalchemy import insert

from mdt.audit import chain
from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.timeutil import utcnow

# Records whose id is the patient's own id.
PATIENT_RECORDS = frozenset({"patient", "key_information", "key_worker", "hna",
                             "pathway_stage", "lifecycle"})


MAX_PATIENTS = 500  # a list page names at most this many in one row (then counts the rest)


def patient_of(record_type, record_id, changes) -> int | None:
    """The patient an event concerns: the record itself, or the patient_id in its details."""
    if record_type in PATIENT_RECORDS and isinstance(record_id, int):
        return record_id
    value = changes.get("patient_id") if isinstance(changes, dict) else None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) < 12:
        return int(value)
    return None


def record(*, user_id, role, team_id, action, record_type, record_id=None,
           outcome="ok", changes=None, patient_id=None) -> AuditEvent:
    changes = changes or {}
    if patient_id is None:
        patient_id = patient_of(record_type, record_id, changes)
    if has_request_context():
        if action in ("view", "export") and outcome == "ok":
            g.audited_read = True  # the read is audited: @shows_patient_data adds nothing
            if "patients" not in changes:  # which patients: every one loaded so far
                seen = sorted(g.get("patients_seen", ()))
                changes["patients"] = seen[:MAX_PATIENTS]
                if len(seen) > MAX_PATIENTS:
                    changes["more_patients"] = len(seen) - MAX_PATIENTS
        if outcome == "refused":
            g.audited_refusal = True
    # From where: the address of the request (none for a job or the command line).
    address = (request.remote_addr or "")[:64] if has_request_context() else None
    event = AuditEvent(at=utcnow(), user_id=user_id, role=role, team_id=team_id,
                       action=action, record_type=record_type, record_id=record_id,
                       outcome=outcome, changes=changes, patient_id=patient_id,
                       address=address)
    chain.link(event)
    db.session.add(event)
    return event


def record_changes(*, user_id, role, team_id, record_type, events) -> int:
    """Many changes by one person at once (a caseload import: thousands of patients), each
    its own event, chained in order and written in one statement rather than one ORM object
    each. `events`: (action, record_id, changes) in order. Returns how many."""
    address = (request.remote_addr or "")[:64] if has_request_context() else None
    rows = []
    for action, record_id, changes in events:
        event = SimpleNamespace(at=utcnow(), user_id=user_id, role=role, team_id=team_id,
                                action=action, record_type=record_type, record_id=record_id,
                                outcome="ok", changes=changes,
                                patient_id=patient_of(record_type, record_id, changes),
                                address=address)
        chain.link(event, written_now=True)  # (the hashes follow the rows, so do the ids)
        rows.append(vars(event))
    for start in range(0, len(rows), 1000):
        db.session.execute(insert(AuditEvent), rows[start:start + 1000])
    return len(rows)


def refused(actor, team_id, *, action: str, record_type: str, record_id, errors,
            **context) -> None:
    """Audit a refused attempt (which fields failed, never what was typed). It joins the
    caller's unit of work, which the view commits when it answers the refusal: a service
    refuses before it writes, or undoes its half-done change at a SAVEPOINT first."""
    record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id, action=action,
           record_type=record_type, record_id=record_id, outcome="refused",
           changes={**context, "errors": sorted(errors)})


def diff(old: dict, new: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed (values as strings)."""
    return {key: [_text(old.get(key)), _text(new.get(key))]
            for key in new if _text(old.get(key)) != _text(new.get(key))}


def _text(value):
    return "" if value is None else str(value)


