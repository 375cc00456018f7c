from datetime import timedelta

import pytest
from sqlalchemy import select

from mdt.auth.models import UserSession
from mdt.extensions import db
from tests.conftest import PASSWORD, ClientRequest


def _age(app, model, column, delta):
    """Move every row's timestamp back in time (portable: no SQL date arithmetic)."""
    with app.app_context():
        for row in db.session.scalars(select(model)):
            setattr(row, column, getattr(row, column) - delta)
        db.session.commit()


def _sign_in(client_request, email, password, address="10.0.0.1"):
    token = client_request.csrf_token("/sign-in")
    return client_request.client.post("/sign-in", data={
        "email": email, "password": password, "csrf_token": token},
        environ_base={"REMOTE_ADDR": address})


def test_sign_in_then_see_patients(client_request, make_user):
    user = make_user(name="Grace Okafor")
    client_request.sign_in(user)
    page = client_request.get("patients.index")
    assert "Grace Okafor" in page.select_one("header").get_text()
    assert "Riverside" in page.select_one("header").get_text()


def test_wrong_password_is_refused_with_a_message(client_request, make_user):
    user = make_user()
    response = _sign_in(client_request, user.email, "wrong-password-123")
    assert response.status_code == 401
    assert "Enter a correct email address and password" in response.get_data(as_text=True)
    assert client_request.client.get("/patients").status_code == 302


def test_unknown_email_gets_the_same_answer(client_request):
    response = _sign_in(client_request, "nobody@example.nhs.uk", PASSWORD)
    assert response.status_code == 401


def test_too_many_failures_throttle_the_account_even_with_the_right_password(
        client_request, make_user):
    user = make_user()
    for _ in range(5):
        assert _sign_in(client_request, user.email, "wrong-password-123").status_code == 401
    response = _sign_in(client_request, user.email, PASSWORD)
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.get_data(as_text=True)


def test_throttle_lifts_after_the_window_so_no_one_is_locked_out_forever(
        app, client_request, make_user):
    import time_machine

    user = make_user()
    for _ in range(5):
        _sign_in(client_request, user.email, "wrong-password-123")
    assert _sign_in(client_request, user.email, PASSWORD).status_code == 429
    with time_machine.travel(timedelta(minutes=16)):  # the moving window reads the clock
        assert _sign_in(client_request, user.email, PASSWORD).status_code == 302


def test_throttle_per_address_slows_spraying_across_accounts(client_request, make_user):
    users = [make_user() for _ in range(5)]
    for user in users:  # 4 failures each: under the per-account limit, 20 from one address
        for _ in range(4):
            _sign_in(client_request, user.email, "wrong-password-123", address="10.9.9.9")
    assert _sign_in(client_request, users[0].email, PASSWORD, address="10.9.9.9").status_code == 429
    # A colleague elsewhere is not locked out by the attacker's address.
    assert _sign_in(client_request, users[0].email, PASSWORD, address="10.1.1.1").status_code == 302


def test_sign_out_ends_the_session_server_side(client_request, make_user):
    user = make_user()
    client_request.sign_in(user)
    client = client_request.client
    stolen = client.get_cookie("mdt_session").value
    assert client.get("/patients").status_code == 200
    client_request.post("auth.sign_out", _expected_status=302)
    assert client.get("/patients").status_code == 302
    client.set_cookie("mdt_session", stolen)  # replay the cookie from before sign-out
    assert client.get("/patients").status_code == 302


def test_a_new_session_identifier_at_sign_in(app, client_request, make_user):
    user = make_user()
    client_request.client.get("/sign-in")
    client_request.sign_in(user)
    first = client_request.client.get_cookie("mdt_session").value
    client_request.post("auth.sign_out", _expected_status=302)
    client_request.sign_in(user)
    assert client_request.client.get_cookie("mdt_session").value != first
    with app.app_context():
        rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
        assert len(rows) == 2 and rows[0].token != rows[1].token
        assert rows[0].revoked_at is not None and rows[1].revoked_at is None


