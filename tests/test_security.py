"""CSRF on every state-changing route, and the security headers on every response."""

import pytest

from tests.conftest import ClientRequest


def _state_changing_rules(app):
    return [(rule, method) for rule in app.url_map.iter_rules()
            for method in sorted(rule.methods - {"GET", "HEAD", "OPTIONS"})]


# Not called by a browser: the provider's signed logout token is the proof (tests/oidc).
CSRF_EXEMPT = {"oidc.backchannel_logout"}


def test_the_csrf_exempt_routes_refuse_a_request_without_their_own_proof(app):
    client = app.test_client()
    for endpoint in CSRF_EXEMPT:
        assert endpoint in {rule.endpoint for rule in app.url_map.iter_rules()}
    # No provider is configured here: an unknown one is a 404; tests/oidc sends forged and
    # real logout tokens to a configured one.
    assert client.post("/sign-in/oidc/test/backchannel-logout",
                       data={"logout_token": "x"}).status_code == 404


def test_every_state_changing_route_refuses_a_missing_csrf_token(app, make_user, make_patient):
    patient = make_patient()
    rules = _state_changing_rules(app)
    assert len(rules) >= 5  # sign-in, sign-out, new patient, edit patient, search
    client = ClientRequest(app)
    client.sign_in(make_user())
    samples = {"patient_id": patient.id, "team_id": 1, "section_name": "what_matters",
               "action_id": 1, "meeting_id": 1, "case_id": 1, "invitee_id": 1,
               "series_id": 1, "day": "2026-12-08", "visit_id": 1, "merge_id": 1,
               "reminder_id": 1, "token": "x", "referral_id": 1, "kind": "died", "letter_id": 1,
               "number": 1, "provider": "test", "invitation_id": 1}
    adapter = app.url_map.bind("localhost")
    for rule, method in rules:
        if rule.endpoint in CSRF_EXEMPT:
            continue
        path = adapter.build(rule.endpoint, {arg: samples[arg] for arg in rule.arguments},
                             method=method)
        response = client.client.open(path, method=method, data={"q": "x"})
        assert response.status_code == 400, (rule.rule, response.status_code)
        assert "Your form could not be sent" in response.get_data(as_text=True)


def test_htmx_requests_send_the_token_in_a_header(client_request, make_user, make_patient):
    make_patient(family="Whitfield")
    client_request.sign_in(make_user())
    page = client_request.get("patients.index")
    header = page.select_one("body")["hx-headers:inherited"]
    import json
    token = json.loads(header)["X-CSRFToken"]
    response = client_request.client.post("/patients/search", data={"q": "whit"},
                                          headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200 and "Whitfield" in response.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/sign-in", "/patients", "/does-not-exist"])
def test_security_headers_on_every_response(client_request, make_user, path):
    client_request.sign_in(make_user())
    response = client_request.client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for part in ("object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'",
                 "script-src 'self' 'nonce-"):
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_nonce_is_new_on_every_request(client_request):
    first = client_request.client.get("/sign-in").headers["Content-Security-Policy"]
    second = client_request.client.get("/sign-in").headers["Content-Security-Policy"]
    assert first != second


def test_session_cookie_flags(client_request, make_user):
    client_request.sign_in(make_user())
    cookie = client_request.client.get_cookie("mdt_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_error_pages_are_nhs_styled(client_request, make_user):
    client_request.sign_in(make_user())
    page = client_request.get("patients.show", patient_id=999999, _expected_status=404)
    assert page.select_one("h1").get_text() == "Page not found"
    assert page.select_one("header.nhsuk-header") is not None


def test_static_vendor_files_are_served(client_request):
    for path in ("/static/vendor/htmx/htmx.min.js",
                 "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.css",
                 "/static/vendor/nhsuk-frontend/nhsuk-frontend.min.js",
                 "/static/vendor/nhsuk-frontend/assets/images/favicon.svg",
                 "/static/js/app.js"):
        response = client_request.client.get(path)
        assert response.status_code == 200, path
        response.close()


def test_ids_past_the_integer_range_are_404_not_500(client_request, make_user):
    client_request.sign_in(make_user())
    for path in ("/patients/99999999999999999999999", "/meetings/2147483648",
                 "/actions/99999999999999999999999/complete"):
        response = client_request.client.get(path)
        assert response.status_code in (404, 405), path


def test_permissions_policy_turns_off_what_the_app_never_uses(client_request):
    policy = client_request.client.get("/sign-in").headers["Permissions-Policy"]
    assert "camera=()" in policy and "geolocation=()" in policy and "microphone=()" in policy


def test_a_new_line_in_a_single_line_field_is_refused(app, client_request, make_user):
    from tests.meetings.conftest import FUTURE, date_fields

    client_request.sign_in(make_user(role="chair"))
    page = client_request.post("meetings.new", _data={
        "title": "MDT\r\nBcc: someone@evil.example", "start": "12:30", "end": "14:00",
        "location": "Room 2", **date_fields("day", FUTURE)}, _expected_status=400)
    assert "Title must be on one line" in page.select_one(".nhsuk-error-summary").get_text()


def test_no_patient_name_travels_in_the_session_cookie(app, client_request, make_user):
    """Flash messages live in the (signed, not encrypted) session cookie."""
    import base64
    import zlib

    from tests.patients.test_views import GOOD, _team_id

    client_request.sign_in(make_user())
    response = client_request.client.post("/patients/new", data=dict(
        GOOD, team_id=_team_id(app), csrf_token=client_request.csrf_token()))
    assert response.status_code == 303
    cookie = client_request.client.get_cookie("mdt_session").value
    payload = cookie.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    text = (zlib.decompress(raw) if cookie.startswith(".") else raw).decode()
    assert "Patient added" in text
    assert GOOD["family_name"] not in text and GOOD["given_name"] not in text
