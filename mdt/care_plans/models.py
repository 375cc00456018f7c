"""The patient's own care and support plan: each version as it was given, kept whole (the
plain-English text is frozen when the version is made, so what the patient holds can always
be shown again), with the date it was given to them."""

from sqlalchemy import JSON, Date, Float, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


class CarePlanVersion(db.Model):
    __tablename__ = "care_plan_versions"
    __table_args__ = (UniqueConstraint("patient_id", "team_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, 3 ... for this patient and team
    content: Mapped[dict] = mapped_column(JSON, default=dict)  # mdt.care_plans.content.build
    reading_grade: Mapped[float] = mapped_column(Float, default=0.0)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    given_on = mapped_column(Date, nullable=True)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
