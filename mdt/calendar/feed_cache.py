"""Feeds served from a cache keyed by a cheap version.

Every committed change that can alter a team's calendars (meetings, series, invitees,
cases, actions, visits, memberships: the same rows the reminder planner watches) adds
one to that team's counter in Redis; a change that names no team (a user's name, say)
adds one to a counter every feed reads. A feed's version is a hash of those counters for
its teams, the day (what a feed holds moves with the date), the layout's FORMAT and the
feed link itself (so two links never share an entry). A calendar app asking again with
that version as its ETag is answered 304 from a few Redis reads; otherwise the body
built for the version is served from Redis, and built only when none is stored.

Redis down: nothing is cached and every request builds the feed, as before. A counter
bump lost to an outage could leave a stale entry: entries live TTL_SECONDS at most."""

import hashlib
import logging
from datetime import date

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from mdt.queue import redis_connection

log = logging.getLogger(__name__)

ALL_KEY = "mdt:feeds:v:all"
TEAM_KEY = "mdt:feeds:v:team:{}"
BODY_KEY = "mdt:feeds:body:{}"
TTL_SECONDS = 6 * 3600
_FLAG = "mdt_feed_teams"
_installed = False


def version(token_hash: str, team_ids, today: date, layout: str) -> str | None:
    """The feed's current version, or None when Redis cannot be read."""
    keys = [ALL_KEY, *(TEAM_KEY.format(team) for team in sorted(team_ids))]
    try:
        counters = redis_connection().mget(keys)
    except Exception as exc:  # noqa: BLE001 - Redis down: serve uncached
        log.warning("feeds: no version (%s)", type(exc).__name__)
        return None
    parts = [layout, token_hash, today.isoformat(),
             *(f"{key}={int(value or 0)}" for key, value in zip(keys, counters, strict=True))]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]


def load(version_key: str) -> tuple[bytes, str] | None:
    """(body, Last-Modified text) stored for a version, or None."""
    try:
        body, modified = redis_connection().hmget(BODY_KEY.format(version_key),
                                                  ["body", "modified"])
    except Exception:  # noqa: BLE001
        return None
    if body is None or modified is None:
        return None
    return body, modified.decode()


def store(version_key: str, body: bytes, modified: str) -> None:
    try:
        with redis_connection().pipeline() as pipe:
            key = BODY_KEY.format(version_key)
            pipe.hset(key, mapping={"body": body, "modified": modified})
            pipe.expire(key, TTL_SECONDS)
            pipe.execute()
    except Exception:  # noqa: BLE001 - the next request builds it again
        pass


def bump(teams: set) -> None:
    """One more on each changed team's counter (None: the counter every feed reads)."""
    try:
        with redis_connection().pipeline(transaction=False) as pipe:
            for team in teams:
                pipe.incr(ALL_KEY if team is None else TEAM_KEY.format(team))
            pipe.execute()
    except Exception as exc:  # noqa: BLE001 - a change must never fail for a cache
        log.warning("feeds: could not mark %d teams changed (%s)", len(teams),
                    type(exc).__name__)


# --- a committed change moves the versions ----------------------------------------------

def _after_flush(session, flush_context):
    # Which teams a flush changed is the reminders' question too: reminders.init_app lends
    # its answer (None for "any team"), so calendars import nothing of reminders.
    changed = current_app.extensions.get("mdt_changed_teams") if has_app_context() else None
    teams = changed(session) if changed is not None else None
    if teams:
        session.info.setdefault(_FLAG, set()).update(teams)


def _after_commit(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the transaction's own commit moves the versions
    teams = session.info.pop(_FLAG, None)
    if teams and has_app_context() and "mdt_feed_cache" in current_app.extensions:
        bump(teams)


def _after_rollback(session, previous):
    if previous.parent is None:  # a SAVEPOINT's (or a flush's) rollback leaves the rest
        session.info.pop(_FLAG, None)


def install(app) -> None:
    global _installed
    app.extensions["mdt_feed_cache"] = True
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", _after_rollback)
    _installed = True
