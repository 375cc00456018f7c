"""A tamper-evident trail: each audit event carries the SHA-256 of its own content and of
the event before it, so altering, deleting or slipping in a row breaks the chain from that
row on, and `flask --app wsgi audit verify` names it.

The chain's head (the last hash) is one row, `audit_chain_head`, taken with an UPDATE at a
transaction's first event: PostgreSQL holds that row lock, SQLite its write lock, until the
commit, so two requests never chain onto the same event (and ids follow the chain)."""

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Integer, String, event, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Mapped, Session, mapped_column

from mdt.extensions import db
from mdt.timeutil import as_utc

HEAD_KEY = "audit_chain_head"
SAVED_KEY = "audit_chain_savepoints"


class AuditChainHead(db.Model):
    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    last_hash: Mapped[str] = mapped_column(String(64), default="")
    events: Mapped[int] = mapped_column(Integer, default=0)


def digest(prev_hash: str, row) -> str:
    """The hash of one event: its content in a fixed form, and the hash before it."""
    # Through JSON once first: keys become strings and tuples lists, as the database keeps them.
    changes = json.loads(json.dumps(row.changes, default=str))
    content = [prev_hash or "", as_utc(row.at).isoformat(timespec="microseconds"),
               row.user_id, row.role or "", row.team_id, row.action, row.record_type,
               row.record_id, row.patient_id, row.outcome, changes,
               getattr(row, "address", None)]
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


GUESS_KEY = "audit_head"  # (in g.signed_in_extras: the head as read with the session)


def head_guess_columns(user_id: int) -> list:
    """The chain's head, read (unlocked) with the signed-in query (auth.views.load_user): a
    request's first event is chained onto it and the head moved with one conditional UPDATE
    (no separate lock and read), which is refused if another event came first."""
    return [select(AuditChainHead.last_hash).where(AuditChainHead.id == 1).scalar_subquery()]


def _guess() -> str | None:
    """The head read with the session, once per request (a second transaction takes it)."""
    from flask import g, has_request_context

    if not has_request_context():
        return None
    read = g.get("signed_in_extras", {}).pop(GUESS_KEY, None)
    return read[0] if read else None


def _take(session) -> str:
    """Take the head row (locked until the commit) and read its hash."""
    take = (update(AuditChainHead).where(AuditChainHead.id == 1)
            .values(events=AuditChainHead.events))
    if not session.execute(take).rowcount:
        # A fresh database (or a test's emptied one): start the chain, once, then lock.
        dialect = session.get_bind().dialect.name
        start = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
            AuditChainHead).values(id=1, last_hash="", events=0).on_conflict_do_nothing()
        session.execute(start)
        session.execute(take)
    return session.scalar(select(AuditChainHead.last_hash)
                          .where(AuditChainHead.id == 1)) or ""


def link(audit_event, *, written_now: bool = False) -> None:
    """Chain a new event onto the head (called by audit.service.record before it is added).

    The head is [last hash, events not yet counted on the head row, pending]. pending is a
    list while the events are chained onto the head as read with the session (a guess, not
    locked); their first flush writes the head before them, on condition it is still the
    guess (_write_head_first). Otherwise (None) the head row is taken here, locked; so it is
    for events the caller writes itself rather than through a flush (`written_now`)."""
    session = db.session
    info = session.info
    if written_now and info.get(HEAD_KEY) and info[HEAD_KEY][2] is not None:
        session.flush()  # events chained on the guess go first, and the head is ours
        _write_head_first(session, None, None)  # (in case the flush had nothing to write)
    if HEAD_KEY not in info:
        guess = None if written_now else _guess()
        info[HEAD_KEY] = [guess, 0, []] if guess is not None else [_take(session), 0, None]
    head = info[HEAD_KEY]
    audit_event.prev_hash = head[0]
    audit_event.hash = digest(head[0], audit_event)
    head[0] = audit_event.hash
    head[1] += 1
    if head[2] is not None:
        head[2].append(audit_event)


