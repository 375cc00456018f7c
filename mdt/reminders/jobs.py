"""RQ jobs: module-level functions taking ids. They run in the worker's app context.

send_batch is idempotent: each row is claimed in the database (an UPDATE that only a
pending or queued, unsent row matches, committed before anything is sent), so a job run
twice, or two jobs for the same row, send it once. A worker killed between the claim and the
send leaves the row 'sending'; after REMINDER_SENDING_TIMEOUT the planner (or the next job
that lists it) takes it again. The one window left is between the mail server's "250 OK" and
the commit that marks the row sent: a crash exactly there sends that message again, with the
same Message-ID, which mail systems use to drop duplicates."""

import logging
import secrets
from datetime import timedelta
from email.utils import parseaddr
from functools import lru_cache

from flask import current_app
from rq import get_current_job
from sqlalchemy import Connection, bindparam, or_, select, update

from mdt.extensions import db
from mdt.reminders import emails, tokens, transport
from mdt.reminders.kinds import TOPICS, topic_of
from mdt.reminders.models import Reminder
from mdt.timeutil import utcnow

log = logging.getLogger(__name__)

DIRTY_KEY = "mdt:reminders:dirty"
LAST_PLAN_KEY = "mdt:reminders:last-plan"
CALENDAR_KINDS = ("meeting_invitation", "series_invitation", "meeting_cancellation")
GIVE_UP_AFTER = timedelta(hours=24)


def send_batch(reminder_ids: list[int]) -> int:
    """Sends these reminders (those still to send), over one connection."""
    db.session.remove()
    try:
        return _send(reminder_ids)
    finally:
        db.session.remove()


# Core statements on the table: the ORM's bulk-update bookkeeping cost more than a send.
_table = Reminder.__table__
_c = _table.c
# What a send needs of a row (plain rows, not ORM objects).
_COLUMNS = (_c.id, _c.kind, _c.subject, _c.recipient, _c.payload, _c.attempts, _c.expires_at,
            _c.created_at)
_MINE = (_c.claim_token == bindparam("token"), _c.status == "sending")
_SENT = update(_table).where(_c.id == bindparam("rid"), *_MINE).values(
    status="sent", sent_at=bindparam("at", type_=_c.sent_at.type),
    updated_at=bindparam("at", type_=_c.updated_at.type), last_error="",
    transport=bindparam("via"), message=bindparam("kept"), attempts=_c.attempts + 1)


def _claim(ids, now, token) -> list:
    """Rows of this batch still to send and due (a row backing off after a failure waits
    for its next_attempt_at, whoever runs the job), claimed in one statement and one
    commit. Claiming is not an attempt: only a row actually handed to the mail server
    counts one."""
    stale = now - timedelta(seconds=current_app.config["REMINDER_SENDING_TIMEOUT"])
    db.session.execute(
        update(_table).where(
            _c.id.in_(list(ids)), _c.sent_at.is_(None),
            or_(_c.next_attempt_at.is_(None), _c.next_attempt_at <= now),
            or_(_c.status.in_(("pending", "queued")),
                (_c.status == "sending") & (_c.claimed_at < stale)))
        .values(status="sending", claimed_at=now, claim_token=token, updated_at=now))
    db.session.commit()
    return list(db.session.execute(select(*_COLUMNS).where(
        _c.id.in_(list(ids)), _c.claim_token == token, _c.status == "sending")
        .order_by(_c.id)))


