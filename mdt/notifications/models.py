"""The notifications' table (the reminders' outbox writes one per in-app reminder)."""

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


class Notification(db.Model):
    """An in-app notice to one user (a merge or cancellation that changes their day)."""

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    text: Mapped[str] = mapped_column(String(300))
    link: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(30), default="visit")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    read_at = mapped_column(UTCDateTime, nullable=True)
