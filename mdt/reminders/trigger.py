"""When the planner runs: in a thread of each worker process (beside, not instead of, its
sending), every REMINDER_PLAN_INTERVAL seconds and within a second of a web change that
needs immediate notice (plan_soon sets DIRTY_KEY). One planner runs at a time across all
workers: it holds a lease in Redis with a time-to-live of one interval, so a worker killed
mid-pass blocks the next pass for at most one interval (a fixed-id RQ job left "started"
by a killed worker used to block it for as long as RQ took to notice)."""

import json
import logging
import uuid
from itertools import chain

from flask import current_app, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from mdt.queue import redis_connection
from mdt.reminders.jobs import DIRTY_KEY, LAST_PLAN_KEY

TICK_SECONDS = 1.0  # how often a worker's planner thread looks for work (one Redis read)

log = logging.getLogger(__name__)

TICK_KEY = "mdt:reminders:tick"
LEASE_KEY = "mdt:reminders:planner-lease"
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""
_FLAG = "mdt_reminders_changed"
_installed = False


def plan_soon(app) -> bool:
    """Ask for a planner run now (a worker's planner thread sees it within a second).
    Never raises: with Redis down the periodic planner catches up when it is back. Returns
    whether the request reached Redis."""
    try:
        with app.app_context():
            redis_connection().set(DIRTY_KEY, "1")
        return True
    except Exception as exc:  # noqa: BLE001 - Redis down must not break the web app
        log.warning("reminders: could not ask for a planner run (%s: %s)",
                    type(exc).__name__, exc)
        return False


def tick(app, redis=None) -> bool:
    """Runs a planner pass here if one is due (the interval has passed since the last, or
    a change asked for one) and no other worker holds the lease. True if it ran."""
    with app.app_context():
        redis = redis or redis_connection()
        interval = max(int(app.config["REMINDER_PLAN_INTERVAL"]), 1)
        if not (redis.exists(DIRTY_KEY) or not redis.exists(TICK_KEY)):
            return False
        token = uuid.uuid4().hex
        if not redis.set(LEASE_KEY, token, nx=True, ex=interval):
            return False  # another planner is at work (or died: its lease runs out)
        try:
            redis.set(TICK_KEY, "1", ex=interval)
            run_planner(redis)
        finally:
            redis.eval(_RELEASE, 1, LEASE_KEY, token)
        return True


def run_planner(redis) -> dict:
    """Planner passes until no change came in during the last one (at most three)."""
    from mdt.extensions import db
    from mdt.reminders import outbox

    summary = {}
    for _ in range(3):
        redis.delete(DIRTY_KEY)
        db.session.remove()
        summary = outbox.run(redis=redis).as_dict()
        redis.set(LAST_PLAN_KEY, json.dumps(summary))
        if not redis.exists(DIRTY_KEY):
            break
    db.session.remove()
    return summary


# --- a web change that matters asks for a plan at once ---------------------------------

def _watched():
    from mdt.actions.models import Action
    from mdt.meetings.models import Invitee, Meeting, MeetingSeries
    from mdt.patients.models import PatientTeam
    from mdt.visits.models import Notification, Visit
    # PatientTeam: a death or discharge sets HNA review reminders aside at once.
    return (Meeting, MeetingSeries, Invitee, Action, PatientTeam, Visit, Notification)


def _after_flush(session, flush_context):
    *changed, notification = _watched()
    if any(isinstance(obj, tuple(changed)) for obj in chain(session.new, session.dirty,
                                                             session.deleted)) \
            or any(isinstance(obj, notification) for obj in session.new):
        session.info[_FLAG] = True  # (a notice marked read needs no plan)


def _after_commit(session):
    if not session.info.pop(_FLAG, False) or not has_request_context():
        return
    app = current_app._get_current_object()
    if "mdt_reminders" in app.extensions and app.config.get("REMINDER_PLAN_ON_COMMIT"):
        plan_soon(app)


def _after_rollback(session):
    session.info.pop(_FLAG, None)


def install_listeners() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(
        session))
    _installed = True
