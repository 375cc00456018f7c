"""RQ jobs: module-level functions taking ids. They run in the worker's app context.

send_batch is idempotent: each row is claimed in the database (an UPDATE that only a
pending or queued, unsent row matches, committed before anything is sent), so a job run
twice, or two jobs for the same row, send it once. A worker killed between the claim and the
send leaves the row 'sending'; after REMINDER_SENDING_TIMEOUT the planner (or the next job
that lists it) takes it again. The one window left is between the mail server's "250 OK" and
the commit that marks the row sent: a crash exactly there sends that message again, with the
same Message-ID, which mail systems use to drop duplicates."""

import json
import logging
import secrets
from datetime import timedelta
from email.utils import parseaddr

from flask import current_app
from rq import get_current_job
from sqlalchemy import or_, select, update

from mdt.extensions import db
from mdt.reminders import emails, tokens, transport
from mdt.reminders.kinds import TOPICS, topic_of
from mdt.reminders.models import Reminder
from mdt.timeutil import utcnow

log = logging.getLogger(__name__)

PLAN_JOB_ID = "mdt-reminders-plan"
DIRTY_KEY = "mdt:reminders:dirty"
LAST_PLAN_KEY = "mdt:reminders:last-plan"
CALENDAR_KINDS = ("meeting_invitation", "series_invitation", "meeting_cancellation")


class SendLater(Exception):
    """Some reminders of the batch could not go yet: RQ retries the job (with back-off)."""


def plan() -> dict:
    """The planner, as a job: exactly one is queued at a time (its id is fixed); a change
    made while it runs sets DIRTY_KEY, and it runs again before it ends."""
    from mdt.reminders import outbox

    job = get_current_job()
    redis = job.connection if job else None
    summary = {}
    for _ in range(3):
        if redis is not None:
            redis.delete(DIRTY_KEY)
        db.session.remove()
        summary = outbox.run(redis=redis).as_dict()
        if redis is not None:
            redis.set(LAST_PLAN_KEY, json.dumps(summary))
            if not redis.exists(DIRTY_KEY):
                break
    db.session.remove()
    return summary


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
    stale = now - timedelta(seconds=current_app.config["REMINDER_SENDING_TIMEOUT"])
    db.session.execute(
        update(_table).where(
            Reminder.id.in_(list(ids)), Reminder.sent_at.is_(None),
            or_(Reminder.status.in_(("pending", "queued")),
                (Reminder.status == "sending") & (Reminder.claimed_at < stale)))
        .values(status="sending", claimed_at=now, claim_token=token,
                attempts=Reminder.attempts + 1, updated_at=now))
    db.session.commit()
    return list(db.session.scalars(select(Reminder).where(
        Reminder.id.in_(list(ids)), Reminder.claim_token == token,
        Reminder.status == "sending").order_by(Reminder.id)))


def _finish(row: Reminder, token: str, **values) -> bool:
    done = db.session.execute(update(_table).where(
        Reminder.id == row.id, Reminder.claim_token == token, Reminder.status == "sending")
        .values(updated_at=utcnow(), **values)).rowcount
    db.session.commit()
    if not done:
        log.warning("reminder %s was taken over by another job while this one sent it", row.id)
    return bool(done)


def _release(row: Reminder, token: str, reason: str) -> None:
    """Back to queued for a later try, or failed once it has had its attempts."""
    config = current_app.config
    if row.attempts >= config["REMINDER_MAX_ATTEMPTS"]:
        _finish(row, token, status="failed", last_error=f"{reason} (gave up after "
                                                        f"{row.attempts} attempts)"[:2000])
        return
    backoff = min(60 * 2 ** max(row.attempts - 1, 0), 3600)
    _finish(row, token, status="queued", last_error=reason[:2000],
            next_attempt_at=utcnow() + timedelta(seconds=backoff))


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
                        for rest in pending:
                            _release(rest, token, str(exc))
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
                           transport=mailer.name, message=kept):
                    sent += 1
    finally:
        for row in pending:  # an unexpected error: leave nothing claimed
            db.session.rollback()
            _release(row, token, "The job stopped before sending this")
    if later:
        raise SendLater(f"{len(later)} reminders could not be sent yet; they will be retried")
    return sent
