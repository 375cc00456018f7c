"""Key workers: one per patient per team, every change a recorded hand-over."""

from sqlalchemy import select, update

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.patients.models import KeyWorkerHandover, PatientTeam
from mdt.patients.service import PatientError
from mdt.teams.service import is_member

REASON_LIMIT = 500


def _name(user_id) -> str:
    return db.session.scalar(select(User.name).where(User.id == user_id)) if user_id else ""


def assign_key_worker(actor: Actor, *, patient_id: int, team_id: int, to_user_id: int | None,
                      reason: str, seen_key_worker_id: int | None, decided_in: str = "direct",
                      meeting_case_id: int | None = None) -> KeyWorkerHandover:
    """Hand the patient over to `to_user_id` (None: no key worker). `seen_key_worker_id` is the
    key worker the user saw; if someone changed it since, the change is refused. A refusal
    writes nothing but its audit row (the caller commits it)."""
    link = db.session.scalar(select(PatientTeam).where(
        PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)) \
        if team_id in actor.team_ids else None
    if link is None:
        raise NotFound("patient not on this team")
    errors = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for the change"
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = f"Reason must be {REASON_LIMIT} characters or fewer"
    if to_user_id is not None and not is_member(team_id, to_user_id):
        errors["key_worker_id"] = "Choose a member of the team"
    elif link.key_worker_id != seen_key_worker_id:
        current = _name(link.key_worker_id) or "no key worker"
        errors["key_worker_id"] = (f"Someone else changed the key worker to {current} while "
                                   "you were choosing. Check, then choose again.")
    elif to_user_id == link.key_worker_id:
        errors["key_worker_id"] = (f"{_name(to_user_id)} is already the key worker" if to_user_id
                                   else "The patient already has no key worker")
    if errors:
        _refuse(actor, team_id, patient_id, errors)
        raise PatientError(errors)
    # Compare-and-set: of two simultaneous hand-overs only the first lands.
    changed = db.session.execute(
        update(PatientTeam).where(PatientTeam.patient_id == patient_id,
                                  PatientTeam.team_id == team_id,
                                  PatientTeam.key_worker_id.is_(seen_key_worker_id)
                                  if seen_key_worker_id is None
                                  else PatientTeam.key_worker_id == seen_key_worker_id)
        .values(key_worker_id=to_user_id)).rowcount
    if changed != 1:  # the update changed no row: nothing to undo
        errors = {"key_worker_id": "Someone else changed the key worker at the same moment. "
                                   "Check, then choose again."}
        _refuse(actor, team_id, patient_id, errors)
        raise PatientError(errors)
    handover = KeyWorkerHandover(patient_id=patient_id, team_id=team_id,
                                 from_user_id=seen_key_worker_id, to_user_id=to_user_id,
                                 reason=reason, decided_in=decided_in,
                                 meeting_case_id=meeting_case_id, recorded_by_id=actor.user_id)
    db.session.add(handover)
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="change", record_type="key_worker", record_id=patient_id,
                 changes={"key_worker": [_name(seen_key_worker_id), _name(to_user_id)],
                          "reason": reason, "decided_in": decided_in})
    db.session.flush()
    return handover


def _refuse(actor, team_id, patient_id, errors):
    audit.refused(actor, team_id, action="change", record_type="key_worker",
                  record_id=patient_id, errors=errors)
