"""OpenID Connect against the real provider, driven with the Flask test client and a small
user agent at the provider (no mock of Authlib, no hand-made tokens): invitation, first
sign-in, the subject as the key, refusals, the attacks (tampered state, replayed code, wrong
audience, expired token, a response for another issuer) and sign-out."""

from datetime import timedelta

import pytest
import requests
import time_machine
from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.auth.models import User, UserSession
from mdt.auth.oidc.models import Identity, Invitation
from mdt.extensions import db
from mdt.teams.models import Membership
from mdt.timeutil import utcnow
from tests.conftest import ClientRequest
from tests.oidc.fixtures import (
    OTHER_SECRET,
    callback_path,
    csrf,
    oidc_sign_in,
    provider_login,
    query,
    start_sign_in,
)


def _invite(app, chair, email="nia.jones@trust.nhs.uk", name="Nia Jones", role="member"):
    chair_client = ClientRequest(app).sign_in(chair)
    with app.app_context():
        from mdt.teams.service import get_or_create_team
        team_id = get_or_create_team("Riverside").id
    page = chair_client.client.get(f"/teams/{team_id}/invitations")
    assert page.status_code == 200
    response = chair_client.client.post(f"/teams/{team_id}/invitations", data={
        "email": email, "name": name, "role": role,
        "csrf_token": csrf(chair_client.client, f"/teams/{team_id}/invitations")})
    assert response.status_code == 303, response.get_data(as_text=True)[:800]
    return team_id


def _events(app, action, outcome="ok"):
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == action, AuditEvent.outcome == outcome)))


def test_invitation_then_first_sign_in_makes_the_account_and_links_the_subject(
        app, oidc, make_user):
    chair = make_user(role="chair", name="Grace Okafor")
    team_id = _invite(app, chair)
    client = app.test_client()
    response = oidc_sign_in(client, "nia-subject-1", email="nia.jones@trust.nhs.uk",
                            name="Nia Jones", acr="aal3", amr="hwk pin")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert client.get("/actions").status_code == 200
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "nia.jones@trust.nhs.uk"))
        assert user.name == "Nia Jones" and user.password_hash == ""
        identity = db.session.scalar(select(Identity).where(Identity.user_id == user.id))
        assert (identity.issuer, identity.subject) == (oidc.issuer, "nia-subject-1")
        membership = db.session.scalar(select(Membership).where(Membership.user_id == user.id))
        assert (membership.team_id, membership.role) == (team_id, "member")
        invitation = db.session.scalar(select(Invitation))
        assert invitation.accepted_by_id == user.id
        row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
        assert (row.method, row.acr, row.amr) == ("test", "aal3", ["hwk", "pin"])
        assert row.id_token
    sign_in = [e for e in _events(app, "sign_in") if e.changes.get("method") == "test"]
    assert sign_in[-1].changes == {"method": "test", "acr": "aal3", "amr": ["hwk", "pin"]}


def test_after_linking_the_subject_is_the_key_not_the_email(app, oidc, make_user):
    _invite(app, make_user(role="chair"))
    first = oidc_sign_in(app.test_client(), "subject-a", email="nia.jones@trust.nhs.uk")
    assert first.status_code == 302
    # The same subject with a new email (a change of name at the trust): still the same user.
    again = app.test_client()
    assert oidc_sign_in(again, "subject-a", email="nia.evans@trust.nhs.uk").status_code == 302
    assert again.get("/actions").status_code == 200
    # Another subject claiming the linked email: refused (no invitation left for it).
    other = app.test_client()
    refused = oidc_sign_in(other, "subject-b", email="nia.jones@trust.nhs.uk")
    assert refused.status_code == 403
    assert "no account for nia.jones@trust.nhs.uk" in refused.get_data(as_text=True)
    assert other.get("/actions").status_code == 302  # not signed in
    with app.app_context():
        assert db.session.scalar(select(User).where(User.email.like("nia%"))).email == \
            "nia.jones@trust.nhs.uk"
        assert len(list(db.session.scalars(select(User)))) == 2  # the chair and Nia


def test_an_unknown_identity_is_refused_saying_who_to_ask(app, oidc):
    client = app.test_client()
    response = oidc_sign_in(client, "stranger", email="stranger@example.com")
    body = response.get_data(as_text=True)
    assert response.status_code == 403
    assert "Ask the chair of your team to invite you" in body
    assert client.get("/actions").status_code == 302
    refused = _events(app, "sign_in", "refused")
    assert refused and "stranger@example.com" in refused[-1].changes["reason"]
    with app.app_context():
        assert db.session.scalar(select(User)) is None


def test_an_unverified_email_does_not_match_an_invitation(app, oidc, make_user):
    _invite(app, make_user(role="chair"))
    response = oidc_sign_in(app.test_client(), "nia", email="nia.jones@trust.nhs.uk",
                            email_verified="false")
    assert response.status_code == 403
    assert "did not confirm your email address" in response.get_data(as_text=True)


