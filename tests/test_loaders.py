"""Scoped loaders (mdt/loaders.py): every route that takes a record's id loads it through
@load, so team scoping is in one place. In the style of GOV.UK Notify's
tests/app/main/test_permissions.py: a new id route without a loader fails here."""

import pytest
from sqlalchemy import func, select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.loaders import LOADERS, load
from tests.conftest import ClientRequest


def _id_arguments(rule) -> set[str]:
    """The URL's record ids: `<int:meeting_id>`, any `<...id>`, and the care plan's number."""
    return {a for a in rule.arguments if a.endswith("id") or a == "number"}


def test_every_route_with_an_id_has_a_loader(app):
    missing = []
    for rule in app.url_map.iter_rules():
        ids = _id_arguments(rule)
        if not ids:
            continue
        loads = getattr(app.view_functions[rule.endpoint], "loads", {})
        if ids - set(loads):
            missing.append(f"{rule.endpoint} {rule.rule}: no loader for "
                           f"{sorted(ids - set(loads))}")
    assert missing == []


def test_there_are_id_routes_to_check(app):
    loaded = [r for r in app.url_map.iter_rules() if _id_arguments(r)]
    assert len(loaded) >= 60


def test_every_loader_is_registered_and_roles_are_named(app):
    declared = {argument for view in app.view_functions.values()
                for argument in getattr(view, "loads", {})}
    assert sorted(declared - set(LOADERS)) == []
    with pytest.raises(ValueError):
        load("meeting_id", role="owner")
    with pytest.raises(ValueError):
        load()


def _refusals():
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.outcome == "refused"))


def test_another_teams_id_and_an_absent_id_get_the_same_answer_and_are_audited(
        app, make_user, make_patient):
    from mdt.teams.service import get_or_create_team

    make_user(role="chair")
    other = make_user(team="Hillside")
    patient = make_patient()  # on Riverside
    client = ClientRequest(app).sign_in(other)
    with app.app_context():
        get_or_create_team("Riverside")
        before = _refusals()
    theirs = client.client.get(f"/patients/{patient.id}")
    absent = client.client.get(f"/patients/{patient.id + 1000}")
    assert theirs.status_code == absent.status_code == 404

    def text(response):  # the page, without its per-response nonce
        body = response.get_data(as_text=True)
        return body.replace(response.headers["Content-Security-Policy"].split("'nonce-")[1]
                            .split("'")[0], "")
    assert text(theirs) == text(absent)
    with app.app_context():
        assert _refusals() == before + 2
        row = db.session.scalars(select(AuditEvent).where(AuditEvent.outcome == "refused")
                                 .order_by(AuditEvent.id.desc())).first()
        assert row.user_id == other.id and row.changes["status"] == 404


def test_a_member_without_the_role_is_refused_403(app, make_user):
    from datetime import date, time

    from mdt.auth.actor import Actor
    from mdt.meetings import service
    from mdt.teams.service import get_or_create_team

    chair = make_user(role="chair")
    member = make_user()
    with app.app_context():
        team = get_or_create_team("Riverside").id
        meeting = service.schedule_meeting(
            Actor(chair.id, (team,), {team: "chair"}), team, service.MeetingDetails(
                title="MDT", day=date(2030, 1, 8), start=time(12), end=time(13),
                chair_id=chair.id)).id
        db.session.commit()
    client = ClientRequest(app).sign_in(member)
    assert client.client.get(f"/meetings/{meeting}/edit").status_code == 403
    assert client.client.get(f"/meetings/{meeting}").status_code == 200