class Marks:
    """Each row's outcome, committed on its own the moment it is known: one statement in
    autocommit on a connection of its own, one round trip (PostgreSQL: without waiting for
    the disk; only a crash of the database server itself in the next fraction of a second
    could lose a mark, and so send that message again, with the same Message-ID). A row is
    marked sent before the next message is handed over, so a worker killed at any moment
    leaves at most the one message in flight unmarked. Rows settled together (the rest of
    a batch when the connection is lost) go in one statement per outcome."""

    def __init__(self, token: str):
        self.token = token
        bind = db.session.get_bind()
        self.own = not isinstance(bind, Connection)
        # (A test rolled back at its end hands the session its one connection: the marks
        # go on it, inside the test's transaction.)
        self.connection = bind.connect().execution_options(isolation_level="AUTOCOMMIT") \
            if self.own else bind
        self.postgres = self.own and self.connection.dialect.name == "postgresql"
        if self.postgres:
            self.connection.exec_driver_sql("SET synchronous_commit TO OFF")

    def sent(self, row_id: int, via: str, kept: str | None) -> bool:
        done = self.connection.execute(_SENT, {"rid": row_id, "token": self.token,
                                               "at": utcnow(), "via": via, "kept": kept})
        if not done.rowcount:
            log.warning("reminder %s was taken over by another job while this one sent it",
                        row_id)
        return bool(done.rowcount)

    def settle(self, ids, **values) -> int:
        """Rows of this claim to another state, in one statement."""
        if not ids:
            return 0
        return self.connection.execute(
            update(_table).where(_c.id.in_(list(ids)), *_MINE)
            .values(updated_at=utcnow(), **values), {"token": self.token}).rowcount

    def close(self) -> None:
        if not self.own:
            return
        try:
            if self.postgres:
                self.connection.exec_driver_sql("RESET synchronous_commit")
        finally:
            self.connection.close()