def test_idle_sessions_time_out(app, client_request, make_user):
    user = make_user()
    client_request.sign_in(user)
    _age(app, UserSession, "last_seen_at", timedelta(minutes=31))
    assert client_request.client.get("/patients").status_code == 302


def test_absolute_timeout_even_when_active(app, client_request, make_user):
    user = make_user()
    client_request.sign_in(user)
    _age(app, UserSession, "created_at", timedelta(hours=13))
    assert client_request.client.get("/patients").status_code == 302


def test_next_parameter_cannot_redirect_off_site(client_request, make_user):
    user = make_user()
    token = client_request.csrf_token("/sign-in")
    response = client_request.client.post("/sign-in?next=//evil.example/x", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_passwords_are_argon2id_and_short_ones_refused(password_hash):
    import pytest

    from mdt.auth.service import PasswordPolicyError, hash_password

    assert password_hash.startswith("$argon2id$")
    params = dict(p.split("=") for p in password_hash.split("$")[3].split(","))
    assert int(params["m"]) >= 19456 and int(params["t"]) >= 2  # OWASP's minimum
    with pytest.raises(PasswordPolicyError):
        hash_password("short-pass")


def test_signed_out_users_are_sent_to_sign_in(client_request):
    response = client_request.client.get("/patients/1")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]


def test_a_user_on_no_team_is_forbidden_patient_pages(client_request, make_user):
    client_request.sign_in(make_user(team=None))
    client_request.get("patients.index", _expected_status=403)


def test_password_change_ends_other_sessions_and_keeps_this_one(app, client_request,
                                                                 make_user):
    user = make_user(name="Grace Okafor")
    other_device = ClientRequest(app)
    other_device.sign_in(user)
    client_request.sign_in(user)
    new = "violet-harbour-lantern-42"
    client_request.post("auth.change_password", _data={
        "current": PASSWORD, "new": new, "confirm": new})
    assert client_request.client.get("/patients").status_code == 200  # still signed in here
    assert other_device.client.get("/patients").status_code == 302  # not there
    fresh = ClientRequest(app)
    fresh.sign_in(user, password=new)


@pytest.mark.parametrize("new, message", [
    ("short", "at least 12 characters"),
    ("password1234", "too easy to guess"),
    ("aaaaaaaaaaaaaaaa", "too easy to guess"),
    ("grace-okafor-2026", "must not contain your name"),
    ("Password1234!", "too easy to guess"),
    ("Summer2026!!", "too easy to guess"),
    ("Riverside2026", "too easy to guess"),  # the user's team
])
def test_weak_new_passwords_are_refused(client_request, make_user, new, message):
    client_request.sign_in(make_user(name="Grace Okafor", email="grace.okafor@example.nhs.uk"))
    page = client_request.post("auth.change_password", _data={
        "current": PASSWORD, "new": new, "confirm": new}, _expected_status=400)
    assert message in page.select_one(".nhsuk-error-summary").get_text()


def test_wrong_current_password_is_refused(client_request, make_user):
    client_request.sign_in(make_user())
    page = client_request.post("auth.change_password", _data={
        "current": "not-my-password-1", "new": "violet-harbour-lantern-42",
        "confirm": "violet-harbour-lantern-42"}, _expected_status=400)
    assert "current password is not correct" in page.get_text()


