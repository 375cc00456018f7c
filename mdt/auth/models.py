from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db
from mdt.timeutil import utcnow

PROFESSIONS = {
    "community_matron": "Community matron",
    "district_nurse": "District nurse",
    "gp": "GP",
    "social_worker": "Social worker",
    "cns_macmillan": "CNS / Macmillan nurse",
    "support_worker": "Support worker / navigator",
    "hospice_nurse": "Hospice nurse",
    "mental_health": "Mental health",
    "paramedic": "Paramedic",
    "voluntary_sector": "Voluntary sector",
    "other": "Other",
}

ROLES = ("chair", "member")  # a member's role on a team

SKILLS = {
    "syringe_driver": "Syringe driver",
    "wound_care": "Wound care",
    "injections": "Injections",
    "bloods": "Bloods",
    "catheter_care": "Catheter care",
    "medication_review": "Medication review",
    "hna": "Holistic Needs Assessment",
    "wellbeing": "Wellbeing check",
}


class User(db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    password_hash: Mapped[str] = mapped_column(String(200))
    profession: Mapped[str] = mapped_column(String(40), default="other")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    skills: Mapped[list] = mapped_column(JSON, default=list)
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)

    memberships = relationship("Membership", back_populates="user", lazy="raise")

    # Flask-Login protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return str(self.id)

    @property
    def profession_label(self) -> str:
        return PROFESSIONS.get(self.profession, self.profession)


class UserSession(db.Model):
    """A server-side session: sign-out revokes it, so a replayed cookie is refused."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow, nullable=False)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    # How the session began: "password", or the OpenID provider's name; with the assurance
    # the provider reported (acr, amr), the ID token for RP-initiated logout (the
    # id_token_hint) and the provider's session id (sid) for back-channel logout.
    method: Mapped[str] = mapped_column(String(20), default="password",
                                        server_default="password")
    acr: Mapped[str] = mapped_column(String(100), default="", server_default="")
    amr: Mapped[list] = mapped_column(JSON, default=list, nullable=True)
    id_token: Mapped[str | None] = mapped_column(Text, nullable=True)
    provider_sid: Mapped[str | None] = mapped_column(String(255), nullable=True, index=True)


class SignInAttempt(db.Model):
    """Failed sign-ins, counted per account and per address to slow guessing."""

    __tablename__ = "sign_in_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at = mapped_column(UTCDateTime, default=utcnow, nullable=False, index=True)


# A user's role on a team (mdt.teams.models.Team): what team scoping (auth.scope) reads.
class Membership(db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")

    team = relationship("Team", back_populates="memberships", lazy="raise")
    user = relationship("User", back_populates="memberships", lazy="raise")
