"""Subscription feeds and the settings page: secret links, caching, privacy."""

import hashlib
import logging
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from mdt.actions.models import Action
from mdt.audit.models import AuditEvent
from mdt.calendar import logs
from mdt.calendar.invitations import meeting_invitation
from mdt.calendar.models import CalendarFeed
from mdt.extensions import db
from mdt.meetings.models import Case
from mdt.meetings.service import move_meeting
from mdt.patients.nhs_number import display as nhs_display
from mdt.timeutil import london_today
from tests.calendar.conftest import details, next_date, parse, reload
from tests.conftest import ClientRequest, count_queries


def _make_link(client_request, endpoint="calendar.new_personal_feed", **values) -> str:
    page = client_request.post(endpoint, _expected_status=200, **values)
    url = page.select_one("input[name=feed_url]")["value"]
    assert "Copy this link now" in page.get_text()
    return urlsplit(url).path


def _get(app, path, **headers):
    return app.test_client().get(path, headers=headers)  # no sign-in: the token is enough


@pytest.fixture
def clinical(app, team, meeting):
    """Cases on the meeting and actions about patients, with names in their text."""
    from mdt.teams.service import get_or_create_team

    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        for position, patient in enumerate(team.patients):
            db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id,
                                position=position, reason=f"{patient.given_name} "
                                f"{patient.family_name} needs a key worker"))
            db.session.add(Action(team_id=team_id, patient_id=patient.id,
                                  description=f"Ring {patient.given_name} "
                                  f"{patient.family_name} ({patient.nhs_number})",
                                  owner_id=team.nurse.id, created_by_id=team.chair.id,
                                  due_on=london_today() + timedelta(days=3 + position)))
        db.session.commit()
        return list(db.session.scalars(select(Action.id).order_by(Action.id)))


def _assert_no_patient_data(data: bytes, team):
    text = data.decode().replace("\r\n ", "")  # unfold long lines first
    for patient in team.patients:
        for secret in (patient.given_name, patient.family_name, patient.nhs_number,
                       nhs_display(patient.nhs_number), patient.date_of_birth.isoformat(),
                       patient.date_of_birth.strftime("%Y%m%d")):
            assert secret not in text, secret
    assert "Ring " not in text and "key worker" not in text


def test_no_patient_data_in_any_invite_or_feed(app, client_request, team, meeting, clinical):
    client_request.sign_in(team.nurse)
    personal = _get(app, _make_link(client_request))
    chair = ClientRequest(app).sign_in(team.chair)
    with app.app_context():
        from mdt.teams.service import get_or_create_team
        team_id = get_or_create_team("Riverside").id
        invite = meeting_invitation(reload(meeting.id), app.config["BASE_URL"]).ics
    team_feed = _get(app, _make_link(chair, "calendar.new_team_feed", team_id=team_id))
    download = client_request.client.get(f"/meetings/{meeting.id}/invite.ics").data
    for data in (personal.data, team_feed.data, invite, download):
        _assert_no_patient_data(data, team)
    assert "3 cases on the case list" in parse(invite).events[0]["DESCRIPTION"]
    actions = [e for e in parse(personal.data).events if e["UID"].startswith("action-")]
    assert [e["SUMMARY"] for e in actions] == ["Action due (Neighbourhood MDT)"] * 3
    assert f"/actions/{clinical[0]}" in actions[0]["URL"]
    team_actions = [e for e in parse(team_feed.data).events if e["UID"].startswith("action-")]
    assert len(team_actions) == 3 and "Priya Patel" in team_actions[0]["SUMMARY"]


def test_personal_feed_holds_my_meetings_and_action_due_dates(app, client_request, team,
                                                               meeting, clinical):
    client_request.sign_in(team.nurse)
    response = _get(app, _make_link(client_request))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    calendar = parse(response.data)
    assert calendar["METHOD"] == "PUBLISH"
    assert calendar.walk("VTIMEZONE")
    events = {str(e["UID"]): e for e in calendar.events}
    assert meeting.uid in events and "ATTENDEE" not in events[meeting.uid]
    due = events[f"action-{clinical[0]}-due@neighbourhood-mdt"]
    assert due.start == london_today() + timedelta(days=3)
    assert b"DTSTART;VALUE=DATE:" in response.data
    # someone else's feed does not hold the nurse's actions
    client_request.client.post("/sign-out", data={"csrf_token": client_request.csrf_token()})
    outsider = ClientRequest(app).sign_in(team.outsider)
    theirs = parse(_get(app, _make_link(outsider)).data)
    assert not [e for e in theirs.events if str(e["UID"]) in events]


