"""A form sent twice at once is acted on once. Two identical POSTs from the same user that
overlap (a double click, a re-sent request) would otherwise add two notes, two visits or two
meetings, or race each other into an error page.

Each signed-in POST claims a fingerprint (user, route, its ids, the form's fields) in the
request's own transaction: the second of two overlapping copies waits on the first's claim
(PostgreSQL's row lock, SQLite's write lock) and then finds it taken, or finds that it was
answered less than SUBMIT_REPEAT_GAP_SECONDS before the second began (on a busy server the first copy of
a double click can be answered before the second is read). The claim is committed with the
first request's work and marked done when its response has gone, so sending the same form
again later is an ordinary request (the services' own checks then apply: "already
recorded", a stale version). A refused copy (an answer of 400 or more) gives its claim
up: the same form corrected, or sent again, is new. A claim left by a crash expires after
WINDOW."""

import hashlib
import json
import random
from datetime import timedelta
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request
from flask_login import current_user
from sqlalchemy import String, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, mapped_column

from mdt.dbtypes import UTCDateTime
from mdt.extensions import db, htmx
from mdt.timeutil import utcnow

WINDOW = timedelta(seconds=10)
NOT_CHANGES = {"patients.search", "auth.sign_in", "auth.sign_out", "audit.find"}


class Submission(db.Model):
    __tablename__ = "submissions"

    fingerprint: Mapped[str] = mapped_column(String(64), primary_key=True)
    at = mapped_column(UTCDateTime, nullable=False, index=True)
    done_at = mapped_column(UTCDateTime, nullable=True)  # when the first copy's answer went
    answer: Mapped[str | None] = mapped_column(String(500), nullable=True)  # its redirect


def fingerprint() -> str:
    fields = sorted((k, v) for k, v in request.form.items(multi=True) if k != "csrf_token")
    text = json.dumps([current_user.id, request.endpoint, request.view_args or {}, fields],
                      sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def claim(value: str, started, now=None, gap: timedelta = timedelta(0)) -> bool:
    """True unless an identical POST was still being answered when this one `started` (the
    claim is pending in the session's transaction), or was answered less than `gap`
    before. A copy answered earlier than that is history: this is a new request."""
    now = now or utcnow()
    dialect = db.session.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(Submission)
    finished_before = Submission.done_at.is_not(None) & \
        (Submission.done_at < started - gap)
    stmt = insert.values(fingerprint=value, at=now).on_conflict_do_update(
        index_elements=["fingerprint"], set_={"at": now, "done_at": None},
        where=finished_before | (Submission.at < now - WINDOW)).returning(Submission.fingerprint)
    claimed = db.session.execute(stmt).first() is not None
    if claimed and random.random() < 0.02:  # now and then, forget old claims
        db.session.execute(delete(Submission).where(Submission.at < now - timedelta(days=1)))
    return claimed


def init_app(app) -> None:
    @app.after_request
    def _release(response):
        value = g.pop("claimed_submission", None)
        if value:
            db.session.rollback()  # whatever the view left uncommitted is not ours to keep
            mine = Submission.fingerprint == value
            if response.status_code >= 400:  # refused: sending it again is a new request
                db.session.execute(delete(Submission).where(mine))
            else:
                location = response.headers.get("Location") if response.status_code in (
                    301, 302, 303, 307, 308) else None
                db.session.execute(update(Submission).where(mine).values(
                    done_at=utcnow(), answer=(location or "")[:500] or None))
            db.session.commit()
        return response

    @app.before_request
    def _once():
        if request.method != "POST" or request.endpoint in NOT_CHANGES \
                or not current_user.is_authenticated or current_app.config.get("ONCE_OFF"):
            return None
        started, value = utcnow(), fingerprint()
        gap = timedelta(seconds=current_app.config["SUBMIT_REPEAT_GAP_SECONDS"])
        if claim(value, started, gap=gap):
            g.claimed_submission = value
            return None
        answer = db.session.scalar(select(Submission.answer).where(
            Submission.fingerprint == value))
        db.session.rollback()
        if htmx:  # the first copy's answer is already on the page
            return "", 204
        flash("That was already sent: it was saved once")
        if answer and urlsplit(answer).netloc in ("", request.host):
            return redirect(answer, code=303)  # where the first copy went
        back = urlsplit(request.referrer or "")
        same_site = back.netloc == request.host and back.path.startswith("/")
        return redirect(back.path + (f"?{back.query}" if back.query else "")
                        if same_site else "/", code=303)