def test_an_expired_invitation_names_who_to_ask_again(app, oidc, make_user):
    _invite(app, make_user(role="chair", name="Grace Okafor"))
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        invitation.expires_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    response = oidc_sign_in(app.test_client(), "nia", email="nia.jones@trust.nhs.uk")
    assert response.status_code == 403
    assert "Ask Grace Okafor to invite you again" in response.get_data(as_text=True)


def test_a_tampered_state_is_refused(app, oidc, make_user):
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    back = provider_login(start_sign_in(client), "known-subject")
    tampered = back.replace(f"state={query(back)['state']}", "state=forged-state-value")
    response = client.get(callback_path(tampered))
    assert response.status_code == 400
    assert client.get("/actions").status_code == 302
    # A state from another browser's flow (login CSRF: the attacker's own code and state).
    attacker = app.test_client()
    attacker_back = provider_login(start_sign_in(attacker), "known-subject")
    victim = app.test_client()
    start_sign_in(victim)
    assert victim.get(callback_path(attacker_back)).status_code == 400
    assert victim.get("/actions").status_code == 302
    assert any("state" in e.changes.get("reason", "") for e in _events(app, "sign_in",
                                                                         "refused"))


def _link(app, email, subject, issuer):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == email))
        db.session.add(Identity(user_id=user.id, provider="test", issuer=issuer,
                                subject=subject, email_at_link=email))
        db.session.commit()


def test_a_replayed_code_is_refused(app, oidc, make_user):
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    back = provider_login(start_sign_in(client), "known-subject")
    assert client.get(callback_path(back)).status_code == 302  # signed in once
    # The same response again, in the same browser: its state was used up.
    client.post("/sign-out", data={"csrf_token": csrf(client, "/actions")})
    assert client.get(callback_path(back)).status_code == 400
    # The old code under a fresh state of a new flow: the provider refuses a used code (and
    # the code was bound to the first flow's PKCE verifier).
    fresh = provider_login(start_sign_in(client), "known-subject")
    replay = fresh.replace(f"code={query(fresh)['code']}", f"code={query(back)['code']}")
    assert client.get(callback_path(replay)).status_code == 400
    assert client.get("/actions").status_code == 302


def test_a_token_for_another_audience_is_refused(app, oidc):
    """A real ID token the provider issued to another client ("mdt-other") fails the app's
    checks for its own client ("mdt"); the same check passes the app's own token."""
    from authlib.integrations.requests_client import OAuth2Session
    from joserfc.errors import InvalidClaimError

    from mdt.auth.oidc import client as oidc_client

    def real_token(client_id, secret):
        redirect = "http://localhost/sign-in/oidc/test/callback"
        session = OAuth2Session(client_id, secret, scope="openid email",
                                redirect_uri=redirect, code_challenge_method="S256")
        verifier = "v" * 64
        url, state = session.create_authorization_url(
            f"{oidc.issuer}/auth", nonce="n-123", code_verifier=verifier)
        back = provider_login(url, "someone@trust.nhs.uk")
        return session.fetch_token(f"{oidc.issuer}/token", authorization_response=back,
                                   code_verifier=verifier)

    with app.test_request_context():
        p = oidc_client.provider("test")
        own = oidc_client.check_id_token(p, real_token("mdt", oidc.config().client_secret),
                                         nonce="n-123")
        assert own["aud"] == "mdt"
        foreign = real_token("mdt-other", OTHER_SECRET)
        try:
            oidc_client.check_id_token(p, foreign, nonce="n-123")
        except InvalidClaimError as exc:
            assert "aud" in str(exc)
        else:
            raise AssertionError("a token for another audience was accepted")


def test_an_expired_id_token_is_refused(app, oidc, make_user):
    """The provider's ID tokens live 10 minutes; the callback arrives (by the app's clock)
    15 minutes later, past the 60 s allowed for clock skew."""
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    back = provider_login(start_sign_in(client), "known-subject")
    with time_machine.travel(utcnow() + timedelta(minutes=15), tick=True):
        response = client.get(callback_path(back))
    assert response.status_code == 400
    assert client.get("/actions").status_code == 302
    assert any("expired" in e.changes.get("reason", "").lower() or "exp" in
               e.changes.get("reason", "") for e in _events(app, "sign_in", "refused"))


def test_a_response_naming_another_issuer_is_refused(app, oidc, make_user):
    """RFC 9207: the provider names itself in the response (iss); a mixed-up response is
    refused before the code is sent anywhere."""
    client = app.test_client()
    back = provider_login(start_sign_in(client), "anyone")
    mixed = back.replace("iss=", "iss=https%3A%2F%2Fevil.example&was=")
    assert client.get(callback_path(mixed)).status_code == 400


