from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow

ROLES = ("chair", "member")


class Team(db.Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    # Months from one Holistic Needs Assessment to the next review.
    review_interval_months: Mapped[int] = mapped_column(Integer, default=6)
    # The timed agenda: minutes a case takes by urgency, and when a list is too long.
    minutes_urgent: Mapped[int] = mapped_column(Integer, default=15, server_default="15")
    minutes_soon: Mapped[int] = mapped_column(Integer, default=10, server_default="10")
    minutes_routine: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    case_limit: Mapped[int] = mapped_column(Integer, default=20, server_default="20")
    minutes_limit: Mapped[int] = mapped_column(Integer, default=60, server_default="60")

    def minutes_for(self, urgency: str) -> int:
        return {"urgent": self.minutes_urgent, "soon": self.minutes_soon}.get(
            urgency, self.minutes_routine)

    memberships = relationship("Membership", back_populates="team", lazy="raise")


class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")

    team = relationship("Team", back_populates="memberships", lazy="raise")
    user = relationship("User", back_populates="memberships", lazy="raise")