def backoff(attempts: int, base: int, cap: int) -> int:
    """Seconds before the next try: doubling from `base`, never more than `cap`."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


def give_up_reason(row, now) -> str | None:
    """A row gives up only when its news is no longer useful (its window has closed: the
    meeting began, the digest's day is over) or after GIVE_UP_AFTER, never because a mail
    server was away for a while."""
    from mdt.timeutil import as_utc

    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        return "its news is no longer useful (the time it was for has passed)"
    if as_utc(row.created_at) + GIVE_UP_AFTER <= now:
        return f"it could not be delivered in {GIVE_UP_AFTER.days * 24} hours"
    return None


def _release(marks: Marks, rows, reason: str, tried: bool = True) -> None:
    """Back to queued for a later try (an attempt counted only if it was really tried),
    or failed once its news is no longer useful: one statement per outcome."""
    config, now = current_app.config, utcnow()
    groups: dict[tuple, list[int]] = {}
    for row in rows:
        attempts = row.attempts + (1 if tried else 0)
        gone = give_up_reason(row, now)
        outcome = ("failed", attempts, f"{reason} (gave up: {gone})"[:2000]) if gone else \
            ("queued", attempts, reason[:2000])
        groups.setdefault(outcome, []).append(row.id)
    for (status, attempts, why), ids in groups.items():
        values = {"status": status, "attempts": attempts, "last_error": why}
        if status == "queued":
            wait = backoff(max(attempts, 1), config["REMINDER_RETRY_BASE"],
                           config["REMINDER_RETRY_CAP"])
            values["next_attempt_at"] = now + timedelta(seconds=wait)
        marks.settle(ids, **values)


def _firsts(rows) -> set[int]:
    """Ids of invitation rows that are a person's first for that meeting or series."""
    wanted = [r for r in rows if r.kind in ("meeting_invitation", "series_invitation")]
    if not wanted:
        return set()
    told = set(db.session.execute(select(Reminder.subject, Reminder.recipient).where(
        Reminder.kind.in_(("meeting_invitation", "series_invitation")),
        Reminder.subject.in_({r.subject for r in wanted}), Reminder.status == "sent")).all())
    return {r.id for r in wanted if (r.subject, r.recipient) not in told}


def _calendars(rows, base_url: str) -> dict:
    """{subject: (ics bytes, method) or None} from the calendar code, for each meeting or
    series of the batch's invitations as it is now (an exception in place of one that could
    not be built: its rows fail, the others go)."""
    from mdt.calendar import invitations
    from mdt.meetings.models import Meeting, MeetingSeries

    found: dict = {}
    for subject in sorted({r.subject for r in rows if r.kind in CALENDAR_KINDS}):
        kind, _, ident = subject.partition(":")
        try:
            made = None
            if kind == "meeting":
                meeting = db.session.get(Meeting, int(ident))
                made = invitations.meeting_invitation(meeting, base_url) if meeting else None
            elif kind == "series":
                series = db.session.get(MeetingSeries, int(ident))
                made = invitations.series_invitation(series, base_url) if series else None
            found[subject] = (made.ics, made.method) if made else None
        except Exception as exc:  # noqa: BLE001 - its rows fail with the reason
            log.exception("the calendar of %s could not be built", subject)
            db.session.rollback()
            found[subject] = exc
    return found


@lru_cache(maxsize=8)
def _domain(sender: str) -> str:
    return parseaddr(sender)[1].rpartition("@")[2] or "localhost"


def message_for(row, first: bool, calendar, config, now) -> emails.Prepared:
    base_url = config["BASE_URL"]
    item = emails.content(row.kind, row.payload, base_url, first)
    topic = topic_of(row.kind)
    token = tokens.make(config["SECRET_KEY"], row.recipient, topic)
    domain = _domain(config["REMINDER_FROM"])
    return emails.prepare(
        item, to=row.recipient, sender=config["REMINDER_FROM"],
        unsubscribe_url=f"{base_url}/reminders/unsubscribe/{token}",
        topic_label=TOPICS[topic][0], message_id=f"<reminder-{row.id}@{domain}>",
        sent_at=now, calendar=calendar)


def _prepare(row, firsts, calendars, config):
    """The message for a row, or (status, reason) when it should not go after all."""
    calendar = None
    if row.kind in CALENDAR_KINDS:
        if row.subject not in calendars:  # (a caller that did not read them first)
            calendars.update(_calendars([row], config["BASE_URL"]))
        calendar = calendars[row.subject]
        if isinstance(calendar, Exception):
            raise calendar
        if calendar is None:
            return ("withdrawn", "The meeting no longer exists")
        if row.kind == "meeting_invitation" and calendar[1] != "REQUEST":
            return ("withdrawn", "The meeting was cancelled before this was sent")
    return message_for(row, row.id in firsts, calendar, config, utcnow())


def _send(reminder_ids) -> int:
    config = current_app.config
    token = secrets.token_hex(16)
    rows = _claim(reminder_ids, utcnow(), token)
    waiting = [i for i in reminder_ids if i not in {r.id for r in rows}]
    if waiting:  # a job run before its rows' time (the scheduler works in whole seconds)
        _send_later(waiting)
    if not rows:
        return 0
    # Every read first (whose first invitation, the calendars), then a loop that talks only
    # to the mail server and writes only the marks.
    firsts = _firsts(rows)
    calendars = _calendars(rows, config["BASE_URL"])
    db.session.commit()
    sent, later = 0, []
    pending = list(reversed(rows))  # popped from the end: in id order
    marks = Marks(token)
    try:
        with transport.for_config(config) as mailer:
            while pending:
                row = pending.pop()
                try:
                    message = _prepare(row, firsts, calendars, config)
                    if isinstance(message, tuple):
                        marks.settle([row.id], status=message[0], last_error=message[1])
                        continue
                    kept = mailer.send(message, row.recipient)
                except transport.Permanent as exc:
                    marks.settle([row.id], status="failed", last_error=str(exc)[:2000])
                    continue
                except transport.Transient as exc:
                    _release(marks, [row], str(exc))
                    later.append(row.id)
                    if exc.connection_lost:  # the rest of the batch cannot go either
                        _release(marks, pending, str(exc), tried=False)  # (not tried)
                        later.extend(r.id for r in pending)
                        pending = []
                    continue
                except Exception as exc:  # noqa: BLE001 - a bug in one message, not all
                    log.exception("reminder %s could not be built", row.id)
                    marks.settle([row.id], status="failed",
                                 last_error=f"Could not build the email: {type(exc).__name__}")
                    continue
                # Marked sent at once: a crash can only double the one message in flight.
                if marks.sent(row.id, mailer.name, kept):
                    sent += 1
    finally:
        try:
            if pending:  # an unexpected error: leave nothing claimed
                _release(marks, pending, "The job stopped before sending this", tried=False)
        finally:
            marks.close()
    if later:
        _send_later(later)
    return sent


def _send_later(ids: list[int]) -> None:
    """A job of its own for the rows backing off, run by the RQ scheduler when the first of
    them is due again (not RQ's retry, which would not wait for next_attempt_at). If Redis
    cannot take it, the planner's rescue_lost queues them again."""
    from rq import Queue

    config = current_app.config
    due = db.session.execute(select(Reminder.id, Reminder.next_attempt_at).where(
        Reminder.id.in_(ids), Reminder.status == "queued")).all()
    if not due:
        return
    from mdt.timeutil import as_utc

    first = min((as_utc(at) for _, at in due if at is not None), default=utcnow())
    first += timedelta(seconds=1)  # the scheduler enqueues in whole seconds: not too soon
    job = get_current_job()
    connection = job.connection if job is not None else None
    if connection is None:
        return  # run by hand (tests, the CLI): the planner will queue them
    queue = Queue(config["REMINDER_QUEUE"], connection=connection)
    later = queue.enqueue_at(first, "mdt.reminders.jobs.send_batch", [row_id for row_id, _ in due],
                             job_timeout=config["REMINDER_JOB_TIMEOUT"], result_ttl=600,
                             failure_ttl=7 * 24 * 3600, description=f"send {len(due)} later")
    db.session.execute(update(_table).where(Reminder.id.in_([i for i, _ in due]),
                                            Reminder.status == "queued")
                       .values(job_id=later.id, queued_at=utcnow()))
    db.session.commit()


def plan_pass(now=None, redis=None, timing=None, teams: set[int] | None = None):
    """One planner pass: plan, write the outbox, rescue, hand over to RQ. `teams`: plan only
    these teams' rows (an incremental pass; an empty set plans nothing but still rescues
    and hands over what is due); None plans everything.

    The pass commits after each step, not once: what is planned is kept when Redis then
    fails, and the rows handed to RQ are marked queued in the commit right after the
    enqueue (a job that starts first finds them pending or queued: both are claimable)."""
    from mdt.reminders import outbox, snapshot
    from mdt.reminders.planner import DEFAULT_TIMING, in_scope, plan

    timing = timing or DEFAULT_TIMING
    now = now or utcnow()
    if teams is None or teams:
        data = snapshot.load(now, timing, teams)
        desired = {key: due for key, due in plan(data, now, timing).items()
                   if in_scope(due, teams)}
        db.session.rollback()  # end the read; the writes below start their own transaction
        summary = outbox.apply(desired, now, data.invited, teams)
        db.session.commit()
    else:
        summary = outbox.Summary()
    if teams is None:
        summary.purged = outbox.purge(now)
        db.session.commit()
    else:
        summary.scope = ",".join(map(str, sorted(teams))) or "none"
    summary.rescued = outbox.rescue_stuck(now)
    db.session.commit()
    if redis is None:
        return summary
    try:
        summary.rescued += outbox.rescue_lost(now, redis)
        db.session.commit()
        summary.queued = outbox.dispatch(now, redis)
        db.session.commit()
    except Exception as exc:  # noqa: BLE001 - Redis down: rows wait in the outbox
        db.session.rollback()
        summary.redis_error = f"{type(exc).__name__}: {exc}"[:300]
        log.warning("reminders: could not queue (%s); rows stay pending", summary.redis_error)
    return summary