def test_sign_out_ends_the_local_session_and_the_providers(app, oidc, make_user):
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    agent = requests.Session()
    back = provider_login(start_sign_in(client), "known-subject", agent=agent)
    assert client.get(callback_path(back)).status_code == 302
    cookie = client.get_cookie("mdt_session").value
    response = client.post("/sign-out", data={"csrf_token": csrf(client, "/actions")})
    assert response.status_code == 303
    logout = response.headers["Location"]
    assert logout.startswith(f"{oidc.issuer}/session/end")
    assert query(logout)["id_token_hint"] and query(logout)["post_logout_redirect_uri"] == \
        "http://localhost/sign-in"
    # The old cookie no longer works (the server-side session is revoked).
    replay = app.test_client()
    replay.set_cookie("mdt_session", cookie, domain="localhost")
    assert replay.get("/actions").status_code == 302
    # At the provider: its confirmation page, then its session is gone (a new sign-in asks
    # for the login again).
    page = agent.get(logout, timeout=10)
    assert "Sign out of the test provider" in page.text
    assert _events(app, "sign_out")


def test_the_address_is_throttled_after_repeated_failures(app, oidc):
    client = app.test_client()
    for _ in range(20):
        assert client.get("/sign-in/oidc/test/callback?state=x&code=y").status_code == 400
    assert client.get("/sign-in/oidc/test/callback?state=x&code=y").status_code == 429
    response = client.post("/sign-in/oidc/test", data={"csrf_token": csrf(client)})
    assert response.status_code == 429


def test_the_sign_in_start_needs_the_csrf_token(app, oidc):
    response = app.test_client().post("/sign-in/oidc/test")
    assert response.status_code == 400


@pytest.mark.real_commits  # the provider's logout call reaches the app on a live server
def test_back_channel_logout_from_the_provider_ends_the_session_here(app, oidc, make_user):
    """The user signs out at the provider (not here): the provider posts a signed logout
    token to the app, and the app's session that began there ends."""
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    agent = requests.Session()
    back = provider_login(start_sign_in(client), "known-subject", agent=agent)
    assert client.get(callback_path(back)).status_code == 302
    assert client.get("/actions").status_code == 200
    with app.app_context():
        row = db.session.scalar(select(UserSession).where(UserSession.method == "test"))
        assert row.provider_sid  # the ID token carried the provider's session id
    # At the provider, with no id_token_hint: its own sign-out page, confirmed.
    page = agent.get(f"{oidc.issuer}/session/end", timeout=10)
    from bs4 import BeautifulSoup
    form = BeautifulSoup(page.text, "html.parser").select_one("form#op\\.logoutForm")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
    agent.post(requests.compat.urljoin(page.url, form["action"]),
               data={**data, "logout": "yes"}, timeout=10)
    assert client.get("/actions").status_code == 302  # signed out here too
    assert any(e.changes.get("back_channel") for e in _events(app, "sign_out"))


def test_a_forged_logout_token_is_refused(app, oidc, make_user):
    make_user(email="known@trust.nhs.uk")
    _link(app, "known@trust.nhs.uk", "known-subject", oidc.issuer)
    client = app.test_client()
    back = provider_login(start_sign_in(client), "known-subject")
    assert client.get(callback_path(back)).status_code == 302
    import base64
    import json

    def b64(value):
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    unsigned = ".".join([b64({"alg": "none"}), b64({
        "iss": oidc.issuer, "aud": "mdt", "iat": int(utcnow().timestamp()), "sub":
        "known-subject", "events": {"http://schemas.openid.net/event/backchannel-logout": {}}}),
        ""])
    response = app.test_client().post("/sign-in/oidc/test/backchannel-logout",
                                      data={"logout_token": unsigned})
    assert response.status_code == 400
    # A real, signed token of the provider's but of the wrong kind (an ID token): refused.
    with app.app_context():
        id_token = db.session.scalar(select(UserSession.id_token).where(
            UserSession.method == "test"))
    response = app.test_client().post("/sign-in/oidc/test/backchannel-logout",
                                      data={"logout_token": id_token})
    assert response.status_code == 400
    assert client.get("/actions").status_code == 200  # still signed in


def test_a_provider_that_cannot_be_reached_is_a_page_not_a_500(app, oidc):
    from mdt.auth.oidc.config import Provider

    saved = app.config["OIDC_PROVIDERS"]
    app.config["OIDC_PROVIDERS"] = (Provider(
        name="test", issuer="http://127.0.0.1:9", client_id="mdt", client_secret="x",
        display_name="Test Trust"),)
    try:
        client = app.test_client()
        response = client.post("/sign-in/oidc/test", data={"csrf_token": csrf(client)})
        assert response.status_code == 503
        assert "Test Trust cannot be reached" in response.get_data(as_text=True)
    finally:
        app.config["OIDC_PROVIDERS"] = saved
