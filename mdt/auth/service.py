"""Passwords, sign-in throttling and server-side sessions: plain functions, no request."""

import secrets
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from zxcvbn import zxcvbn

from mdt.auth.models import Membership, SignInAttempt, User, UserSession
from mdt.extensions import db
from mdt.timeutil import utcnow

# argon2id with argon2-cffi's defaults (t=3, m=64 MiB, p=4): above OWASP's minimum.
_hasher = PasswordHasher()
# Verified when the email is unknown, so both paths cost the same time.
_DUMMY_HASH = _hasher.hash("not-a-real-password-0000")

MIN_PASSWORD_LENGTH = 12


class PasswordPolicyError(ValueError):
    pass


# Words anyone would try first against an NHS neighbourhood team: zxcvbn scores a password
# as if the attacker knows them (with the user's own name, email and teams).
CONTEXT_WORDS = ("nhs", "mdt", "neighbourhood", "password", "welcome", "summer", "winter",
                 "spring", "autumn", "january", "february", "march", "april", "may", "june",
                 "july", "august", "september", "october", "november", "december", "monday",
                 "friday", "cancer", "macmillan", "hospice", "nurse", "matron", "doctor")
# zxcvbn's score 3 still let "Summer2026!!" through (guesses ~10^8); 4 means >= 10^10.
MIN_SCORE = 4


def check_password_policy(password: str, *, email: str = "", name: str = "",
                          teams: tuple = ()) -> None:
    """At least 12 characters and hard to guess by zxcvbn's estimate (its own frequency
    lists of passwords, words, names, keyboard patterns and dates), with the user's name,
    email, teams and the common words above as context (NCSC / NIST SP 800-63B)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise PasswordPolicyError(f"Password must be at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 200:
        raise PasswordPolicyError("Password must be 200 characters or fewer")
    context = [*CONTEXT_WORDS, *email.lower().replace("@", ".").split("."),
               *name.lower().split(), *(word for team in teams for word in team.lower().split())]
    lowered = password.lower()
    personal = [part for part in [*email.lower().split("@")[0].split("."), *name.lower().split()]
                if len(part) >= 4]
    if any(part in lowered for part in personal):  # zxcvbn misses a name between dashes
        raise PasswordPolicyError("Your password must not contain your name or email address")
    result = zxcvbn(password, user_inputs=[w for w in context if len(w) >= 3])
    if result["score"] < MIN_SCORE:
        raise PasswordPolicyError("This password is too easy to guess: choose a less "
                                  "predictable one, for example three or four random words")


def hash_password(password: str, *, email: str = "", name: str = "", teams: tuple = ()) -> str:
    check_password_policy(password, email=email, name=name, teams=teams)
    return _hasher.hash(password)


def verify_password(user: User | None, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash if user else _DUMMY_HASH, password) and bool(user)
    except (VerificationError, InvalidHashError):
        return False


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def find_user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def is_throttled(email: str, address: str, *, window: timedelta, per_account: int,
                 per_address: int, now: datetime | None = None) -> bool:
    """True while too many failures sit inside the window. Refused tries are not counted,
    so a colleague's account opens again at most one window after the last real failure."""
    since = (now or utcnow()) - window
    count = select(func.count()).select_from(SignInAttempt).where(SignInAttempt.at > since)
    by_account = db.session.scalar(count.where(SignInAttempt.email == normalise_email(email)))
    by_address = db.session.scalar(count.where(SignInAttempt.address == address))
    return by_account >= per_account or by_address >= per_address


def record_failure(email: str, address: str) -> None:
    db.session.add(SignInAttempt(email=normalise_email(email)[:254], address=address[:64]))


def start_session(user: User, *, method: str = "password", acr: str = "",
                  amr: list | None = None, id_token: str | None = None,
                  provider_sid: str | None = None) -> str:
    """A new server-side session; how it began (a password, or which OpenID provider with
    what assurance) stays on it for the permission checks and the provider's logout."""
    token = secrets.token_urlsafe(32)
    db.session.add(UserSession(token=token, user_id=user.id, method=method, acr=acr,
                               amr=list(amr or ()), id_token=id_token,
                               provider_sid=provider_sid))
    return token


def end_session(token: str | None) -> UserSession | None:
    """Revokes the session; returns its row (the caller may end the provider's session too)."""
    if token:
        session_row = db.session.scalar(select(UserSession).where(UserSession.token == token))
        if session_row and session_row.revoked_at is None:
            session_row.revoked_at = utcnow()
        return session_row
    return None


def end_all_sessions(user_id: int) -> None:
    for row in db.session.scalars(select(UserSession).where(
            UserSession.user_id == user_id, UserSession.revoked_at.is_(None))):
        row.revoked_at = utcnow()


def live_session(token: str | None, user_id: int, *, idle: timedelta, absolute: timedelta,
                 now: datetime | None = None) -> UserSession | None:
    """The session row if it is still valid; revokes it when it has timed out."""
    if not token:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token == token))
    if row is None or row.user_id != user_id or row.revoked_at is not None:
        return None
    now = now or utcnow()
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.revoked_at = now  # the caller commits (the sign-in check, a view)
        return None
    return row


def signed_in(token: str | None, user_id: int, *, idle: timedelta, absolute: timedelta,
              extra=(), now: datetime | None = None):
    """Everything a signed-in request needs to know about who asks, in one query, read
    fresh from the database each time (nothing of it is cached: a revoked session or a
    removed membership counts at once): the session row (revoked here when it has timed
    out), the user, {team id: role} of their memberships, their teams, and the values of
    `extra` (scalar subqueries a caller adds: the header's counts, the audit chain's head).

    Returns (session row, user, roles, teams, extra values), or None when the session is
    not valid (unknown, another user's, revoked or timed out: the caller commits a timeout's
    revocation) or the user is inactive."""
    if not token:
        return None
    team = Membership.team.property.mapper.class_  # (teams sit above auth: not imported)
    rows = db.session.execute(
        select(UserSession, User, Membership.team_id, Membership.role, team, *extra)
        .join(User, User.id == UserSession.user_id)
        .outerjoin(Membership, Membership.user_id == User.id)
        .outerjoin(team, team.id == Membership.team_id)
        .where(UserSession.token == token, UserSession.user_id == user_id)).all()
    if not rows:
        return None
    row, user = rows[0][0], rows[0][1]
    if row.revoked_at is not None:
        return None
    now = now or utcnow()
    if now - row.last_seen_at > idle or now - row.created_at > absolute:
        row.revoked_at = now  # the caller commits (the sign-in check, a view)
        return None
    if not user.is_active:
        return None
    roles = {found[2]: found[3] for found in rows if found[2] is not None}
    teams = sorted((found[4] for found in rows if found[4] is not None),
                   key=lambda t: t.name)
    return row, user, roles, teams, tuple(rows[0][5:])


def change_password(user: User, current: str, new: str, confirm: str, teams: tuple = ()) -> str:
    """Returns the new session token: every other session of the user ends here."""
    if not verify_password(user, current):
        raise PasswordPolicyError("Your current password is not correct")
    if new != confirm:
        raise PasswordPolicyError("The new passwords do not match")
    if new == current:
        raise PasswordPolicyError("Choose a password different from your current one")
    user.password_hash = hash_password(new, email=user.email, name=user.name, teams=teams)
    end_all_sessions(user.id)
    return start_session(user)
