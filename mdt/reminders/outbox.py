"""The outbox: the planner's wishes written down, handed to RQ, and rescued when a job or a
worker is lost. Plain functions that write and flush: the planner pass
(jobs.plan_pass) commits after each step, a view after its one change.

Row life: pending -> queued -> sending -> sent; back to queued (with a later
next_attempt_at) when the mail server cannot take it now; failed (with the reason) when the
server refuses it for good, when its news stopped being useful or after 24 hours, or after
REMINDER_MAX_ATTEMPTS workers died sending it; withdrawn when it is no longer due. Redis being down leaves rows
pending; the next planner run hands them over. A lost job (Redis restarted empty, a job that
failed all its RQ retries) or a worker killed mid-send puts its rows back to pending."""

import json
import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from rq import Queue, Retry
from rq.job import Job, JobStatus
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy import insert as sa_insert
from sqlalchemy.dialects import postgresql, sqlite

from mdt.extensions import db
from mdt.notifications.models import Notification
from mdt.reminders import emails
from mdt.reminders.lifecycle import OPEN
from mdt.reminders.models import Reminder
from mdt.reminders.planner import FULL_ONLY_KINDS, Due
from mdt.timeutil import utcnow

log = logging.getLogger(__name__)

SEND_JOB = "mdt.reminders.jobs.send_batch"


@dataclass
class Summary:
    planned: int = 0
    added: int = 0
    updated: int = 0
    withdrawn: int = 0
    rescued: int = 0
    queued: int = 0
    failed: int = 0
    purged: int = 0
    scope: str = "full"  # or the teams an incremental pass planned
    redis_error: str = ""
    at: str = field(default_factory=lambda: utcnow().isoformat())

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def _plain(payload: dict) -> dict:
    return json.loads(json.dumps(payload))


_KEY = ("kind", "subject", "recipient", "occasion")


def _insert(values: list[dict]) -> set[tuple]:
    """Inserts these rows (a Core statement on the table, many rows at a time) but those
    whose key is already there; returns the keys it added."""
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = Reminder.__table__
    stmt = insert(table).on_conflict_do_nothing(index_elements=list(_KEY))
    return {tuple(row) for row in db.session.execute(
        stmt.returning(*(table.c[name] for name in _KEY)), values)}


def _rows_in(stmt, teams: set[int] | None):
    if teams is None:
        return stmt
    return stmt.where(Reminder.team_id.in_(sorted(teams)), Reminder.kind.not_in(FULL_ONLY_KINDS))


def apply(desired: dict[tuple, Due], now: datetime, invited: dict | None = None,
          teams: set[int] | None = None) -> Summary:
    """Makes the outbox match the planner: adds what is missing (and its in-app
    notification), updates unsent rows whose content changed, withdraws unsent rows that
    are no longer due. Safe to run twice at once: the unique key decides. Given `teams`
    (an incremental pass), only those teams' rows are looked at."""
    summary = Summary(planned=len(desired))
    invited = invited or {}
    open_rows = db.session.execute(_rows_in(
        select(Reminder.id, Reminder.kind, Reminder.subject, Reminder.recipient,
               Reminder.occasion, Reminder.payload).where(Reminder.status.in_(OPEN)),
        teams)).all()
    known = {(r.kind, r.subject, r.recipient, r.occasion) for r in db.session.execute(_rows_in(
        select(Reminder.kind, Reminder.subject, Reminder.recipient, Reminder.occasion)
        .where(Reminder.status.not_in(OPEN),
               or_(Reminder.expires_at.is_(None), Reminder.expires_at > now - timedelta(days=1))),
        teams))}
    gone = []
    for row in open_rows:
        key = (row.kind, row.subject, row.recipient, row.occasion)
        due = desired.get(key)
        known.add(key)
        if due is None:
            gone.append(row.id)
        elif _plain(due.payload) != row.payload:
            db.session.execute(update(Reminder).where(Reminder.id == row.id,
                                                      Reminder.status.in_(OPEN))
                               .values(payload=_plain(due.payload),
                                       title=_title(due, invited)[:200], updated_at=now))
            summary.updated += 1
    for start in range(0, len(gone), 500):
        summary.withdrawn += db.session.execute(
            update(Reminder).where(Reminder.id.in_(gone[start:start + 500]),
                                   Reminder.status.in_(OPEN))
            .values(status="withdrawn", updated_at=now,
                    last_error="No longer due: the meeting, action or visit changed, it "
                               "was done or cancelled, or its time passed")).rowcount
    new = [due for key, due in desired.items() if key not in known]
    values = [{"kind": d.kind, "subject": d.subject, "recipient": d.recipient,
               "occasion": d.occasion, "user_id": d.user_id, "team_id": d.team_id,
               "payload": _plain(d.payload), "title": _title(d, invited)[:200],
               "status": "pending", "due_at": d.due_at, "expires_at": d.expires_at,
               "attempts": 0, "last_error": "", "transport": "", "created_at": now,
               "updated_at": now} for d in new]
    for start in range(0, len(values), 1000):
        chunk = values[start:start + 1000]
        added = _insert(chunk)
        summary.added += len(added)
        notes = [{"user_id": v["user_id"], "text": v["title"][:300],
                  "link": v["payload"].get("link", "")[:200], "kind": v["kind"][:30],
                  "created_at": now, "read_at": None}
                 for v, due in zip(chunk, new[start:start + 1000], strict=True)
                 if due.notify and due.user_id is not None
                 and (v["kind"], v["subject"], v["recipient"], v["occasion"]) in added]
        if notes:  # the same news in the app (Core: thousands of ORM objects cost seconds)
            db.session.execute(sa_insert(Notification.__table__), notes)
    db.session.flush()
    return summary


