"""The reminders' outbox as the admin page reads it."""

from sqlalchemy import func, select

from mdt.extensions import db
from mdt.reminders.models import Reminder


def counts() -> dict[str, int]:
    return dict(db.session.execute(select(Reminder.status, func.count(Reminder.id))
                                   .group_by(Reminder.status)).all())


def listing(status: str | None, limit: int = 100) -> list[Reminder]:
    stmt = select(Reminder).order_by(Reminder.updated_at.desc(), Reminder.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Reminder.status == status)
    return list(db.session.scalars(stmt))
