from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow

ACTIONS = ("view", "create", "change", "delete", "export", "sign_in")


class AuditEvent(db.Model):
    """Who did what to which record, when. Rows are only ever added."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    role: Mapped[str] = mapped_column(String(20), default="")
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True, index=True)
    action: Mapped[str] = mapped_column(String(20))
    record_type: Mapped[str] = mapped_column(String(40))
    record_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    # The patient the event concerns, whatever the record (a case, an action, a visit...):
    # what "who looked at Mrs X's record?" is answered by. No foreign key: the trail
    # outlives any row it names.
    patient_id: Mapped[int | None] = mapped_column(nullable=True, index=True)
    outcome: Mapped[str] = mapped_column(String(20), default="ok")  # ok / refused
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)  # from where
    # The tamper-evident chain (mdt/audit/chain.py).
    prev_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
