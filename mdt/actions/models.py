from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mdt.actions.lifecycle import ActionStatus
from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.timeutil import utcnow

STATUSES = {"open": "Open", "done": "Done", "cancelled": "Cancelled"}
PRIORITIES = {"high": "High", "normal": "Normal", "low": "Low"}
LOG_KINDS = {
    "created": "Created", "reassigned": "Reassigned", "due_date_changed": "Due date changed",
    "priority_changed": "Priority changed", "note_added": "Note added",
    "completed": "Completed", "reopened": "Reopened", "cancelled": "Cancelled",
}


class Action(db.Model):
    """A task with one owner, a due date and a status; every change is in the action log."""

    __tablename__ = "actions"
    __table_args__ = (one_of("status", ActionStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    patient_id: Mapped[int | None] = mapped_column(ForeignKey("patients.id"), nullable=True,
                                                   index=True)
    case_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    description: Mapped[str] = mapped_column(Text)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_on = mapped_column(Date, nullable=False, index=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(10), default="open", index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    completed_at = mapped_column(UTCDateTime, nullable=True)
    # The UK date it was done, so "done by the due date" is one SQL comparison.
    completed_on = mapped_column(Date, nullable=True, index=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def is_open(self) -> bool:
        return self.status == ActionStatus.OPEN

    @property
    def is_done(self) -> bool:
        return self.status == ActionStatus.DONE

    @property
    def is_cancelled(self) -> bool:
        return self.status == ActionStatus.CANCELLED

    @property
    def priority_label(self) -> str:
        return PRIORITIES.get(self.priority, self.priority)


class ActionLogEntry(db.Model):
    """One change to an action. Rows are only ever added, never changed or deleted."""

    __tablename__ = "action_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("actions.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    old_value: Mapped[str] = mapped_column(Text, default="")
    new_value: Mapped[str] = mapped_column(Text, default="")

    @property
    def kind_label(self) -> str:
        return LOG_KINDS.get(self.kind, self.kind)
