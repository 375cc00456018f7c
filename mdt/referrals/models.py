from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime, one_of
from mdt.extensions import db
from mdt.referrals.lifecycle import OPEN, ReferralStatus
from mdt.timeutil import utcnow

STATUSES = {"sent": "Waiting for triage", "more_info": "More information asked for",
            "accepted": "Accepted", "declined": "Declined", "withdrawn": "Withdrawn"}
EVENT_KINDS = {"sent": "Sent", "more_info": "More information asked for",
               "resent": "Sent again with more information", "accepted": "Accepted",
               "declined": "Declined", "withdrawn": "Withdrawn"}


class Referral(db.Model):
    """A team member's request that the MDT discuss a patient: the question, background,
    what has been tried, urgency, presenter, preferred meeting date; triaged by a chair."""

    __tablename__ = "referrals"
    __table_args__ = (one_of("status", ReferralStatus),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("patients.id"), index=True)
    referrer_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    question: Mapped[str] = mapped_column(Text)
    background: Mapped[str] = mapped_column(Text, default="")
    tried: Mapped[str] = mapped_column(Text, default="")
    urgency: Mapped[str] = mapped_column(String(10), default="routine")
    presenter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    preferred_date = mapped_column(Date, nullable=True)  # None: the next meeting
    status: Mapped[str] = mapped_column(String(20), default="sent", index=True)
    reply: Mapped[str] = mapped_column(Text, default="")  # the chair's latest message
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), nullable=True,
                                                index=True)
    meeting_id: Mapped[int | None] = mapped_column(ForeignKey("meetings.id"), nullable=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]

    @property
    def is_open(self) -> bool:
        """Waiting for triage or for more information: it can still change."""
        return self.status in OPEN

    @property
    def is_waiting(self) -> bool:
        """Sent, waiting for a chair's triage."""
        return self.status == ReferralStatus.SENT

    @property
    def needs_more_info(self) -> bool:
        return self.status == ReferralStatus.MORE_INFO

    @property
    def is_accepted(self) -> bool:
        return self.status == ReferralStatus.ACCEPTED

    @property
    def is_returned(self) -> bool:
        """Back with the referrer: more information asked for, or declined."""
        return self.status in (ReferralStatus.MORE_INFO, ReferralStatus.DECLINED)

    @property
    def shows_reply(self) -> bool:
        """The chair's reply belongs to its status (more asked for, declined, accepted)."""
        return self.status in (ReferralStatus.MORE_INFO, ReferralStatus.DECLINED,
                               ReferralStatus.ACCEPTED)


class ReferralEvent(db.Model):
    """The referral's history: sent, asked for more, sent again, accepted or declined."""

    __tablename__ = "referral_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    kind: Mapped[str] = mapped_column(String(20))
    message: Mapped[str] = mapped_column(Text, default="")
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    @property
    def kind_label(self) -> str:
        return EVENT_KINDS[self.kind]
