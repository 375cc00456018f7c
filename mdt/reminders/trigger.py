"""When the planner runs: in a process beside each worker's sending, every
REMINDER_PLAN_INTERVAL seconds and within a second of a web change that needs immediate
notice (plan_soon sets DIRTY_KEY). One planner runs at a time across all workers: it holds a
lease in Redis with a time-to-live of one interval, so a worker killed mid-pass blocks the
next pass for at most one interval (a fixed-id RQ job left "started" by a killed worker used
to block it for as long as RQ took to notice).

A pass is incremental: it plans only the teams a change named (TEAMS_KEY). A full pass runs
when a change names no team, when a time of day at which reminders fall due has passed,
and at least every REMINDER_FULL_PASS_SECONDS as a safety net."""

import json
import logging
import uuid
from datetime import datetime
from itertools import chain

from flask import current_app, has_request_context
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from mdt.queue import redis_connection
from mdt.reminders.jobs import DIRTY_KEY, LAST_PLAN_KEY
from mdt.reminders.planner import boundary_passed
from mdt.reminders.snapshot import VISIT_LINK
from mdt.timeutil import utcnow

TICK_SECONDS = 1.0  # how often a worker's planner thread looks for work (one Redis read)

log = logging.getLogger(__name__)

TICK_KEY = "mdt:reminders:tick"
LEASE_KEY = "mdt:reminders:planner-lease"
TEAMS_KEY = "mdt:reminders:dirty-teams"  # teams changed since the last pass
FULL_KEY = "mdt:reminders:dirty-full"  # a change that names no team: plan everything
LAST_FULL_KEY = "mdt:reminders:last-full"  # when the last full pass ran (ISO, UTC)
FULL = "*"  # in a session's set of changed teams: a change whose team is not known
_RELEASE = """if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0"""
_FLAG = "mdt_reminders_changed"
_installed = False


def plan_soon(app, teams=None) -> bool:
    """Ask for a planner run now (the planner process sees it within a second), of `teams`
    (ids) or, with None, of everything. Never raises: with Redis down the next full pass
    catches up when it is back. Returns whether the request reached Redis."""
    teams = set(teams) if teams is not None else {FULL}
    try:
        with app.app_context():
            with redis_connection().pipeline() as pipe:
                if FULL in teams:
                    pipe.set(FULL_KEY, "1")
                if teams - {FULL}:
                    pipe.sadd(TEAMS_KEY, *sorted(teams - {FULL}))
                pipe.set(DIRTY_KEY, "1")
                pipe.execute()
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
    from mdt.reminders import jobs

    summary = {}
    for _ in range(3):
        now = utcnow()
        teams = take_scope(redis, now)
        db.session.remove()
        try:
            summary = jobs.plan_pass(now=now, redis=redis, teams=teams).as_dict()
        except Exception:
            plan_again(redis, teams)  # nothing asked for is lost with a failed pass
            raise
        if teams is None:
            redis.set(LAST_FULL_KEY, now.isoformat())
        redis.set(LAST_PLAN_KEY, json.dumps(summary))
        if not redis.exists(DIRTY_KEY):
            break
    db.session.remove()
    return summary


def take_scope(redis, now: datetime) -> set[int] | None:
    """The teams this pass plans (taken, so a change arriving during the pass asks again),
    or None for a full pass."""
    with redis.pipeline() as pipe:  # MULTI: read and clear together
        pipe.get(FULL_KEY).smembers(TEAMS_KEY).get(LAST_FULL_KEY)
        pipe.delete(FULL_KEY, TEAMS_KEY, DIRTY_KEY)
        full, teams, last_full, _ = pipe.execute()
    every = int(current_app.config["REMINDER_FULL_PASS_SECONDS"])
    if full or not last_full:
        return None
    last = datetime.fromisoformat(last_full.decode() if isinstance(last_full, bytes)
                                  else last_full)
    if (now - last).total_seconds() >= every or boundary_passed(last, now):
        return None
    return {int(team) for team in teams}


