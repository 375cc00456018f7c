"""Invitations and linked identities: plain functions, no request. They add and flush; the
route commits."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from mdt import errors
from mdt.auth.actor import Actor
from mdt.auth.models import ROLES, Membership, User
from mdt.auth.oidc.models import Identity, Invitation
from mdt.auth.service import normalise_email
from mdt.extensions import db
from mdt.timeutil import utcnow

ASK_A_CHAIR = ("Ask the chair of your team to invite you: they can do it from their team's "
               "Invitations page. You will then be able to sign in with the same account.")


class Refused(errors.Refused):
    """A sign-in or a link that must not happen; the message is for the person."""


@dataclass(frozen=True)
class Claims:
    """What the app takes from a verified ID token."""
    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str
    acr: str
    amr: tuple[str, ...]
    sid: str


def claims_from(token: dict, issuer: str) -> Claims:
    amr = token.get("amr") or ()
    return Claims(issuer=issuer, subject=str(token["sub"]),
                  email=normalise_email(str(token.get("email") or ""))[:254],
                  email_verified=token.get("email_verified") is True,
                  name=str(token.get("name") or "").strip()[:120],
                  acr=str(token.get("acr") or "")[:100],
                  amr=tuple(str(m)[:40] for m in amr) if isinstance(amr, list) else (),
                  sid=str(token.get("sid") or "")[:255])


# Invitations

class InvitationError(errors.Refused, ValueError):
    def __init__(self, errors: dict):
        Exception.__init__(self, next(iter(errors.values())))  # str(): the message
        self.errors = errors


def invite(actor: Actor, team_id: int, *, email: str, name: str, role: str, days: int,
           now: datetime | None = None) -> Invitation:
    if not actor.is_chair(team_id):
        raise InvitationError({"email": "Only a chair of this team can invite"})
    email = normalise_email(email)
    if role not in ROLES:
        raise InvitationError({"role": "Choose member or chair"})
    existing = db.session.scalar(select(User).where(User.email == email))
    if existing is not None:
        raise InvitationError({"email": "This person already has an account. Ask an admin "
                                        "to add them to the team"})
    now = now or utcnow()
    for old in _live_invitations(email, now):
        if old.team_id == team_id:
            old.withdrawn_at = now  # a new invitation replaces the last one to this team
    invitation = Invitation(email=email, name=name.strip(), team_id=team_id, role=role,
                            invited_by_id=actor.user_id, created_at=now,
                            expires_at=now + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    return invitation


def withdraw(actor: Actor, invitation: Invitation, now: datetime | None = None) -> None:
    if not actor.is_chair(invitation.team_id):
        raise InvitationError({"email": "Only a chair of this team can withdraw an invitation"})
    if invitation.status(now or utcnow()) == "waiting":
        invitation.withdrawn_at = now or utcnow()


def _live_invitations(email: str, now: datetime) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.email == email, Invitation.accepted_at.is_(None),
        Invitation.withdrawn_at.is_(None), Invitation.expires_at > now)
        .order_by(Invitation.id)))


def team_invitations(team_id: int) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(Invitation.team_id == team_id)
                                   .order_by(Invitation.created_at.desc()).limit(200)))


# Sign-in and linking

def find_linked_user(claims: Claims) -> User | None:
    identity = db.session.scalar(select(Identity).where(
        Identity.issuer == claims.issuer, Identity.subject == claims.subject))
    if identity is None:
        return None
    identity.last_used_at = utcnow()
    return db.session.get(User, identity.user_id)


def _trusted_email(claims: Claims, trust_email: bool) -> str:
    return claims.email if claims.email and (claims.email_verified or trust_email) else ""


def accept_invitation(claims: Claims, provider: str, *, trust_email: bool,
                      now: datetime | None = None) -> User:
    """The first sign-in of an identity no account has: an account is made only for a live
    invitation to the email the provider vouches for (email_verified). Otherwise Refused."""
    now = now or utcnow()
    email = _trusted_email(claims, trust_email)
    if not email:
        raise Refused("Your organisation's sign-in did not confirm your email address, so "
                      "this service cannot tell who you are. " + ASK_A_CHAIR)
    invitations = _live_invitations(email, now)
    if not invitations:
        lapsed = db.session.scalar(select(Invitation).where(
            Invitation.email == email, Invitation.accepted_at.is_(None),
            Invitation.withdrawn_at.is_(None)).order_by(Invitation.id.desc()).limit(1))
        if lapsed is not None:
            inviter = db.session.get(User, lapsed.invited_by_id)
            raise Refused(f"Your invitation has expired. Ask {inviter.name} to invite you "
                          "again.")
        raise Refused(f"There is no account for {email} in this service. " + ASK_A_CHAIR)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Refused("An account with this email address already exists. Sign in with "
                      "your password, then link your organisation's account from Settings.")
    first = invitations[0]
    user = User(email=email, name=claims.name or first.name or email.split("@")[0],
                password_hash="")  # no password: "" never verifies
    db.session.add(user)
    db.session.flush()
    for invitation in invitations:  # every team that invited this person
        if not db.session.scalar(select(Membership.id).where(
                Membership.team_id == invitation.team_id, Membership.user_id == user.id)):
            db.session.add(Membership(team_id=invitation.team_id, user_id=user.id,
                                      role=invitation.role))
            db.session.flush()
        invitation.accepted_at = now
        invitation.accepted_by_id = user.id
    link(user, claims, provider)
    return user


def link(user: User, claims: Claims, provider: str) -> Identity:
    """Link the provider's (issuer, subject) to the user; refused when it belongs to someone
    else or the user already has another identity at this issuer."""
    taken = db.session.scalar(select(Identity).where(Identity.issuer == claims.issuer,
                                                     Identity.subject == claims.subject))
    if taken is not None:
        if taken.user_id == user.id:
            return taken
        raise Refused("This organisation account is already linked to another person's "
                      "account here. Ask your team's chair to check.")
    if db.session.scalar(select(Identity.id).where(Identity.user_id == user.id,
                                                   Identity.issuer == claims.issuer)):
        raise Refused("Your account is already linked to a different account at this "
                      "provider.")
    identity = Identity(user_id=user.id, provider=provider, issuer=claims.issuer,
                        subject=claims.subject, email_at_link=claims.email,
                        last_used_at=utcnow())
    db.session.add(identity)
    db.session.flush()
    return identity


def end_provider_sessions(provider: str, issuer: str, *, sid: str | None,
                          sub: str | None) -> int:
    """Back-channel logout: revoke the live sessions begun at this provider for the
    provider's session (sid) or, with only a subject, for every session of that identity."""
    from mdt.auth.models import UserSession

    query = select(UserSession).where(UserSession.method == provider,
                                      UserSession.revoked_at.is_(None))
    if sid:
        query = query.where(UserSession.provider_sid == sid)
    if sub:
        user_id = db.session.scalar(select(Identity.user_id).where(
            Identity.issuer == issuer, Identity.subject == sub))
        if user_id is None:
            return 0
        query = query.where(UserSession.user_id == user_id)
    rows = list(db.session.scalars(query))
    for row in rows:
        row.revoked_at = utcnow()
    return len(rows)


def identities_of(user_id: int) -> list[Identity]:
    return list(db.session.scalars(select(Identity).where(Identity.user_id == user_id)
                                   .order_by(Identity.id)))