@event.listens_for(Session, "before_flush")
def _write_head_first(session, flush_context, instances):
    """Events chained on the guessed head: move the head from the guess to their last hash,
    on condition nobody moved it meanwhile (that UPDATE holds the row until the commit),
    before they are written. If somebody did, take the head and chain them again on it."""
    head = session.info.get(HEAD_KEY)
    if not head or head[2] is None:
        return
    pending = head[2]
    if not pending:  # (nothing chained on the guess after all)
        head[0], head[2] = _take(session), None
        return
    moved = session.execute(
        update(AuditChainHead).where(AuditChainHead.id == 1,
                                     AuditChainHead.last_hash == pending[0].prev_hash)
        .values(last_hash=head[0], events=AuditChainHead.events + len(pending))).rowcount
    head[2] = None  # the head row is ours from here (locked until the commit)
    if moved:
        head[1] -= len(pending)
        return
    last = _take(session)
    for chained in pending:
        chained.prev_hash = last
        chained.hash = last = digest(last, chained)
    head[0] = last


@event.listens_for(Session, "before_commit")
def _save_head(session):
    if session.in_nested_transaction():
        return  # a SAVEPOINT released: the head is saved once, by the transaction's commit
    head = session.info.get(HEAD_KEY)
    if head and head[2]:
        session.flush()  # events chained on the guess: the flush writes the head first
    if head and head[1]:
        session.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(
            last_hash=head[0], events=AuditChainHead.events + head[1]))
        head[1] = 0


def _forget(session, *args):
    if not session.in_nested_transaction():
        session.info.pop(HEAD_KEY, None)


@event.listens_for(Session, "after_transaction_create")
def _mark(session, transaction):
    """A SAVEPOINT remembers the head as it began (events chained inside it may be undone)."""
    if transaction.nested:
        head = session.info.get(HEAD_KEY)
        session.info.setdefault(SAVED_KEY, {})[transaction] = (
            [head[0], head[1], None if head[2] is None else list(head[2])] if head else None)


@event.listens_for(Session, "after_transaction_end")
def _unmark(session, transaction):
    if transaction.nested:
        session.info.get(SAVED_KEY, {}).pop(transaction, None)


def _back_to_savepoint(session):
    """A SAVEPOINT rolled back: its events are gone, so the head is what it was when the
    SAVEPOINT began (none yet: the next event takes the head row again)."""
    saved = session.info.get(SAVED_KEY, {})
    transaction = session.get_nested_transaction()
    if transaction not in saved:
        return
    if saved[transaction] is None:
        session.info.pop(HEAD_KEY, None)
    else:
        head = saved[transaction]
        session.info[HEAD_KEY] = [head[0], head[1], None if head[2] is None else list(head[2])]


def _after_rollback(session):
    if session.in_nested_transaction():
        _back_to_savepoint(session)
    else:
        session.info.pop(HEAD_KEY, None)


event.listen(Session, "after_commit", _forget)
event.listen(Session, "after_rollback", _after_rollback)


@dataclass
class Verdict:
    checked: int
    broken_at: int | None = None  # the first event that does not hold
    reason: str = ""

    @property
    def ok(self) -> bool:
        return not self.reason

    def __str__(self) -> str:
        if self.ok:
            return f"OK: {self.checked} audit events, the chain is intact"
        where = f"at audit event {self.broken_at}" if self.broken_at else "at the end"
        return f"BROKEN {where} (after {self.checked} good events): {self.reason}"


def verify(batch: int = 2000) -> Verdict:
    """Walk every event in id order; the first that does not follow is named."""
    from mdt.audit.models import AuditEvent

    previous, checked = "", 0
    stmt = select(AuditEvent).order_by(AuditEvent.id).execution_options(yield_per=batch)
    for row in db.session.scalars(stmt):
        if row.hash is None:
            return Verdict(checked, row.id, "it carries no hash: inserted outside the app")
        if row.prev_hash != previous:
            return Verdict(checked, row.id, "it does not follow the event before it: a row "
                                            "was deleted, or this one inserted out of order")
        if digest(row.prev_hash, row) != row.hash:
            return Verdict(checked, row.id, "its content does not match its hash: it was "
                                            "altered after it was written")
        previous, checked = row.hash, checked + 1
    head = db.session.scalar(select(AuditChainHead.last_hash).where(AuditChainHead.id == 1))
    if head is not None and head != previous:
        return Verdict(checked, None, "the newest events were removed (the chain's head "
                                      "names an event that is not there)")
    return Verdict(checked)
