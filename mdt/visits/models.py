from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.timeutil import utcnow
from mdt.visits.lifecycle import VisitStatus

WINDOWS = {"morning": "Morning", "afternoon": "Afternoon", "evening": "Evening",
           "timed": "At a set time"}
VISIT_STATUSES = {"planned": "Planned", "done": "Done", "cancelled": "Cancelled",
                  "merged": "Merged"}
DEFAULT_TASKS = (  # name, skill, minutes
    ("Syringe driver change", "syringe_driver", 30), ("Dressing", "wound_care", 30),
    ("Injection", "injections", 15), ("Bloods", "bloods", 15),
    ("Catheter care", "catheter_care", 30), ("Medication review", "medication_review", 30),
    ("Wellbeing check", "wellbeing", 20),
)


def when_label(window: str, at_time) -> str:
    """'Morning', or '10:30' for a visit at a set time."""
    if window == "timed" and at_time:
        return f"{at_time:%H:%M}"
    return WINDOWS.get(window, window)


class TaskType(db.Model):
    """The team's catalogue of visit tasks, each needing one skill."""

    __tablename__ = "task_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    name: Mapped[str] = mapped_column(String(80))
    skill: Mapped[str] = mapped_column(String(40))
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Visit(db.Model):
    __tablename__ = "visits"
    __table_args__ = (
        one_of("status", VisitStatus),
        # A team's day (the board, merge suggestions): its rows alone, not the whole ICB's
        # day nor the team's whole history (EXPLAIN in bench/merge_suggestions_db.py).
        Index("ix_visits_team_day", "team_id", "day"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    professional_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    day = mapped_column(Date, nullable=False, index=True)
    window: Mapped[str] = mapped_column(String(10), default="morning")
    at_time = mapped_column(Time, nullable=True)
    minutes: Mapped[int] = mapped_column(Integer, default=30)
    status: Mapped[str] = mapped_column(String(10), default="planned")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return VISIT_STATUSES[self.status]

    @property
    def is_planned(self) -> bool:
        """Only a planned visit can be changed, cancelled or merged."""
        return self.status == VisitStatus.PLANNED

    @property
    def when_label(self) -> str:
        return when_label(self.window, self.at_time)


class VisitTask(db.Model):
    """A task on a visit; `from_visit_id` marks a task brought in by a merge."""

    __tablename__ = "visit_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    task_type_id: Mapped[int] = mapped_column(ForeignKey("task_types.id"))
    from_visit_id: Mapped[int | None] = mapped_column(ForeignKey("visits.id"), nullable=True)


class VisitMerge(db.Model):
    """One merge: the host visit, the visits folded into it, and what the host was before,
    so an unmerge restores everything exactly."""

    __tablename__ = "visit_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    host_visit_id: Mapped[int] = mapped_column(ForeignKey("visits.id"), index=True)
    merged_visit_ids: Mapped[list] = mapped_column(JSON)
    host_before: Mapped[dict] = mapped_column(JSON)
    day = mapped_column(Date, nullable=False)
    visits_saved: Mapped[int] = mapped_column(Integer)
    minutes_saved: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    undone_at = mapped_column(UTCDateTime, nullable=True)

