"""Team settings, unsubscribing and in-app notifications: plain functions."""

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.notifications.models import Notification
from mdt.reminders import trigger
from mdt.reminders.kinds import DEFAULT_TOPICS, TOPICS
from mdt.reminders.models import Reminder, ReminderOptOut, ReminderSettings
from mdt.timeutil import utcnow


def team_topics(team_id: int) -> dict[str, bool]:
    row = db.session.get(ReminderSettings, team_id)
    return DEFAULT_TOPICS | {k: bool(v) for k, v in ((row.topics if row else {}) or {}).items()
                             if k in TOPICS}


def save_team_topics(actor: Actor, team_id: int, enabled: set[str]) -> dict[str, bool]:
    if team_id not in actor.team_ids or not actor.is_chair(team_id):
        raise NotFound("not a chair of this team")
    before = team_topics(team_id)
    topics = {topic: topic in enabled for topic in TOPICS}
    row = db.session.get(ReminderSettings, team_id)
    if row is None:
        row = ReminderSettings(team_id=team_id)
        db.session.add(row)
    row.topics, row.updated_by_id = topics, actor.user_id
    changes = audit.diff({k: before[k] for k in TOPICS}, topics)
    if changes:
        audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                     action="change", record_type="reminder_settings", record_id=team_id,
                     changes=changes)
    db.session.flush()
    return topics


def opt_out(email: str, topic: str) -> None:
    """Idempotent: unsubscribing twice is one opt-out."""
    if topic not in TOPICS:
        raise NotFound("unknown topic")
    email = email.lower()
    exists = db.session.scalar(select(ReminderOptOut.id).where(
        ReminderOptOut.email == email, ReminderOptOut.topic == topic))
    if exists:
        return
    try:
        with db.session.begin_nested():
            db.session.add(ReminderOptOut(email=email, topic=topic))
    except IntegrityError:  # the same link pressed twice at once: theirs is the opt-out
        pass


def is_opted_out(email: str, topic: str) -> bool:
    return db.session.scalar(select(ReminderOptOut.id).where(
        ReminderOptOut.email == email.lower(), ReminderOptOut.topic == topic)) is not None


def unread_count(user_id: int) -> int:
    return db.session.scalar(select(func.count(Notification.id)).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))) or 0


def latest(user_id: int, limit: int = 50) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user_id)
                                   .order_by(Notification.id.desc()).limit(limit)))


def mark_all_read(user_id: int) -> int:
    count = db.session.execute(update(Notification).where(
        Notification.user_id == user_id, Notification.read_at.is_(None))
        .values(read_at=utcnow())).rowcount
    return count


# --- the admin's buttons ----------------------------------------------------------------

def retry(reminder_id: int) -> bool:
    """An admin's retry of a failed row: pending again, attempts from zero. (If it is no
    longer due, the next planner run withdraws it instead.)"""
    changed = db.session.execute(update(Reminder).where(
        Reminder.id == reminder_id, Reminder.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=None, claim_token=None,
                last_error="Retried by an administrator", updated_at=utcnow())).rowcount
    return bool(changed)


def plan_soon() -> bool:
    """Ask the workers' planner for a pass now; False when Redis is not answering."""
    return trigger.plan_soon(current_app._get_current_object())
