"""Drafts: what a chair types into a case's form, kept on the server as she types (the
page posts it after a pause), so nothing typed is lost to a reload, a swap, a dropped
connection or a change of device. Saving the case deletes her draft."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings.cases import NOTES_LIMIT
from mdt.meetings.models import Case, CaseDraft
from mdt.timeutil import utcnow

FIELDS = ("notes", "outcome", "decisions")


@dataclass(frozen=True)
class Others:
    name: str
    at: datetime


def on_case(user_id: int, case: Case) -> tuple[CaseDraft | None, list[Others]]:
    """(her draft, colleagues with unsaved text on the case): one query."""
    mine, others = None, []
    for draft, name in db.session.execute(
            select(CaseDraft, User.name).join(User, User.id == CaseDraft.user_id)
            .where(CaseDraft.case_id == case.id).order_by(CaseDraft.updated_at)):
        if draft.user_id == user_id:
            mine = draft
        else:
            others.append(Others(name, draft.updated_at))
    return mine, others


def keep(user_id: int, case: Case, typed: dict) -> tuple[CaseDraft, list[Others]]:
    """Keeps (or replaces) this person's draft of the case, and says who else is writing.
    Over-long text is kept as typed up to the limit: the save, not the draft, tells her it
    is too long."""
    draft, others = on_case(user_id, case)
    if draft is None:
        draft = CaseDraft(case_id=case.id, user_id=user_id)
        db.session.add(draft)
    for name in FIELDS:
        setattr(draft, name, (typed.get(name) or "")[:NOTES_LIMIT + 1000])
    draft.case_version, draft.updated_at = case.version, utcnow()
    db.session.flush()
    return draft, others


def unsaved(draft: CaseDraft | None, case: Case) -> CaseDraft | None:
    """Her draft, if it says anything the saved case does not."""
    if draft is None or all(getattr(draft, n) == (getattr(case, n) or "") for n in FIELDS):
        return None
    return draft


def discard(user_id: int, case_id: int) -> None:
    """In the caller's transaction (the save that makes the draft unneeded)."""
    db.session.execute(delete(CaseDraft).where(CaseDraft.case_id == case_id,
                                               CaseDraft.user_id == user_id))