def test_feed_caching_etag_and_last_modified(app, client_request, team, meeting,
                                             chair_actor):
    client_request.sign_in(team.chair)
    path = _make_link(client_request)
    first = _get(app, path)
    assert first.status_code == 200
    assert first.headers["Cache-Control"] == "private, max-age=900"
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    again = _get(app, path, **{"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "private, max-age=900"
    assert _get(app, path, **{"If-Modified-Since": modified}).status_code == 304
    with app.app_context():
        move_meeting(chair_actor(), reload(meeting.id), details(meeting, next_date(7)))
        db.session.commit()
    changed = _get(app, path, **{"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert _get(app, path).headers["ETag"] == changed.headers["ETag"]  # stable body


def test_regenerating_kills_the_old_link_and_only_a_hash_is_kept(app, client_request, team):
    client_request.sign_in(team.nurse)
    old = _make_link(client_request)
    new = _make_link(client_request)
    assert old != new
    assert _get(app, old).status_code == 404
    assert _get(app, new).status_code == 200
    token = new.rsplit("/", 1)[1].removesuffix(".ics")
    with app.app_context():
        feeds = db.session.scalars(select(CalendarFeed)).all()
        events = db.session.scalars(select(AuditEvent).where(
            AuditEvent.record_type == "calendar_feed")).all()
    assert len(feeds) == 2 and sum(f.revoked_at is None for f in feeds) == 1
    live = next(f for f in feeds if f.revoked_at is None)
    assert live.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not any(token in str(value) for f in feeds for value in vars(f).values())
    assert len(events) == 2 and not any(token in str(e.changes) for e in events)
    page = client_request.get("calendar.settings")
    assert token not in str(page) and "A link was made on" in page.get_text()
    client_request.post("calendar.personal_feed_off")
    assert _get(app, new).status_code == 404


def test_unknown_tokens_are_404(app, client_request, team):
    client_request.sign_in(team.nurse)
    personal = _make_link(client_request)
    for path in ("/calendar/nonsense.ics", "/calendar/team/nonsense.ics",
                 "/calendar/" + "x" * 300 + ".ics", personal.replace("/calendar/",
                                                                     "/calendar/team/")):
        response = _get(app, path)
        assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"


def test_team_feed_for_chairs_only(app, client_request, team, meeting, clinical):
    from mdt.teams.service import get_or_create_team

    with app.app_context():
        riverside, hillside = get_or_create_team("Riverside").id, get_or_create_team(
            "Hillside").id
    client_request.sign_in(team.nurse)
    client_request.post("calendar.new_team_feed", team_id=riverside, _expected_status=403)
    client_request.post("calendar.new_team_feed", team_id=hillside, _expected_status=404)
    assert "Team calendars" not in client_request.get("calendar.settings").get_text()
    chair = ClientRequest(app).sign_in(team.chair)
    assert "Team calendars" in chair.get("calendar.settings").get_text()
    path = _make_link(chair, "calendar.new_team_feed", team_id=riverside)
    assert path.startswith("/calendar/team/")
    calendar = parse(_get(app, path).data)
    assert calendar["METHOD"] == "PUBLISH" and "Riverside" in calendar["X-WR-CALNAME"]
    assert meeting.uid in {str(e["UID"]) for e in calendar.events}
    assert _get(app, path.replace("/calendar/team/", "/calendar/")).status_code == 404
    chair.post("calendar.team_feed_off", team_id=riverside)
    assert _get(app, path).status_code == 404


def test_settings_page_needs_sign_in(app, client_request):
    response = client_request.client.get("/settings")
    assert response.status_code == 302 and "/sign-in" in response.headers["Location"]
    response = client_request.client.post("/settings/calendar-feed", data={})
    assert response.status_code == 400  # no CSRF token


def test_feed_reads_a_fixed_number_of_queries(app, client_request, team, meeting,
                                              chair_actor):
    from mdt.meetings.service import schedule_meeting

    client_request.sign_in(team.chair)
    path = _make_link(client_request)
    _get(app, path)
    _forget_cached_bodies(app)  # the feed built, not served from the cache
    with app.app_context(), count_queries(db.engine) as before:
        _get(app, path)
    with app.app_context():
        for days in (20, 30, 40):
            schedule_meeting(chair_actor(), chair_actor().team_ids[0], details(
                meeting, london_today() + timedelta(days=days)))
            db.session.commit()
    _get(app, path)
    _forget_cached_bodies(app)
    with app.app_context(), count_queries(db.engine) as after:
        _get(app, path)
    assert 0 < len(after) == len(before), (before, after)


def _forget_cached_bodies(app):
    from mdt.queue import redis_connection

    with app.app_context():
        for key in redis_connection().scan_iter("mdt:feeds:body:*"):
            redis_connection().delete(key)


def test_a_calendar_app_that_has_the_version_gets_304_from_redis_alone(
        app, client_request, team, meeting, clinical):
    """Nothing is built for a 304, and the body is built once per version."""
    from mdt.calendar import feeds

    client_request.sign_in(team.nurse)
    path = _make_link(client_request)
    built = []
    original = feeds.personal_content
    feeds.personal_content = lambda *args, **kwargs: built.append(1) or original(*args,
                                                                                **kwargs)
    try:
        first = _get(app, path)
        with app.app_context(), count_queries(db.engine) as unchanged:
            again = _get(app, path, **{"If-None-Match": first.headers["ETag"]})
        cached = _get(app, path)
    finally:
        feeds.personal_content = original
    assert again.status_code == 304 and again.headers["ETag"] == first.headers["ETag"]
    assert len(unchanged) <= 2, unchanged  # the link and the reader's teams
    assert cached.status_code == 200 and cached.data == first.data
    assert cached.headers["Last-Modified"] == first.headers["Last-Modified"]
    assert built == [1]


def test_a_change_to_the_team_moves_the_version(app, client_request, team, meeting,
                                                clinical):
    client_request.sign_in(team.nurse)
    path = _make_link(client_request)
    first = _get(app, path)
    with app.app_context():
        action = db.session.get(Action, clinical[0])
        action.due_on = action.due_on + timedelta(days=5)  # any committed change
        db.session.commit()
    changed = _get(app, path, **{"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.headers["ETag"] != first.headers["ETag"]
    due = next(e for e in parse(changed.data).events
               if e["UID"] == f"action-{clinical[0]}-due@neighbourhood-mdt")
    assert due.start == london_today() + timedelta(days=8)
    # another team's change leaves this feed's version alone
    from mdt.teams.service import get_or_create_team

    with app.app_context():
        get_or_create_team("Elsewhere")
        db.session.commit()
    assert _get(app, path, **{"If-None-Match": changed.headers["ETag"]}).status_code == 304


def test_two_links_never_share_a_cached_body(app, client_request, team, meeting, clinical):
    client_request.sign_in(team.nurse)
    nurse = _get(app, _make_link(client_request))
    chair = _get(app, _make_link(ClientRequest(app).sign_in(team.chair)))
    assert nurse.headers["ETag"] != chair.headers["ETag"]
    assert nurse.data != chair.data


def test_with_redis_down_the_feed_is_built_as_before(app, client_request, team, meeting,
                                                     clinical):
    from redis import Redis
    from redis.backoff import NoBackoff
    from redis.retry import Retry

    client_request.sign_in(team.nurse)
    path = _make_link(client_request)
    working = app.extensions["mdt_redis"]
    app.extensions["mdt_redis"] = Redis(port=_closed_port(), socket_connect_timeout=0.2,
                                        retry=Retry(NoBackoff(), 0))  # refused at once
    try:
        first = _get(app, path)
        again = _get(app, path, **{"If-None-Match": first.headers["ETag"]})
    finally:
        app.extensions["mdt_redis"] = working
    assert first.status_code == 200 and b"BEGIN:VEVENT" in first.data
    assert again.status_code == 304  # from the content's own digest


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_tokens_are_redacted_from_request_logs():
    record = logging.LogRecord("werkzeug", logging.INFO, __file__, 1,
                               '%s - - "%s" %s', ("127.0.0.1",
                                                  "GET /calendar/team/s3cr3t-T0ken_x.ics "
                                                  "HTTP/1.1", "200"), None)
    logs.RedactFeedTokens().filter(record)
    assert "s3cr3t" not in record.getMessage()
    assert "/calendar/team/[token].ics" in record.getMessage()
    assert logs.redact("/calendar/abc.ics?x=1") == "/calendar/[token].ics?x=1"


def test_my_visits_are_in_my_feed_without_patient_details(app, client_request, team):
    from datetime import timedelta

    from mdt.extensions import db
    from mdt.teams.service import get_or_create_team
    from mdt.timeutil import london_today
    from mdt.visits.models import Visit
    from tests.conftest import ClientRequest

    with app.app_context():
        patient_id = team.patients[0].id
        db.session.add(Visit(team_id=get_or_create_team("Riverside").id, patient_id=patient_id,
                             professional_id=team.chair.id, day=london_today() + timedelta(days=1),
                             window="afternoon", created_by_id=team.chair.id))
        db.session.commit()
    client = ClientRequest(app).sign_in(team.chair)
    page = client.client.post("/settings/calendar-feed", data={"csrf_token": client.csrf_token()})
    body = page.get_data(as_text=True)
    import re
    url = re.search(r"(/calendar/[A-Za-z0-9_-]+\.ics)", body).group(1)
    feed = client.client.get(url).get_data(as_text=True)
    assert "SUMMARY:Home visit (Neighbourhood MDT)" in feed
    assert "Ellis" not in feed and "Margaret" not in feed
