from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.reminders.lifecycle import ReminderStatus
from mdt.timeutil import utcnow


class Reminder(db.Model):
    """One email in the outbox. The unique key (kind, subject, recipient, occasion) is what
    makes the planner safe to run any number of times: the same reminder is never queued
    twice, and a moved meeting (a new occasion) gets reminders of its own."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("kind", "subject", "recipient", "occasion",
                         name="uq_reminders_key"),
        Index("ix_reminders_status_due_at", "status", "due_at"),
        Index("ix_reminders_expires_at", "expires_at"),
        one_of("status", ReminderStatus),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str] = mapped_column(String(80))  # "meeting:12", "user:5", ...
    recipient: Mapped[str] = mapped_column(String(254))  # email, lower case
    occasion: Mapped[str] = mapped_column(String(80), default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True,
                                                index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    payload: Mapped[dict] = mapped_column(JSON, default=dict)  # plain data, never PID
    title: Mapped[str] = mapped_column(String(200), default="")  # the email's subject line
    status: Mapped[str] = mapped_column(String(12), default="pending")
    due_at = mapped_column(UTCDateTime, nullable=False)
    expires_at = mapped_column(UTCDateTime, nullable=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    queued_at = mapped_column(UTCDateTime, nullable=True)
    claimed_at = mapped_column(UTCDateTime, nullable=True)
    claim_token: Mapped[str | None] = mapped_column(String(32), nullable=True)  # whose send
    next_attempt_at = mapped_column(UTCDateTime, nullable=True)
    sent_at = mapped_column(UTCDateTime, nullable=True)
    transport: Mapped[str] = mapped_column(String(10), default="")  # smtp / outbox
    message: Mapped[str | None] = mapped_column(Text, nullable=True)  # development outbox
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)

    @property
    def is_failed(self) -> bool:
        return self.status == ReminderStatus.FAILED

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.subject, self.recipient, self.occasion)


class ReminderSettings(db.Model):
    """A team's choice of what is reminded: {topic: true/false}; missing topics are on."""

    __tablename__ = "reminder_settings"

    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), primary_key=True)
    topics: Mapped[dict] = mapped_column(JSON, default=dict)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow, nullable=False)


class ReminderOptOut(db.Model):
    """Someone who unsubscribed from one topic (by the signed link in an email)."""

    __tablename__ = "reminder_opt_outs"
    __table_args__ = (UniqueConstraint("email", "topic"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254))
    topic: Mapped[str] = mapped_column(String(30))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
