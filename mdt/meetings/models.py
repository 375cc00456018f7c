from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.meetings.lifecycle import OPEN_MEETING, CaseStatus, MeetingStatus
from mdt.timeutil import utcnow

MEETING_STATUSES = {"scheduled": "Scheduled", "in_progress": "In progress",
                    "finished": "Finished", "cancelled": "Cancelled"}
URGENCIES = {"urgent": "Urgent", "soon": "Soon", "routine": "Routine"}
CASE_STATUSES = {"listed": "To discuss", "discussed": "Discussed", "deferred": "Deferred",
                 "removed": "Removed", "carried_forward": "Carried forward"}
ATTENDANCE = {"invited": "Not recorded", "present": "Present", "apologies": "Apologies",
              "absent": "Absent"}


class MeetingSeries(db.Model):
    """A recurring meeting ("every month on the second Tuesday, 12:30-14:00") as an RRULE.
    Occurrences become Meeting rows when first opened, moved or cancelled."""

    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    rrule: Mapped[str] = mapped_column(String(200))
    first_date = mapped_column(Date, nullable=False)
    start_time = mapped_column(Time, nullable=False)  # UK local time
    end_time = mapped_column(Time, nullable=False)
    location: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    guest_emails: Mapped[list] = mapped_column(JSON, default=list)
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class Meeting(db.Model):
    __tablename__ = "meetings"
    __table_args__ = (UniqueConstraint("series_id", "occurrence_date"),
                      one_of("status", MeetingStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    series_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"), nullable=True)
    occurrence_date = mapped_column(Date, nullable=True)  # the series date it stands for
    title: Mapped[str] = mapped_column(String(120))
    starts_at = mapped_column(UTCDateTime, nullable=False, index=True)
    ends_at = mapped_column(UTCDateTime, nullable=False)
    location: Mapped[str] = mapped_column(String(200), default="")
    video_url: Mapped[str] = mapped_column(String(500), default="")
    chair_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    uid: Mapped[str] = mapped_column(String(80), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    started_at = mapped_column(UTCDateTime, nullable=True)  # when live mode began
    finished_at = mapped_column(UTCDateTime, nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return MEETING_STATUSES[self.status]

    # What the pages ask of a meeting's lifecycle (mdt/meetings/lifecycle.py).
    @property
    def is_scheduled(self) -> bool:
        return self.status == MeetingStatus.SCHEDULED

    @property
    def is_in_progress(self) -> bool:
        return self.status == MeetingStatus.IN_PROGRESS

    @property
    def is_finished(self) -> bool:
        return self.status == MeetingStatus.FINISHED

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED

    @property
    def is_open(self) -> bool:
        """Still to run or running: it can be started, joined or sent apologies for."""
        return self.status in OPEN_MEETING


class Invitee(db.Model):
    """A person invited to a meeting (a team member or a guest by email), with attendance."""

    __tablename__ = "invitees"
    __table_args__ = (UniqueConstraint("meeting_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120), default="")
    attendance: Mapped[str] = mapped_column(String(20), default="invited")
    walk_in: Mapped[bool] = mapped_column(Boolean, default=False)

    @property
    def sent_apologies(self) -> bool:
        return self.attendance == "apologies"

    @property
    def attendance_recorded(self) -> bool:
        return self.attendance != "invited"


class Case(db.Model):
    """One patient on one meeting's case list."""

    __tablename__ = "cases"
    __table_args__ = (UniqueConstraint("meeting_id", "patient_id"), one_of("status", CaseStatus))

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    reason: Mapped[str] = mapped_column(Text)
    urgency: Mapped[str] = mapped_column(String(10), default="routine")
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    referred_by: Mapped[str] = mapped_column(String(120), default="")
    status: Mapped[str] = mapped_column(String(20), default="listed")
    removed_reason: Mapped[str] = mapped_column(Text, default="")
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True)
    discussed_at = mapped_column(UTCDateTime, nullable=True)
    # The timed agenda: expected discussion time, and a break after this case.
    minutes: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    break_after: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return CASE_STATUSES[self.status]

    @property
    def is_listed(self) -> bool:
        return self.status == CaseStatus.LISTED

    @property
    def is_discussed(self) -> bool:
        return self.status == CaseStatus.DISCUSSED

    @property
    def is_deferred(self) -> bool:
        return self.status == CaseStatus.DEFERRED

    @property
    def is_removed(self) -> bool:
        return self.status == CaseStatus.REMOVED

    @property
    def urgency_label(self) -> str:
        return URGENCIES.get(self.urgency, self.urgency)


class CaseDraft(db.Model):
    """What a chair has typed into a case's form and not yet saved, kept as she types so a
    reload, a swap, a lost connection or another device loses nothing. One per person per
    case; deleted when she saves."""

    __tablename__ = "case_drafts"
    __table_args__ = (UniqueConstraint("case_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    notes: Mapped[str] = mapped_column(Text, default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    decisions: Mapped[str] = mapped_column(Text, default="")
    case_version: Mapped[int] = mapped_column(Integer)  # the case as she saw it
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)


class DeathReview(db.Model):
    """The team's short reflective review of a death, at the first meeting after it."""

    __tablename__ = "death_reviews"
    __table_args__ = (UniqueConstraint("meeting_id", "patient_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"))
    went_well: Mapped[str] = mapped_column(Text, default="")
    would_change: Mapped[str] = mapped_column(Text, default="")
    recorded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
