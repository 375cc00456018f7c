"""Audit events: written in the same transaction as the change they describe."""

from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.auth.models import User
from mdt.extensions import db


def record(*, user_id, role, team_id, action, record_type, record_id=None,
           outcome="ok", changes=None) -> AuditEvent:
    event = AuditEvent(user_id=user_id, role=role, team_id=team_id, action=action,
                       record_type=record_type, record_id=record_id, outcome=outcome,
                       changes=changes or {})
    db.session.add(event)
    return event


def refused(actor, team_id, *, action: str, record_type: str, record_id, errors,
            **context) -> None:
    """Audit a refused attempt (which fields failed, never what was typed) and commit it,
    after dropping whatever the refused change had half-done."""
    db.session.rollback()
    record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id, action=action,
           record_type=record_type, record_id=record_id, outcome="refused",
           changes={**context, "errors": sorted(errors)})
    db.session.commit()


def diff(old: dict, new: dict) -> dict:
    """{field: [old, new]} for the fields whose value changed (values as strings)."""
    return {key: [_text(old.get(key)), _text(new.get(key))]
            for key in new if _text(old.get(key)) != _text(new.get(key))}


def _text(value):
    return "" if value is None else str(value)


def events_for_teams(team_ids, *, limit=200, all_teams=False):
    """Newest first, with the user's name, in one query."""
    stmt = (select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.user_id)
            .order_by(AuditEvent.id.desc()).limit(limit))
    if not all_teams:
        stmt = stmt.where(AuditEvent.team_id.in_(list(team_ids)))
    return db.session.execute(stmt).all()
