"""One case, one form, one save: the discussion, the outcome and decisions, any number of
new actions, a key worker change and "defer" recorded together in one transaction, so a
chair never loses typed notes to a second form or leaves half a case saved."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm.exc import StaleDataError

from mdt.actions import service as actions
from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings import cases, drafts
from mdt.meetings.lifecycle import CASE_TRANSITIONS, CaseStatus
from mdt.meetings.models import Case, Meeting
from mdt.meetings.service import MeetingError
from mdt.patients.handover import assign_key_worker
from mdt.patients.service import PatientError
from mdt.transitions import check_transition

MAX_ACTION_ROWS = 10


@dataclass
class ActionRow:
    description: str = ""
    owner_id: int | None = None
    due_on: date | None = None

    @property
    def blank(self) -> bool:
        return not (self.description or "").strip() and self.owner_id is None \
            and self.due_on is None


@dataclass
class CaseRecord:
    notes: str = ""
    outcome: str = ""
    decisions: str = ""
    seen_version: int = -1
    actions: list[ActionRow] = field(default_factory=list)
    key_worker_id: int | None = None
    seen_key_worker_id: int | None = None
    key_worker_reason: str = ""
    defer: bool = False


def record_case(actor: Actor, meeting: Meeting, case: Case, record: CaseRecord) -> dict:
    """Saves everything or nothing. Errors come back as one MeetingError whose keys name the
    form's fields (`actions-0-owner_id`, `key_worker_id`, ...). Returns what was done."""
    if meeting.status not in ("scheduled", "in_progress", "finished"):
        raise MeetingError({"form": f"This meeting is {meeting.status_label.lower()}"})
    if record.defer and meeting.status == "finished":
        raise MeetingError({"defer": "The meeting has finished: a case can no longer be "
                                     "deferred"})
    check_transition(CASE_TRANSITIONS, case.status,
                     CaseStatus.DEFERRED if record.defer else CaseStatus.DISCUSSED, MeetingError,
                     "This case was taken off the list: add it again to discuss it")
    if errors := cases.discussion_problems(meeting, case, notes=record.notes,
                                           outcome=record.outcome, decisions=record.decisions,
                                           seen_version=record.seen_version):
        raise MeetingError(errors)
    rows = [row for row in record.actions if not row.blank]
    if len(rows) > MAX_ACTION_ROWS:
        raise MeetingError({"form": f"Add at most {MAX_ACTION_ROWS} actions at a time"})
    done = {"actions": 0, "key_worker": False, "deferred": record.defer}
    refused = None
    try:
        with db.session.begin_nested():  # everything or nothing, in the caller's unit of work
            if record.key_worker_id != record.seen_key_worker_id:
                try:  # first: a refusal writes nothing but its audit row, which is kept
                    assign_key_worker(
                        actor, patient_id=case.patient_id, team_id=meeting.team_id,
                        to_user_id=record.key_worker_id,
                        reason=record.key_worker_reason or "Agreed at the MDT meeting",
                        seen_key_worker_id=record.seen_key_worker_id, decided_in="meeting",
                        meeting_case_id=case.id)
                    done["key_worker"] = True
                except PatientError as exc:
                    refused = exc
            if refused is None:
                _record_rest(actor, meeting, case, record, done)
    except StaleDataError:
        raise MeetingError({"form": cases.CONFLICT}) from None
    if refused is not None:
        raise MeetingError({("key_worker_reason" if key == "reason" else key): message
                            for key, message in refused.errors.items()})
    return done


def _record_rest(actor, meeting, case, record, done) -> None:
    """The actions and the discussion; any problem undoes the whole save (its SAVEPOINT)."""
    rows = {index: actions.NewAction(row.description, row.owner_id, row.due_on)
            for index, row in enumerate(record.actions) if not row.blank}
    if rows:
        try:
            done["actions"] = len(actions.create_actions(
                actor, team_id=meeting.team_id, patient_id=case.patient_id, case_id=case.id,
                rows=rows))
        except actions.ActionError as exc:
            raise MeetingError({f"actions-{key}": message
                                for key, message in exc.errors.items()}) from None
    cases.apply_discussion(actor, meeting, case, notes=record.notes, outcome=record.outcome,
                           decisions=record.decisions,
                           status="deferred" if record.defer else "discussed")
    drafts.discard(actor.user_id, case.id)
    db.session.flush()


def saved_message(done: dict, at) -> str:
    """"Saved 12:41: discussion, 2 actions, key worker": what the chair just did."""
    parts = ["discussion"]
    if done["actions"]:
        parts.append(f"{done['actions']} {'action' if done['actions'] == 1 else 'actions'}")
    if done["key_worker"]:
        parts.append("key worker")
    if done["deferred"]:
        parts.append("deferred to the next meeting")
    return f"Saved {at:%H:%M}: {', '.join(parts)}"
