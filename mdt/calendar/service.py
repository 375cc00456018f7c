"""Turning a subscription feed's secret link on and off: each change audited. (Reading a
feed is mdt.calendar.feeds, which writes nothing.)"""

import secrets
from datetime import datetime

from sqlalchemy import select

from mdt.audit import service as audit
from mdt.calendar.feeds import hash_token
from mdt.calendar.models import CalendarFeed
from mdt.extensions import db
from mdt.timeutil import utcnow


def _revoke_all(user_id: int, team_id: int | None, now: datetime) -> list[int]:
    stmt = select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))
    stmt = stmt.where(CalendarFeed.team_id == team_id) if team_id is not None else \
        stmt.where(CalendarFeed.user_id == user_id, CalendarFeed.team_id.is_(None))
    revoked = []
    for feed in db.session.scalars(stmt):
        feed.revoked_at = now
        revoked.append(feed.id)
    return revoked


def issue(user_id: int, team_id: int | None = None, role: str = "") -> str:
    """A new secret link (the old one stops working). Returns the token: show it once."""
    now = utcnow()
    replaced = _revoke_all(user_id, team_id, now)
    token = secrets.token_urlsafe(32)
    feed = CalendarFeed(user_id=user_id, team_id=team_id, token_hash=hash_token(token),
                        created_at=now)
    db.session.add(feed)
    db.session.flush()
    audit.record(user_id=user_id, role=role, team_id=team_id, action="create",
                 record_type="calendar_feed", record_id=feed.id,
                 changes={"replaced": replaced} if replaced else {})
    db.session.flush()
    return token


def revoke(user_id: int, team_id: int | None = None, role: str = "") -> bool:
    revoked = _revoke_all(user_id, team_id, utcnow())
    for feed_id in revoked:
        audit.record(user_id=user_id, role=role, team_id=team_id, action="delete",
                     record_type="calendar_feed", record_id=feed_id)
    db.session.flush()
    return bool(revoked)
