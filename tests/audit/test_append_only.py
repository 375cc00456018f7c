import pytest
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import DBAPIError

from mdt.audit.models import AuditEvent
from mdt.audit.service import record
from mdt.extensions import db


def test_audit_rows_cannot_be_changed_or_deleted(app, make_user):
    user = make_user()
    with app.app_context():
        record(user_id=user.id, role="member", team_id=None, action="view",
               record_type="patient", record_id=1)
        db.session.commit()
        for statement in (update(AuditEvent).values(action="nothing"), delete(AuditEvent)):
            with pytest.raises(DBAPIError, match="append-only"):
                db.session.execute(statement)
                db.session.commit()
            db.session.rollback()
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == 1
        assert db.session.scalar(select(AuditEvent.action)) == "view"