def plan_again(redis, teams: set[int] | None) -> None:
    with redis.pipeline() as pipe:
        if teams is None:
            pipe.set(FULL_KEY, "1")
        elif teams:
            pipe.sadd(TEAMS_KEY, *sorted(teams))
        pipe.set(DIRTY_KEY, "1")
        pipe.execute()


# --- a web change that matters asks for a plan at once ---------------------------------

def _models():
    from mdt.actions.models import Action
    from mdt.auth.models import User
    from mdt.auth.oidc.models import Invitation
    from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
    from mdt.notifications.models import Notification
    from mdt.patients.models import Hna, Patient, PatientTeam
    from mdt.reminders.models import ReminderOptOut, ReminderSettings
    from mdt.teams.models import Membership, Team
    from mdt.visits.models import Visit
    return dict(Action=Action, User=User, Case=Case, Invitee=Invitee, Meeting=Meeting,
                MeetingSeries=MeetingSeries, Hna=Hna, Patient=Patient,
                PatientTeam=PatientTeam, ReminderOptOut=ReminderOptOut,
                ReminderSettings=ReminderSettings, Membership=Membership, Team=Team,
                Notification=Notification, Visit=Visit, Invitation=Invitation)


def changed_teams(session, new, dirty, deleted) -> set:
    """The teams whose reminders a flush may change (FULL for a change that names none).
    Only what the planner reads counts: a sign-in or a notice marked read plans nothing."""
    m = _models()
    found = set()
    for obj in chain(new, dirty, deleted):
        if isinstance(obj, (m["Meeting"], m["MeetingSeries"], m["Action"], m["PatientTeam"],
                            m["Visit"], m["Hna"], m["Membership"], m["ReminderSettings"],
                            m["Invitation"])):
            found.add(obj.team_id)
        elif isinstance(obj, m["Team"]):
            found.add(obj.id)
        elif isinstance(obj, (m["Invitee"], m["Case"])):
            meeting = session.identity_map.get(identity_key(m["Meeting"],
                                                                     obj.meeting_id)) \
                if obj.meeting_id else None
            found.add(meeting.team_id if meeting is not None else FULL)
        elif isinstance(obj, m["Notification"]) and obj in new \
                and obj.kind in (None, "visit"):  # (a visit notice is emailed too)
            match = VISIT_LINK.match(obj.link or "")
            visit = session.identity_map.get(identity_key(
                m["Visit"], int(match.group(1)))) if match else None
            found.add(visit.team_id if visit is not None else FULL)
        elif isinstance(obj, m["ReminderOptOut"]) or (isinstance(obj, m["Patient"]) and
                                                       _changed(obj, "pathway_stage_changed_on")):
            found.add(FULL)  # (a new patient matters once on a caseload: PatientTeam)
        elif isinstance(obj, m["User"]) and (obj in new or obj in deleted or _changed(
                obj, "email", "name", "is_active")):
            found.add(FULL)
        if FULL in found:
            break  # a full pass plans everything: no need to look further
    found.discard(None)
    return found


def _changed(obj, *names) -> bool:
    """Whether these attributes were set since the object was loaded (read from what the
    session keeps, never from the database: an import flushes thousands of rows)."""
    committed = inspect(obj).committed_state
    return any(name in committed for name in names)


def _after_flush(session, flush_context):
    teams = changed_teams(session, session.new, session.dirty, session.deleted)
    if teams:
        session.info.setdefault(_FLAG, set()).update(teams)


def _after_commit(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the transaction's own commit plans
    teams = session.info.pop(_FLAG, None)
    if not teams or not has_request_context():
        return
    app = current_app._get_current_object()
    if "mdt_reminders" in app.extensions and app.config.get("REMINDER_PLAN_ON_COMMIT"):
        plan_soon(app, teams)


def _after_rollback(session):
    session.info.pop(_FLAG, None)


def install_listeners() -> None:
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "after_commit", _after_commit)
    event.listen(Session, "after_soft_rollback", lambda session, previous: _after_rollback(
        session) if previous.parent is None else None)  # (not a SAVEPOINT's or a flush's)
    _installed = True
