from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

# A member's role on a team and the membership itself are access control: they live in
# mdt.auth.models (auth.scope reads them), re-exported here for the team's code.
from mdt.auth.models import ROLES, Membership  # noqa: F401
from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow


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
