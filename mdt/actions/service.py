"""Actions and the action log: plain functions. Every change writes one log entry and one
audit row in the same transaction; a no-op writes neither."""

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mdt.actions.lifecycle import TRANSITIONS, ActionStatus
from mdt.actions.models import PRIORITIES, Action, ActionLogEntry
from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound, Refused
from mdt.extensions import db
from mdt.patients.models import Hna, HnaConcern, PatientTeam
from mdt.patients.service import closed_message
from mdt.teams.models import Membership
from mdt.teams.service import is_member
from mdt.timeutil import london_today, to_london, utcnow
from mdt.transitions import check_transition

DESCRIPTION_LIMIT = 500
NOTE_LIMIT = 1000
CONFLICT = ("Someone else changed this action while you were looking at it. Check the "
            "action, then make your change again.")


class ActionError(Refused):
    """Refused: {field: message}; nothing saved."""


def get_action(actor: Actor, action_id: int) -> Action | None:
    """The action if it belongs to one of the actor's teams (else None: the view's 404)."""
    return db.session.scalar(select(Action).where(Action.id == action_id,
                                                  Action.team_id.in_(actor.team_ids)))


def _name(user_id) -> str:
    return db.session.scalar(select(User.name).where(User.id == user_id)) or ""


def _text(value: str | None, field: str, label: str, limit: int, required=True) -> dict:
    value = (value or "").strip()
    if required and not value:
        return {field: f"Enter {label}"}
    if len(value) > limit:
        return {field: f"{label[0].upper()}{label[1:]} must be {limit} characters or fewer"}
    return {}


def _log(actor: Actor, action: Action, kind: str, old="", new="") -> None:
    db.session.add(ActionLogEntry(action_id=action.id, team_id=action.team_id,
                                  user_id=actor.user_id, kind=kind, old_value=str(old or ""),
                                  new_value=str(new or "")))
    audit.record(user_id=actor.user_id, role=actor.role(action.team_id), team_id=action.team_id,
                 action="create" if kind == "created" else "change", record_type="action",
                 record_id=action.id, changes={kind: [str(old or ""), str(new or "")],
                                               "patient_id": action.patient_id})


@contextmanager
def _changing():
    """One change in a SAVEPOINT: if a colleague's save landed first (a stale version) this
    change alone is undone and refused; the caller's unit of work goes on."""
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError:
        raise ActionError({"form": CONFLICT}) from None


def create_action(actor: Actor, *, team_id: int, description: str, owner_id: int | None,
                  due_on: date | None, priority: str = "normal", patient_id: int | None = None,
                  case_id: int | None = None, concern_id: int | None = None,
                  bereavement: bool = False) -> Action:
    """A new action. `bereavement` lets the lifecycle add the carer's follow-up for a
    patient who has died."""
    errors = _text(description, "description", "a description of the action",
                   DESCRIPTION_LIMIT)
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    if not is_member(team_id, owner_id):
        errors["owner_id"] = "Choose an owner from the team"
    if due_on is None:
        errors["due_on"] = "Enter the due date"
    elif due_on < london_today():
        errors["due_on"] = "Due date must be today or later"
    if priority not in PRIORITIES:
        errors["priority"] = "Choose a priority"
    if patient_id is not None and db.session.scalar(select(PatientTeam.patient_id).where(
            PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)) is None:
        raise NotFound("patient not on this team")
    if patient_id is not None and not bereavement and (
            closed := closed_message(patient_id, team_id)):
        errors["description"] = closed + ", except a bereavement follow-up"
    concern = None
    if concern_id is not None:
        concern = db.session.scalar(select(HnaConcern).join(Hna).where(
            HnaConcern.id == concern_id, Hna.patient_id == patient_id,
            Hna.team_id == team_id))
        if concern is None:
            raise NotFound("concern not on this patient")
        if concern.action_id is not None:
            errors["description"] = "This concern already has an action"
    if errors:
        raise ActionError(errors)
    action = Action(team_id=team_id, patient_id=patient_id, case_id=case_id,
                    description=description.strip(), owner_id=owner_id, due_on=due_on,
                    priority=priority, created_by_id=actor.user_id)
    db.session.add(action)
    db.session.flush()
    if concern is not None:
        concern.action_id = action.id
    _log(actor, action, "created", "", f"{action.description} (owner {_name(owner_id)}, "
                                          f"due {due_on.isoformat()})")
    db.session.flush()
    return action


@dataclass(frozen=True)
class NewAction:
    description: str
    owner_id: int | None
    due_on: date | None


