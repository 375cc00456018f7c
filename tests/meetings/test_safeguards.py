"""Safeguards that respect the chair: starting on another day and finishing both ask once
and say what will happen; finishing can be undone for ten minutes."""

from datetime import timedelta

from sqlalchemy import select

from mdt.extensions import db
from mdt.meetings.models import Case, Meeting
from mdt.timeutil import to_london, utcnow
from tests.meetings.conftest import FUTURE, record
from tests.meetings.test_meetings import _add_case, _case_ids


def _uk(day):
    return f"{day.day} {day:%b %Y}"


def test_starting_on_another_day_asks_first(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    page = client_request.post("meetings.start", meeting_id=meeting.id, _expected_status=200)
    assert page.select_one("h1").get_text() == f"This meeting is on {_uk(FUTURE)}: start it now?"
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "scheduled"  # not started
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "in_progress"


def test_finishing_says_what_will_move_then_can_be_undone(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    for patient in team.patients:
        _add_case(client_request, meeting, patient)
    first, second, third = _case_ids(app, meeting)
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    record(client_request, meeting.id, first, outcome="Done")
    check = client_request.get("meetings.finish_check", meeting_id=meeting.id)
    effects = check.select_one("#finish-effects").get_text(" ", strip=True)
    next_day = FUTURE + timedelta(weeks=4)  # no later meeting: a new one four weeks on
    assert "1 case discussed" in effects
    assert f"2 cases not discussed (or deferred) will move to {_uk(next_day)}" in effects
    with app.app_context():  # asking made nothing
        assert db.session.scalar(select(db.func.count(Meeting.id))) == 1

    client_request.post("meetings.finish", meeting_id=meeting.id)
    with app.app_context():
        follow_up = db.session.scalar(select(Meeting).where(Meeting.id != meeting.id))
        assert to_london(follow_up.starts_at).date() == next_day  # as the preview said
        assert len(_case_ids(app, follow_up)) == 2
    minutes = client_request.get("meetings.minutes", meeting_id=meeting.id)
    assert minutes.select_one("form[action$='/undo-finish']") is not None

    client_request.post("meetings.undo_finish", meeting_id=meeting.id)
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "in_progress"
        assert _case_ids(app, follow_up) == []
        statuses = {c.id: c.status for c in db.session.scalars(select(Case).where(
            Case.meeting_id == meeting.id))}
    assert statuses == {first: "discussed", second: "listed", third: "listed"}


def test_undo_is_refused_after_ten_minutes_or_once_the_next_meeting_used_a_case(
        app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    for patient in team.patients[:2]:
        _add_case(client_request, meeting, patient)
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    client_request.post("meetings.finish", meeting_id=meeting.id)
    with app.app_context():
        follow_up = db.session.scalar(select(Meeting).where(Meeting.id != meeting.id))
    carried = _case_ids(app, follow_up)
    record(client_request, follow_up.id, carried[0], notes="Talked about already")
    client_request.post("meetings.undo_finish", meeting_id=meeting.id)
    with app.app_context():
        assert db.session.get(Meeting, meeting.id).status == "finished"
        assert len(_case_ids(app, follow_up)) == 2
        db.session.get(Meeting, meeting.id).finished_at = utcnow() - timedelta(minutes=11)
        db.session.commit()
    minutes = client_request.get("meetings.minutes", meeting_id=meeting.id)
    assert minutes.select_one("form[action$='/undo-finish']") is None
    assert "undone" in minutes.get_text() or "cannot be undone" in minutes.get_text()


def test_apologies_sent_beforehand_start_the_attendance_checklist(app, client_request, team,
                                                                  meeting):
    from tests.conftest import ClientRequest
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)
    page = nurse.get("meetings.show", meeting_id=meeting.id)
    assert "Send my apologies" in page.select_one("#my-apologies").get_text()
    nurse.post("meetings.apologies", meeting_id=meeting.id)
    assert "I can come after all" in nurse.get(
        "meetings.show", meeting_id=meeting.id).select_one("#my-apologies").get_text()
    client_request.sign_in(team.chair)
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    client_request.post("meetings.everyone_present", meeting_id=meeting.id)
    live = client_request.get("meetings.live", meeting_id=meeting.id)
    chosen = {li.select_one("label").get_text(" ", strip=True).split(" (")[0]:
              li.select_one("option[selected]")["value"] for li in live.select("li.app-invitee")}
    assert chosen["Priya Patel"] == "apologies" and chosen["Grace Okafor"] == "present"
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    outsider.post("meetings.apologies", meeting_id=meeting.id, _expected_status=404)