def _title(due: Due, invited: dict) -> str:
    first = due.recipient not in invited.get(due.subject, ())
    return emails.notice_text(due.kind, due.payload, first)


def rescue_stuck(now: datetime) -> int:
    """Rows left 'sending' past REMINDER_SENDING_TIMEOUT (their worker died): pending again."""
    stale = now - timedelta(seconds=current_app.config["REMINDER_SENDING_TIMEOUT"])
    stuck = [row_id for row_id, in db.session.execute(select(Reminder.id).where(
        Reminder.status == "sending", Reminder.claimed_at < stale))]
    return _back_to_pending(stuck, ("sending",), now, "The worker stopped while sending "
                                                      "this; it will be sent again",
                            tried=True)


def rescue_lost(now: datetime, redis) -> int:
    """Queued rows whose job is gone (Redis restarted empty) or gave up: pending again."""
    grace = now - timedelta(seconds=current_app.config["REMINDER_LOST_JOB_GRACE"])
    queued = db.session.execute(select(Reminder.id, Reminder.job_id).where(
        Reminder.status == "queued", Reminder.queued_at < grace)).all()
    job_ids = sorted({job_id for _, job_id in queued if job_id})
    alive = set()
    for start in range(0, len(job_ids), 200):
        chunk = job_ids[start:start + 200]
        for job_id, job in zip(chunk, Job.fetch_many(chunk, connection=redis), strict=True):
            if job is not None and job.get_status(refresh=False) not in (
                    JobStatus.FAILED, JobStatus.FINISHED, JobStatus.STOPPED,
                    JobStatus.CANCELED, None):
                alive.add(job_id)
    lost = [row_id for row_id, job_id in queued if job_id not in alive]
    return _back_to_pending(lost, ("queued",), now, "Its job was lost (Redis restarted, or "
                                                    "the job gave up); queued again")


def _back_to_pending(ids, states, now, reason, tried=False) -> int:
    """Pending again, or failed once the row has had REMINDER_MAX_ATTEMPTS. `tried`: the
    row was with a worker that died sending it, which counts as an attempt."""
    most = current_app.config["REMINDER_MAX_ATTEMPTS"]
    count = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        db.session.execute(update(Reminder).where(
            Reminder.id.in_(chunk), Reminder.status.in_(states),
            Reminder.attempts + (1 if tried else 0) >= most)
            .values(status="failed", updated_at=now,
                    last_error=func.substr(Reminder.last_error + f" (gave up after {most} "
                                                                 "attempts)", 1, 2000)))
        count += db.session.execute(update(Reminder).where(
            Reminder.id.in_(chunk), Reminder.status.in_(states))
            .values(status="pending", claim_token=None, updated_at=now, last_error=reason,
                    attempts=Reminder.attempts + (1 if tried else 0))).rowcount
    return count


def dispatch(now: datetime, redis) -> int:
    """Hands every due pending row to RQ, in batches (one job, one SMTP connection each).
    Redis down: raises, and the rows stay pending for the next run."""
    config = current_app.config
    size = config["REMINDER_BATCH_SIZE"]
    ids = [row_id for row_id, in db.session.execute(
        select(Reminder.id).where(Reminder.status == "pending", Reminder.due_at <= now,
                                  or_(Reminder.next_attempt_at.is_(None),
                                      Reminder.next_attempt_at <= now))
        .order_by(Reminder.kind, Reminder.subject, Reminder.id))]
    if not ids:
        return 0
    queue = Queue(config["REMINDER_QUEUE"], connection=redis)
    retry = Retry(max=len(config["REMINDER_RETRY_INTERVALS"]),
                  interval=config["REMINDER_RETRY_INTERVALS"])
    batches = [ids[start:start + size] for start in range(0, len(ids), size)]
    jobs = [Queue.prepare_data(SEND_JOB, args=(batch,), job_id=f"mdt-reminders-{uuid.uuid4().hex}",
                               timeout=config["REMINDER_JOB_TIMEOUT"], retry=retry,
                               result_ttl=600, failure_ttl=7 * 24 * 3600,
                               description=f"send {len(batch)} reminders")
            for batch in batches]
    with redis.pipeline() as pipe:
        enqueued = queue.enqueue_many(jobs, pipeline=pipe)
        pipe.execute()
    for batch, job in zip(batches, enqueued, strict=True):
        db.session.execute(update(Reminder).where(Reminder.id.in_(batch),
                                                  Reminder.status == "pending")
                           .values(status="queued", job_id=job.id, queued_at=now,
                                   updated_at=now))
    return len(ids)


def purge(now: datetime) -> int:
    """Old history goes: sent and withdrawn rows whose window closed more than
    REMINDER_KEEP_DAYS ago (never one without an end, such as a series' invitation: its row
    is what stops it being sent again)."""
    before = now - timedelta(days=current_app.config["REMINDER_KEEP_DAYS"])
    count = db.session.execute(delete(Reminder).where(
        Reminder.status.in_(("sent", "withdrawn")), Reminder.updated_at < before,
        Reminder.expires_at.is_not(None), Reminder.expires_at < before)).rowcount
    return count


