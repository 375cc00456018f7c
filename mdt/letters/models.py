"""Outcome letters: one per patient discussed at a finished meeting, for their GP practice.
The letter's text is built from the meeting's record each time it is shown (so it is never a
stale copy); this row holds what the practice did with it: downloaded, filed."""

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


class OutcomeLetter(db.Model):
    __tablename__ = "outcome_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("meetings.id"), index=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    # The patient's registered practice when the meeting finished: whose letter it is.
    practice: Mapped[str] = mapped_column(String(120), default="", index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    first_downloaded_at = mapped_column(UTCDateTime, nullable=True)
    first_downloaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"),
                                                               nullable=True)
    filed_at = mapped_column(UTCDateTime, nullable=True)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}
