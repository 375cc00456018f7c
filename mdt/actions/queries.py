"""Reading actions: each page's data in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import aliased

from mdt.actions.models import Action, ActionLogEntry
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients.models import Patient
from mdt.timeutil import LONDON


@dataclass
class ActionRow:
    action: Action
    owner_name: str
    patient: Patient | None

    def due_state(self, today: date) -> str:
        if self.action.status != "open":
            return self.action.status
        if self.action.due_on < today:
            return "overdue"
        return "due_this_week" if self.action.due_on <= end_of_week(today) else "later"

    def is_overdue(self, today: date) -> bool:
        return self.due_state(today) == "overdue"

    def is_due_this_week(self, today: date) -> bool:
        return self.due_state(today) == "due_this_week"


def end_of_week(today: date) -> date:
    """Sunday of this week: 'due this week' in the way a team plans its week."""
    return today + timedelta(days=6 - today.weekday())


def _rows(stmt) -> list[ActionRow]:
    return [ActionRow(action, owner, patient) for action, owner, patient in db.session.execute(stmt)]


def _base():
    return (select(Action, User.name, Patient).join(User, User.id == Action.owner_id)
            .outerjoin(Patient, Patient.id == Action.patient_id))


def my_actions(actor: Actor, today: date, patient_id: int | None = None) -> dict:
    """The user's open actions: overdue first, then due this week, then later."""
    stmt = _base().where(Action.owner_id == actor.user_id, Action.status == "open",
                         Action.team_id.in_(actor.team_ids))
    if patient_id:
        stmt = stmt.where(Action.patient_id == patient_id)
    groups = {"overdue": [], "due_this_week": [], "later": []}
    for row in _rows(stmt.order_by(Action.due_on, Action.id)):
        groups[row.due_state(today)].append(row)
    return groups


def header_count_columns(user_id: int, today: date, team_ids=None) -> list:
    """(overdue, due this week) of the user's open actions on her teams and her unread
    notifications, as three scalar subqueries: the header's counts, read with the session
    (one query for both) or alone (header_counts). Without team_ids, her teams are her
    memberships, read in the same statement."""
    from mdt.auth.models import Membership
    from mdt.notifications.models import Notification
    teams = (Action.team_id.in_(list(team_ids)) if team_ids is not None else Action.team_id.in_(
        select(Membership.team_id).where(Membership.user_id == user_id).scalar_subquery()))
    mine = (Action.owner_id == user_id, Action.status == "open", teams)
    return [
        select(func.count(Action.id)).where(*mine, Action.due_on < today).scalar_subquery(),
        select(func.count(Action.id)).where(*mine, Action.due_on >= today,
                                            Action.due_on <= end_of_week(today))
        .scalar_subquery(),
        select(func.count(Notification.id)).where(Notification.user_id == user_id,
                                                  Notification.read_at.is_(None))
        .scalar_subquery()]


def header_counts(user_id: int, team_ids, today: date) -> tuple[int, int, int]:
    """(overdue, due this week) of the user's open actions and her unread notifications,
    for the header of every page: one query."""
    overdue, this_week, unread = db.session.execute(
        select(*header_count_columns(user_id, today, team_ids))).one()
    return int(overdue or 0), int(this_week or 0), int(unread or 0)


def team_board(actor: Actor, team_id: int, *, owner_id=None, status="open",
               overdue_only=False, today: date) -> list[ActionRow]:
    stmt = _base().where(Action.team_id == team_id)
    if owner_id:
        stmt = stmt.where(Action.owner_id == owner_id)
    if status:
        stmt = stmt.where(Action.status == status)
    if overdue_only:
        stmt = stmt.where(Action.status == "open", Action.due_on < today)
    return _rows(stmt.order_by(User.name, Action.due_on, Action.id))


def patient_actions(actor: Actor, patient_id: int) -> tuple[list[ActionRow], dict]:
    """A patient's actions (open first) and each one's log (oldest first), in one query: the
    log entries joined to their action (an action with none comes once, with no entry)."""
    writer = aliased(User)
    rows, logs = {}, {}
    for action, owner, patient, entry, name in db.session.execute(
            _base().add_columns(ActionLogEntry, writer.name)
            .outerjoin(ActionLogEntry, ActionLogEntry.action_id == Action.id)
            .outerjoin(writer, writer.id == ActionLogEntry.user_id)
            .where(Action.patient_id == patient_id, Action.team_id.in_(actor.team_ids))
            .order_by(case((Action.status == "open", 0), else_=1), Action.due_on, Action.id,
                      ActionLogEntry.id)):
        if action.id not in rows:
            rows[action.id], logs[action.id] = ActionRow(action, owner, patient), []
        if entry is not None:
            logs[action.id].append((entry, name))
    return list(rows.values()), logs