def create_actions(actor: Actor, *, team_id: int, patient_id: int, case_id: int | None,
                   rows: dict[int, NewAction]) -> list[Action]:
    """Several new actions for one patient (a case's at a meeting), checked together and
    written in a few queries whatever their number (create_action's rules, each). Refused
    as one ActionError keyed "{row}-{field}", nothing saved."""
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    if db.session.scalar(select(PatientTeam.patient_id).where(
            PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)) is None:
        raise NotFound("patient not on this team")
    closed = closed_message(patient_id, team_id)
    owners = {row.owner_id for row in rows.values() if row.owner_id is not None}
    names = dict(db.session.execute(
        select(User.id, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id, User.id.in_(owners))).all()) if owners else {}
    errors = {}
    for index, row in rows.items():
        found = _text(row.description, "description", "a description of the action",
                      DESCRIPTION_LIMIT)
        if row.owner_id not in names:
            found["owner_id"] = "Choose an owner from the team"
        if row.due_on is None:
            found["due_on"] = "Enter the due date"
        elif row.due_on < london_today():
            found["due_on"] = "Due date must be today or later"
        if closed:
            found["description"] = closed + ", except a bereavement follow-up"
        errors |= {f"{index}-{field}": message for field, message in found.items()}
    if errors:
        raise ActionError(errors)
    made = [Action(team_id=team_id, patient_id=patient_id, case_id=case_id,
                   description=row.description.strip(), owner_id=row.owner_id,
                   due_on=row.due_on, priority="normal", created_by_id=actor.user_id)
            for row in rows.values()]
    db.session.add_all(made)
    db.session.flush()
    for action in made:
        _log(actor, action, "created", "", f"{action.description} (owner "
                                              f"{names[action.owner_id]}, due "
                                              f"{action.due_on.isoformat()})")
    db.session.flush()
    return made


def _editable(action: Action, seen_version: int | None) -> None:
    if action.status == "cancelled":
        raise ActionError({"form": "This action is cancelled. Reopen it before changing it."})
    if seen_version is not None and seen_version != action.version:
        raise ActionError({"form": CONFLICT})


def reassign(actor: Actor, action: Action, owner_id: int | None, seen_version=None) -> Action:
    _editable(action, seen_version)
    if not is_member(action.team_id, owner_id):
        raise ActionError({"owner_id": "Choose an owner who is on the team now"})
    if owner_id == action.owner_id:
        return action
    old = _name(action.owner_id)
    with _changing():
        action.owner_id = owner_id
        _log(actor, action, "reassigned", old, _name(owner_id))
    return action


def change_due(actor: Actor, action: Action, due_on: date | None, seen_version=None) -> Action:
    _editable(action, seen_version)
    if due_on is None:
        raise ActionError({"due_on": "Enter the due date"})
    if due_on < action.created_at.date():
        raise ActionError({"due_on": "Due date cannot be before the action was raised"})
    if due_on == action.due_on:
        return action
    old = action.due_on.isoformat()
    with _changing():
        action.due_on = due_on
        _log(actor, action, "due_date_changed", old, due_on.isoformat())
    return action


def change_priority(actor: Actor, action: Action, priority: str, seen_version=None) -> Action:
    _editable(action, seen_version)
    if priority not in PRIORITIES:
        raise ActionError({"priority": "Choose a priority"})
    if priority == action.priority:
        return action
    with _changing():
        old, action.priority = action.priority, priority
        _log(actor, action, "priority_changed", old, priority)
    return action


def add_note(actor: Actor, action: Action, note: str) -> Action:
    errors = _text(note, "note", "a progress note", NOTE_LIMIT)
    if errors:
        raise ActionError(errors)
    _log(actor, action, "note_added", "", note.strip())
    db.session.flush()
    return action


def complete(actor: Actor, action: Action) -> Action:
    """Idempotent: completing a done action changes nothing and logs nothing."""
    if action.status == "done":
        return action
    if action.status == "cancelled":
        raise ActionError({"form": "This action is cancelled. Reopen it before completing it."})
    check_transition(TRANSITIONS, action.status, ActionStatus.DONE, ActionError)
    with _changing():
        action.status, action.completed_at = "done", utcnow()
        action.completed_on = to_london(action.completed_at).date()
        _log(actor, action, "completed", "open", "done")
    return action


def reopen(actor: Actor, action: Action) -> Action:
    if action.status == "open":
        return action
    old = action.status
    check_transition(TRANSITIONS, old, ActionStatus.OPEN, ActionError)
    with _changing():
        action.status, action.completed_at, action.cancel_reason = "open", None, ""
        action.completed_on = None
        _log(actor, action, "reopened", old, "open")
    return action


def cancel(actor: Actor, action: Action, reason: str) -> Action:
    errors = _text(reason, "reason", "the reason for cancelling", NOTE_LIMIT)
    if errors:
        raise ActionError(errors)
    if action.status == "cancelled":
        return action
    old = action.status
    check_transition(TRANSITIONS, old, ActionStatus.CANCELLED, ActionError)
    with _changing():
        action.status, action.cancel_reason = "cancelled", reason.strip()
        _log(actor, action, "cancelled", old, reason.strip())
    return action


def close_no_longer_needed(actor: Actor, action: Action, reason: str) -> None:
    """Cancel an open action in the caller's unit of work (the lifecycle's)."""
    old = action.status
    action.status, action.cancel_reason = "cancelled", reason
    _log(actor, action, "cancelled", old, reason)


def bulk_cancel(actor: Actor, team_id: int, action_ids: list[int], reason: str) -> int:
    """Cancel several of a team's actions with one reason (chairs only: the view checks)."""
    errors = _text(reason, "reason", "the reason for cancelling", NOTE_LIMIT)
    if not action_ids:
        errors["action_ids"] = "Select the actions to cancel"
    if errors:
        raise ActionError(errors)
    actions = db.session.scalars(select(Action).where(
        Action.id.in_(action_ids), Action.team_id == team_id, Action.status != "cancelled")).all()
    with _changing():
        for action in actions:
            old = action.status
            action.status, action.cancel_reason = "cancelled", reason.strip()
            _log(actor, action, "cancelled", old, reason.strip())
    return len(actions)