@pytest.mark.parametrize("target", [
    "//evil.example", "/\t/evil.example", "/%09/evil.example", "/\n/evil.example",
    "/%0A/evil.example", "/\\evil.example", "/%5Cevil.example", "https://evil.example/",
    "http:evil.example", "javascript:alert(1)", "\t//evil.example", " /\\/evil.example",
    "/\r\n/evil.example", "/\x00/evil.example", "///evil.example", "evil.example",
])
def test_sign_in_never_redirects_off_site(client_request, make_user, target):
    """Known open-redirect bypasses (tabs and new lines that browsers drop, backslashes they
    read as slashes, schemes, protocol-relative URLs): each lands on the home page."""
    from urllib.parse import quote

    user = make_user()
    token = client_request.csrf_token("/sign-in")
    response = client_request.client.post(
        "/sign-in?next=" + (target if "%" in target else quote(target, safe="/")),
        data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_sign_in_keeps_a_same_site_next_page(client_request, make_user):
    user = make_user()
    token = client_request.csrf_token("/sign-in")
    response = client_request.client.post("/sign-in?next=/patients%3Fstage%3Dpalliative", data={
        "email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.headers["Location"] == "/patients?stage=palliative"


@pytest.mark.real_commits  # 40 threads, each with a connection of its own
def test_parallel_guesses_are_checked_no_more_than_the_limit(app, make_user):
    """40 guesses released together: only the limit's worth reach the password check."""
    import threading

    from mdt.auth import service

    user = make_user()
    checked, statuses, lock = [], [], threading.Lock()
    real_verify = service.verify_password

    def counting_verify(who, password):
        with lock:
            checked.append(password)
        return real_verify(who, password)

    clients = [ClientRequest(app) for _ in range(40)]
    tokens = [c.csrf_token("/sign-in") for c in clients]
    barrier = threading.Barrier(40)

    def guess(client, token, n):
        barrier.wait()
        response = client.client.post("/sign-in", data={
            "email": user.email, "password": f"guess-number-{n:04d}", "csrf_token": token},
            environ_base={"REMOTE_ADDR": "10.6.6.6"})
        with lock:
            statuses.append(response.status_code)

    service.verify_password = counting_verify
    try:
        threads = [threading.Thread(target=guess, args=(c, t, n))
                   for n, (c, t) in enumerate(zip(clients, tokens, strict=True))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        service.verify_password = real_verify
    print(f"parallel guesses: 40 sent, {len(checked)} checked, limit 5")
    assert len(checked) == 5
    assert sorted(set(statuses)) == [401, 429] and statuses.count(401) == 5


def test_an_attacker_elsewhere_does_not_lock_the_user_out(client_request, make_user):
    user = make_user()
    for n in range(8):
        _sign_in(client_request, user.email, f"wrong-password-{n}", address="10.6.6.6")
    assert _sign_in(client_request, user.email, PASSWORD, address="10.6.6.6").status_code == 429
    assert _sign_in(client_request, user.email, PASSWORD, address="10.1.2.3").status_code == 302


def test_unknown_and_known_accounts_take_the_same_time(client_request, make_user,
                                                      password_hash):
    """The password hash is checked either way: timings within 20% (medians of 7)."""
    import statistics
    import time

    user = make_user(password_hash=password_hash)  # hashed as the app does, not quickly

    def timed(email, n):
        start = time.perf_counter()
        _sign_in(client_request, email, f"wrong-password-{n}", address=f"10.7.{n}.1")
        return time.perf_counter() - start

    known, unknown = [], []
    for n in range(9):  # alternately, so a busy machine slows both alike
        known.append(timed(user.email, n))
        unknown.append(timed("nobody-here@example.nhs.uk", n + 20))
    known, unknown = statistics.median(known), statistics.median(unknown)
    ratio = known / unknown
    print(f"sign-in timing: known {known * 1000:.0f} ms, unknown {unknown * 1000:.0f} ms, "
          f"ratio {ratio:.2f}")
    assert 0.8 <= ratio <= 1.25


def test_the_current_password_check_is_throttled(client_request, make_user):
    client_request.sign_in(make_user())
    for n in range(5):
        client_request.post("auth.change_password", _data={
            "current": f"not-my-password-{n}", "new": "violet-harbour-lantern-42",
            "confirm": "violet-harbour-lantern-42"}, _expected_status=400)
    page = client_request.post("auth.change_password", _data={
        "current": PASSWORD, "new": "violet-harbour-lantern-42",
        "confirm": "violet-harbour-lantern-42"}, _expected_status=400)
    assert "Too many failed password attempts" in page.get_text()