def log_for(action_ids: list[int]) -> dict[int, list]:
    """{action_id: [(entry, user name), ...]} oldest first."""
    logs = {action_id: [] for action_id in action_ids}
    if action_ids:
        for entry, name in db.session.execute(
                select(ActionLogEntry, User.name).join(User, User.id == ActionLogEntry.user_id)
                .where(ActionLogEntry.action_id.in_(action_ids)).order_by(ActionLogEntry.id)):
            logs[entry.action_id].append((entry, name))
    return logs


def open_actions_for_patients(team_ids, patient_ids) -> dict[int, list[ActionRow]]:
    """Open actions per patient (for case lists), in one query."""
    found = {pid: [] for pid in patient_ids}
    if patient_ids:
        for row in _rows(_base().where(Action.patient_id.in_(list(patient_ids)),
                                       Action.team_id.in_(list(team_ids)),
                                       Action.status == "open").order_by(Action.due_on)):
            found[row.action.patient_id].append(row)
    return found


def log_entries(actor: Actor, *, start: date, end: date, team_id=None, owner_id=None,
                patient_id=None):
    """The action-log query for exports: entries from start to end (UK dates, inclusive)."""
    since = datetime.combine(start, time.min, LONDON)
    until = datetime.combine(end + timedelta(days=1), time.min, LONDON)
    owner, by = aliased(User), aliased(User)
    stmt = (select(ActionLogEntry.at, ActionLogEntry.kind, ActionLogEntry.old_value,
                   ActionLogEntry.new_value, by.name.label("by"), Action.id.label("action_id"),
                   Action.description, Action.status, Action.due_on, owner.name.label("owner"),
                   Patient.nhs_number, Patient.given_name, Patient.family_name,
                   ActionLogEntry.team_id)
            .join(Action, Action.id == ActionLogEntry.action_id)
            .join(by, by.id == ActionLogEntry.user_id)
            .join(owner, owner.id == Action.owner_id)
            .outerjoin(Patient, Patient.id == Action.patient_id)
            .where(ActionLogEntry.team_id.in_(actor.team_ids), ActionLogEntry.at >= since,
                   ActionLogEntry.at < until)
            .order_by(ActionLogEntry.at, ActionLogEntry.id))
    if team_id:
        stmt = stmt.where(ActionLogEntry.team_id == team_id)
    if owner_id:
        stmt = stmt.where(Action.owner_id == owner_id)
    if patient_id:
        stmt = stmt.where(Action.patient_id == patient_id)
    return stmt


def overview_part(patient, actor: Actor) -> dict:
    """The patient page's actions (patients.overview.overview_parts)."""
    actions, action_logs = patient_actions(actor, patient.id)
    return {"actions": actions, "action_logs": action_logs}


# --- follow-through (definitions: mdt/reports/queries.py) -------------------------------

@dataclass(frozen=True)
class FollowThrough:
    """Counts of actions by what has become of them; `raised` is every action."""

    raised: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    not_yet_due: int = 0
    cancelled: int = 0

    @property
    def due(self) -> int:
        """The denominator: actions done (on time or late) or overdue now."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """On time / due, 0..1; None when nothing is due yet."""
        return self.on_time / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


def follow_through_columns(today: date) -> list:
    """sum(case ...) columns, labelled like FollowThrough's fields."""
    done = Action.status == "done"
    on_time = and_(done, Action.completed_on.is_not(None), Action.completed_on <= Action.due_on)

    def total(condition, label):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)

    return [
        total(Action.id.is_not(None), "raised"),
        total(on_time, "on_time"),
        total(and_(done, or_(Action.completed_on.is_(None),
                             Action.completed_on > Action.due_on)), "late"),
        total(and_(Action.status == "open", Action.due_on < today), "overdue"),
        total(and_(Action.status == "open", Action.due_on >= today), "not_yet_due"),
        total(Action.status == "cancelled", "cancelled"),
    ]


def follow_through(row) -> FollowThrough:
    return FollowThrough(raised=int(row.raised), on_time=int(row.on_time), late=int(row.late),
                         overdue=int(row.overdue), not_yet_due=int(row.not_yet_due),
                         cancelled=int(row.cancelled))
