"""Issue 21: who asks (session, user, memberships, teams) and the header's counts are read
in one query on every request, fresh each time: nothing of it is cached, so a revoked
session, a deactivated user or a removed membership counts at the very next request. The
audit chain's head is read with them, and a view's audit row chains onto it with one
conditional UPDATE, taking the head as before when another event came first."""

from datetime import UTC, date, datetime

from flask import g
from sqlalchemy import delete, select, update

from mdt.audit.chain import GUESS_KEY, AuditChainHead, verify
from mdt.audit.models import AuditEvent
from mdt.audit.service import record
from mdt.auth.models import User, UserSession
from mdt.extensions import db
from mdt.teams.models import Membership
from tests.conftest import count_queries


def _first_statement(app, client, path, headers=None):
    with app.app_context():
        engine = db.engine
    client.get(path, headers=headers or {})  # (the once-a-minute "last seen" written)
    with count_queries(engine) as statements:
        response = client.get(path, headers=headers or {})
    return response, statements


def test_a_revoked_session_is_refused_at_the_next_request(app, client_request, make_user):
    user = make_user()
    client_request.sign_in(user)
    client = client_request.client
    assert client.get("/patients").status_code == 200
    with app.app_context():  # revoked elsewhere (an administrator, another tab's sign-out)
        db.session.execute(update(UserSession).where(UserSession.user_id == user.id)
                           .values(revoked_at=db.func.now()))
        db.session.commit()
    assert client.get("/patients").status_code == 302


def test_a_deactivated_user_is_refused_at_the_next_request(app, client_request, make_user):
    user = make_user()
    client_request.sign_in(user)
    assert client_request.client.get("/patients").status_code == 200
    with app.app_context():
        db.session.execute(update(User).where(User.id == user.id).values(is_active=False))
        db.session.commit()
    assert client_request.client.get("/patients").status_code == 302


def test_a_removed_membership_counts_at_the_next_request(app, client_request, make_user,
                                                         make_patient):
    patient = make_patient()
    user = make_user()
    client_request.sign_in(user)
    page = client_request.get("patients.show", patient_id=patient.id)
    assert "Riverside" in page.select_one("header").get_text()  # the header's team
    with app.app_context():
        db.session.execute(delete(Membership).where(Membership.user_id == user.id))
        db.session.commit()
    assert client_request.client.get(f"/patients/{patient.id}").status_code == 403
    assert client_request.client.get("/patients").status_code == 403
    settings = client_request.get("calendar.settings")  # (a page for someone on no team)
    assert "Riverside" not in settings.select_one("header").get_text()


def test_the_header_is_one_statement_with_the_session(app, client_request, make_user):
    from mdt.demo import builder
    from mdt.timeutil import london_today

    user = make_user()
    with app.app_context():
        team_id = builder.team("Riverside").id
        builder.action(builder.team_actor(user.id, team_id), team_id=team_id,
                       description="Ring the GP", owner_id=user.id, due_on=date(2020, 1, 2),
                       raised=datetime(2020, 1, 1, 9, tzinfo=UTC))
        assert london_today() > date(2020, 1, 2)
    client_request.sign_in(user)
    response, statements = _first_statement(app, client_request.client, "/actions")
    assert response.status_code == 200
    first = statements[0]
    assert "user_sessions" in first and "memberships" in first and "teams" in first
    assert first.count("count(actions.id)") == 2 and "notifications" in first
    assert not any("FROM memberships" in s and "user_sessions" not in s
                   for s in statements[1:])
    assert '1 overdue' in response.get_data(as_text=True)  # the counts, from that query
    # An htmx fragment draws no header: the signed-in query carries no counts.
    _, fragment = _first_statement(app, client_request.client, "/actions",
                                   {"HX-Request": "true"})
    assert "count(actions.id)" not in fragment[0]


def test_a_view_chained_on_a_stale_head_keeps_one_chain(app, make_user):
    """Another event lands between the head read with the session and the view's audit row:
    the conditional UPDATE finds the head moved, the head is taken and the row chained on
    the real one."""
    user = make_user()
    with app.app_context():
        record(user_id=user.id, role="", team_id=None, action="view", record_type="patient")
        db.session.commit()
        stale = db.session.scalar(select(AuditChainHead.last_hash))
        record(user_id=user.id, role="", team_id=None, action="view", record_type="patient")
        db.session.commit()  # (someone else's, after the guess was read)
    with app.test_request_context("/patients"):
        g.signed_in_extras = {GUESS_KEY: (stale,)}
        record(user_id=user.id, role="", team_id=None, action="view", record_type="patient",
               record_id=3)
        db.session.commit()
        assert verify().ok, verify()
        last = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
        assert last.record_id == 3
        assert db.session.scalar(select(AuditChainHead.last_hash)) == last.hash
    with app.test_request_context("/patients"):  # and on a fresh guess: two statements
        head = db.session.scalar(select(AuditChainHead.last_hash))
        g.signed_in_extras = {GUESS_KEY: (head,)}
        with count_queries(db.engine) as statements:
            record(user_id=user.id, role="", team_id=None, action="view",
                   record_type="patient", record_id=4)
            db.session.commit()
        assert [s.split()[0] for s in statements] == ["UPDATE", "INSERT"]
        assert verify().ok
