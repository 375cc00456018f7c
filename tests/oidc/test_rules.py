"""Deployment rules with the real provider: minimum assurance for chairs and for key
information, passwords turned off, linking refused when the identity is someone else's."""

import pytest
from sqlalchemy import select

from mdt.auth.oidc.models import Identity
from mdt.extensions import db
from tests.conftest import ClientRequest
from tests.oidc.fixtures import csrf, oidc_sign_in, provider_login, start_sign_in


@pytest.fixture
def levels(app, oidc):
    app.config.update(ASSURANCE_LEVELS=("aal1", "aal2", "aal3"))
    yield app.config


def _linked(app, user, subject, issuer):
    with app.app_context():
        db.session.add(Identity(user_id=user.id, provider="test", issuer=issuer,
                                subject=subject, email_at_link=user.email))
        db.session.commit()


def test_chairs_need_the_minimum_assurance_else_they_act_as_members(app, oidc, levels,
                                                                   make_user):
    levels["CHAIR_MIN_ASSURANCE"] = "aal3"
    chair = make_user(role="chair")
    _linked(app, chair, "chair-subject", oidc.issuer)
    weak = app.test_client()
    assert oidc_sign_in(weak, "chair-subject", acr="aal2").status_code == 302
    refused = weak.get("/actions/board")
    assert refused.status_code == 403
    assert "Chairing a team needs a stronger sign-in" in refused.get_data(as_text=True)
    assert weak.get("/patients").status_code == 200  # still a member of the team
    strong = app.test_client()
    assert oidc_sign_in(strong, "chair-subject", acr="aal3").status_code == 302
    assert strong.get("/actions/board").status_code == 200
    # A password session ranks below every level.
    assert ClientRequest(app).sign_in(chair).client.get("/actions/board").status_code == 403


def test_key_information_needs_the_minimum_assurance(app, oidc, levels, make_user,
                                                     make_patient):
    levels["KEY_INFORMATION_MIN_ASSURANCE"] = "aal2"
    patient = make_patient(family="Whitfield")
    member = make_user()
    _linked(app, member, "member-subject", oidc.issuer)
    path = f"/patients/{patient.id}/key-information/wishes"
    weak = app.test_client()
    assert oidc_sign_in(weak, "member-subject", acr="aal1").status_code == 302
    refused = weak.get(path)
    assert refused.status_code == 403
    assert "needs a stronger sign-in" in refused.get_data(as_text=True)
    summary = weak.get(f"/patients/{patient.id}").get_data(as_text=True)
    assert "Key information needs a stronger sign-in" in summary
    strong = app.test_client()
    assert oidc_sign_in(strong, "member-subject", acr="aal2").status_code == 302
    assert strong.get(path).status_code == 200
    assert "needs a stronger sign-in" not in strong.get(f"/patients/{patient.id}").get_data(
        as_text=True)


def test_passwords_turned_off(app, oidc, make_user):
    user = make_user()
    app.config["PASSWORD_SIGN_IN"] = False
    try:
        client = app.test_client()
        page = client.get("/sign-in").get_data(as_text=True)
        assert "Sign in with Test Trust" in page and 'name="password"' not in page
        response = client.post("/sign-in", data={"email": user.email, "password": "x",
                                                 "csrf_token": csrf(client)})
        assert response.status_code == 404
    finally:
        app.config["PASSWORD_SIGN_IN"] = True


def test_an_identity_linked_to_someone_else_cannot_be_linked_again(app, oidc, make_user):
    first, second = make_user(), make_user()
    _linked(app, first, "shared-subject", oidc.issuer)
    client = ClientRequest(app).sign_in(second).client
    response = client.post("/settings/sign-in", data={
        "provider": "test", "password": "correct-horse-battery-staple",
        "csrf_token": csrf(client, "/settings/sign-in")})
    assert response.status_code == 302
    back = provider_login(response.headers["Location"], "shared-subject")
    refused = client.get(back.replace("http://localhost", ""))
    assert refused.status_code == 409
    assert "already linked to another person" in refused.get_data(as_text=True)
    with app.app_context():
        owners = db.session.scalars(select(Identity.user_id).where(
            Identity.subject == "shared-subject")).all()
        assert owners == [first.id]


def test_a_link_response_is_not_a_sign_in_for_someone_else(app, oidc, make_user):
    """A link started by one signed-in user cannot be finished in a signed-out browser."""
    user = make_user()
    client = ClientRequest(app).sign_in(user).client
    response = client.post("/settings/sign-in", data={
        "provider": "test", "password": "correct-horse-battery-staple",
        "csrf_token": csrf(client, "/settings/sign-in")})
    back = provider_login(response.headers["Location"], "some-subject")
    other = app.test_client()
    start_sign_in(other)
    assert other.get(back.replace("http://localhost", "")).status_code == 400
