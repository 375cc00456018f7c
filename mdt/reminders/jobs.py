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

from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, select, text, update

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


def _claim(ids, now, token) -> list[Reminder]:
    """Rows of this batch still to send and due (a row backing off after a failure waits
    for its next_attempt_at, whoever runs the job). Claiming is not an attempt: only a row
    actually handed to the mail server counts one."""
    stale = now - timedelta(seconds=current_app.config["REMINDER_SENDING_TIMEOUT"])
    db.session.execute(
        update(_table).where(
            Reminder.id.in_(list(ids)), Reminder.sent_at.is_(None),
            or_(Reminder.next_attempt_at.is_(None), Reminder.next_attempt_at <= now),
            or_(Reminder.status.in_(("pending", "queued")),
                (Reminder.status == "sending") & (Reminder.claimed_at < stale)))
        .values(status="sending", claimed_at=now, claim_token=token, updated_at=now))
    db.session.commit()
    return list(db.session.scalars(select(Reminder).where(
        Reminder.id.in_(list(ids)), Reminder.claim_token == token,
        Reminder.status == "sending").order_by(Reminder.id)))


def _finish(row: Reminder, token: str, **values) -> bool:
    _quick_commit()
    done = db.session.execute(update(_table).where(
        Reminder.id == row.id, Reminder.claim_token == token, Reminder.status == "sending")
        .values(updated_at=utcnow(), **values)).rowcount
    db.session.commit()
    if not done:
        log.warning("reminder %s was taken over by another job while this one sent it", row.id)
    return bool(done)


def _quick_commit() -> None:
    """A row's mark is committed without waiting for the disk (PostgreSQL's
    synchronous_commit off, for this transaction only): a killed worker still leaves it
    marked, as the database has it; only a crash of the database server itself in the
    next fraction of a second could lose a mark, and so send that message again (with the
    same Message-ID). The wait for the disk was most of the time a mark took."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL synchronous_commit TO OFF"))


def backoff(attempts: int, base: int, cap: int) -> int:
    """Seconds before the next try: doubling from `base`, never more than `cap`."""
    return min(base * 2 ** max(attempts - 1, 0), cap)


def give_up_reason(row: Reminder, now) -> str | None:
    """A row gives up only when its news is no longer useful (its window has closed: the
    meeting began, the digest's day is over) or after GIVE_UP_AFTER, never because a mail
    server was away for a while."""
    from mdt.timeutil import as_utc

    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        return "its news is no longer useful (the time it was for has passed)"
    if as_utc(row.created_at) + GIVE_UP_AFTER <= now:
        return f"it could not be delivered in {GIVE_UP_AFTER.days * 24} hours"
    return None


def _release(row: Reminder, token: str, reason: str, tried: bool = True) -> None:
    """Back to queued for a later try (an attempt counted only if it was really tried),
    or failed once its news is no longer useful."""
    config, now = current_app.config, utcnow()
    attempts = row.attempts + (1 if tried else 0)
    gone = give_up_reason(row, now)
    if gone:
        _finish(row, token, status="failed", attempts=attempts,
                last_error=f"{reason} (gave up: {gone})"[:2000])
        return
    wait = backoff(max(attempts, 1), config["REMINDER_RETRY_BASE"],
                   config["REMINDER_RETRY_CAP"])
    _finish(row, token, status="queued", attempts=attempts, last_error=reason[:2000],
            next_attempt_at=now + timedelta(seconds=wait))


def _firsts(rows) -> set[int]:
    """Ids of invitation rows that are a person's first for that meeting or series."""
    wanted = [r for r in rows if r.kind in ("meeting_invitation", "series_invitation")]
    if not wanted:
        return set()
    told = set(db.session.execute(select(Reminder.subject, Reminder.recipient).where(
        Reminder.kind.in_(("meeting_invitation", "series_invitation")),
        Reminder.subject.in_({r.subject for r in wanted}), Reminder.status == "sent")).all())
    return {r.id for r in wanted if (r.subject, r.recipient) not in told}


def _calendar(row: Reminder, cache: dict, base_url: str):
    """(ics bytes, method) from the calendar code, for the meeting or series as it is now."""
    from mdt.calendar import invitations
    from mdt.meetings.models import Meeting, MeetingSeries

    if row.subject not in cache:
        kind, _, ident = row.subject.partition(":")
        found = None
        if kind == "meeting":
            meeting = db.session.get(Meeting, int(ident))
            found = invitations.meeting_invitation(meeting, base_url) if meeting else None
        elif kind == "series":
            series = db.session.get(MeetingSeries, int(ident))
            found = invitations.series_invitation(series, base_url) if series else None
        cache[row.subject] = (found.ics, found.method) if found else None
    return cache[row.subject]


def message_for(row: Reminder, first: bool, calendar, config, now):
    base_url = config["BASE_URL"]
    item = emails.content(row.kind, row.payload, base_url, first)
    topic = topic_of(row.kind)
    token = tokens.make(config["SECRET_KEY"], row.recipient, topic)
    domain = parseaddr(config["REMINDER_FROM"])[1].rpartition("@")[2] or "localhost"
    return emails.build_message(
        item, to=row.recipient, sender=config["REMINDER_FROM"],
        unsubscribe_url=f"{base_url}/reminders/unsubscribe/{token}",
        topic_label=TOPICS[topic][0], message_id=f"<reminder-{row.id}@{domain}>",
        sent_at=now, calendar=calendar)


def _prepare(row: Reminder, firsts, cache, config):
    """The message for a row, or (status, reason) when it should not go after all."""
    calendar = None
    if row.kind in CALENDAR_KINDS:
        calendar = _calendar(row, cache, config["BASE_URL"])
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
    firsts = _firsts(rows)
    cache: dict = {}
    sent, later = 0, []
    pending = list(rows)
    try:
        with transport.for_config(config) as mailer:
            while pending:
                row = pending.pop(0)
                try:
                    message = _prepare(row, firsts, cache, config)
                    if isinstance(message, tuple):
                        _finish(row, token, status=message[0], last_error=message[1])
                        continue
                    kept = mailer.send(message, row.recipient)
                except transport.Permanent as exc:
                    _finish(row, token, status="failed", last_error=str(exc)[:2000])
                    continue
                except transport.Transient as exc:
                    _release(row, token, str(exc))
                    later.append(row.id)
                    if exc.connection_lost:  # the rest of the batch cannot go either
                        for rest in pending:  # (not tried: no attempt counted)
                            _release(rest, token, str(exc), tried=False)
                            later.append(rest.id)
                        pending = []
                    continue
                except Exception as exc:  # noqa: BLE001 - a bug in one message, not all
                    log.exception("reminder %s could not be built", row.id)
                    db.session.rollback()
                    _finish(row, token, status="failed",
                            last_error=f"Could not build the email: {type(exc).__name__}")
                    continue
                # Marked sent at once: a crash can only double the one message in flight.
                if _finish(row, token, status="sent", sent_at=utcnow(), last_error="",
                           transport=mailer.name, message=kept,
                           attempts=row.attempts + 1):
                    sent += 1
    finally:
        for row in pending:  # an unexpected error: leave nothing claimed
            db.session.rollback()
            _release(row, token, "The job stopped before sending this", tried=False)
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
