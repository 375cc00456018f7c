"""Meetings end to end: scheduling, series, case list, live mode, finish, minutes."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mdt.actions.models import Action
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, Meeting
from mdt.patients.models import KeyWorkerHandover
from mdt.timeutil import london_today, to_london
from tests.conftest import ClientRequest, count_queries
from tests.meetings.conftest import FUTURE, case_form, date_fields, record

GOOD = {"title": "Riverside MDT", **date_fields("day", FUTURE), "start": "12:30",
        "end": "14:00", "location": "Room 2", "video_url": "", "guest_emails": "",
        "repeat": "none", "nth": "2", "weekday": "1", "interval": "1"}


def _form(team, **changes):
    return {**GOOD, "chair_id": team.chair.id, **changes}


def test_schedule_a_meeting_invites_the_team_and_guests(app, client_request, team):
    client_request.sign_in(team.chair)
    page = client_request.post("meetings.new", _data=_form(
        team, guest_emails="Social.Worker@Council.gov.uk\nsocial.worker@council.gov.uk"))
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert to_london(meeting.starts_at).strftime("%H:%M") == "12:30"
        emails = sorted(db.session.scalars(select(Invitee.email)))
    assert page.response.headers["Location"].endswith(f"/meetings/{meeting.id}")
    assert emails == ["chair@example.nhs.uk", "priya@example.nhs.uk",
                      "social.worker@council.gov.uk"]


@pytest.mark.parametrize("changes, message", [
    ({"end": "12:00"}, "must end after it starts"),
    ({**date_fields("day", date(2020, 1, 1))}, "must be in the future"),
    ({"start": "25:99"}, "Enter the start time"),
    ({"guest_emails": "not-an-email"}, "is not an email address"),
    ({"video_url": "javascript:alert(1)"}, "must start with https://"),
    ({"location": "x" * 201}, "200 characters or fewer"),
])
def test_bad_meeting_details_are_refused(app, client_request, team, changes, message):
    client_request.sign_in(team.chair)
    page = client_request.post("meetings.new", _data=_form(team, **changes),
                               _expected_status=400)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.scalar(select(Meeting)) is None


def test_members_cannot_schedule_and_other_teams_meetings_are_404(client_request, team,
                                                                   meeting):
    client_request.sign_in(team.nurse)
    client_request.get("meetings.new", _expected_status=403)
    client_request.get("meetings.show", meeting_id=meeting.id)
    client_request.get("meetings.live", meeting_id=meeting.id, _expected_status=403)
    outsider = ClientRequest(client_request.app)
    outsider.sign_in(team.outsider)
    for endpoint in ("meetings.show", "meetings.live", "meetings.minutes", "meetings.edit",
                     "meetings.actions_csv"):
        outsider.get(endpoint, meeting_id=meeting.id, _expected_status=404)


def test_monthly_series_lists_occurrences_and_opens_one(app, client_request, team):
    client_request.sign_in(team.chair)
    start = london_today() + timedelta(days=1)
    client_request.post("meetings.new", _data=_form(
        team, repeat="monthly", nth="2", weekday="1", **date_fields("day", start)))
    page = client_request.get("meetings.index")
    rows = page.select(".upcoming-meeting")
    assert len(rows) == 6 and "Every month on the second Tuesday" in rows[0].get_text()
    form = rows[1].select_one("form")["action"]
    day = date.fromisoformat(form.rsplit("/", 1)[1])
    assert day.weekday() == 1 and 8 <= day.day <= 14
    token = client_request.csrf_token()
    first = client_request.client.post(form, data={"csrf_token": token})
    again = client_request.client.post(form, data={"csrf_token": token})
    assert first.headers["Location"] == again.headers["Location"]  # opened once
    with app.app_context():
        assert len(db.session.scalars(select(Meeting)).all()) == 1
    wrong = form.rsplit("/", 1)[0] + "/" + (day + timedelta(days=1)).isoformat()
    assert client_request.client.post(wrong, data={"csrf_token": token}).status_code == 404


def _add_case(client, meeting, patient, reason="Needs a key worker", status=303, **extra):
    return client.post("meetings.add_case", meeting_id=meeting.id, _data={
        "patient_id": patient.id, "reason": reason, "urgency": "urgent",
        "presenter_id": "", "referred_by": "", **extra}, _expected_status=status)


def _order(app, meeting):
    with app.app_context():
        return [c.patient_id for c in db.session.scalars(select(Case).where(
            Case.meeting_id == meeting.id, Case.status != "removed").order_by(Case.position))]


def test_case_list_add_duplicate_reorder_remove(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    a, b, c = team.patients
    for patient in (a, b, c):
        _add_case(client_request, meeting, patient)
    page = _add_case(client_request, meeting, a, status=400)
    assert "Margaret Ellis is already on this case list" in page.select_one(
        ".nhsuk-error-summary").get_text()
    _add_case(client_request, meeting, team.theirs, status=404)
    page = _add_case(client_request, meeting, team.patients[0], reason="", status=400)
    case_ids = [int(li["data-case-id"]) for li in client_request.get(
        "meetings.show", meeting_id=meeting.id).select("li.case-row")]
    client_request.post("meetings.change_cases", meeting_id=meeting.id,
                        _data={"move_up": case_ids[2]})
    assert _order(app, meeting) == [a.id, c.id, b.id]
    client_request.post("meetings.reorder_cases", meeting_id=meeting.id,
                        _data={"case_ids": [case_ids[1], case_ids[0], case_ids[2]]})
    assert _order(app, meeting) == [b.id, a.id, c.id]
    page = client_request.post("meetings.change_cases", meeting_id=meeting.id,
                               _data={"remove": case_ids[0],
                                      f"removed_reason-{case_ids[0]}": ""},
                               _expected_status=400)
    assert "Enter the reason for removing" in page.get_text()
    client_request.post("meetings.change_cases", meeting_id=meeting.id,
                        _data={"remove": case_ids[0],
                               f"removed_reason-{case_ids[0]}": "Admitted to hospital"})
    assert _order(app, meeting) == [b.id, c.id]
    # A removed case can be put back, its history kept.
    _add_case(client_request, meeting, a)
    assert _order(app, meeting) == [b.id, c.id, a.id]


def test_case_row_shows_key_worker_stage_review_and_open_actions(app, client_request, team,
                                                                 meeting):
    client_request.sign_in(team.chair)
    patient = team.patients[0]
    client_request.post("patients.key_worker", patient_id=patient.id, _data={
        "key_worker_id": team.nurse.id, "reason": "Knows her", "seen_key_worker_id": ""})
    client_request.post("actions.new", _data={
        "patient_id": patient.id, "description": "Order a commode", "owner_id": team.nurse.id,
        "priority": "normal", **date_fields("due_on", london_today() + timedelta(days=3))})
    _add_case(client_request, meeting, patient)
    row = client_request.get("meetings.show", meeting_id=meeting.id).select_one("li.case-row")
    text = row.get_text(" ", strip=True)
    assert "Key worker: Priya Patel" in text and "Living with cancer" in text
    assert "Review overdue" in text or "Review due" in text
    assert "Order a commode (Priya Patel" in text


def _case_ids(app, meeting):
    with app.app_context():
        return [c.id for c in db.session.scalars(select(Case).where(
            Case.meeting_id == meeting.id).order_by(Case.position))]


def test_run_a_meeting_live_then_finish_and_carry_forward(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    for patient in team.patients:
        _add_case(client_request, meeting, patient)
    first, second, third = _case_ids(app, meeting)
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    # Discussion saved by htmx: only the case panel comes back.
    panel = record(client_request, meeting.id, first, _htmx=True, _expected_status=200,
                   notes="Pain worse at night", outcome="GP to review",
                   decisions="Refer to hospice")
    assert panel.title is None and "Discussed" in panel.get_text()
    # Key worker set in the meeting is a hand-over decided there.
    record(client_request, meeting.id, first, key_worker_id=team.nurse.id)
    # An action added inline belongs to the case.
    record(client_request, meeting.id, first, **{
        "actions-0-description": "Hospice referral", "actions-0-owner_id": team.nurse.id,
        **date_fields("actions-0-due_on", london_today() + timedelta(days=7))})
    record(client_request, meeting.id, second, defer="y")
    # Attendance, and a walk-in.
    with app.app_context():
        nurse_invite = db.session.scalar(select(Invitee.id).where(
            Invitee.meeting_id == meeting.id, Invitee.email == "priya@example.nhs.uk"))
    fragment = client_request.post("meetings.attendance", meeting_id=meeting.id,
                                   invitee_id=nurse_invite, _data={"attendance": "apologies"},
                                   _htmx=True, _expected_status=200)
    assert fragment.select_one("option[selected]")["value"] == "apologies"
    client_request.post("meetings.walk_in", meeting_id=meeting.id,
                        _data={"name": "Dr Locum", "email": ""})
    client_request.post("meetings.finish", meeting_id=meeting.id)
    client_request.post("meetings.finish", meeting_id=meeting.id)  # double submit: no-op
    with app.app_context():
        meetings = db.session.scalars(select(Meeting).order_by(Meeting.starts_at)).all()
        assert [m.status for m in meetings] == ["finished", "scheduled"]
        carried = db.session.scalars(select(Case).where(Case.meeting_id == meetings[1].id)
                                     .order_by(Case.position)).all()
        assert [c.carried_from_id for c in carried] == [second, third]
        assert carried[0].reason == "Needs a key worker"
        handover = db.session.scalar(select(KeyWorkerHandover))
        assert (handover.decided_in, handover.meeting_case_id) == ("meeting", first)
        assert db.session.scalar(select(Action.case_id)) == first
    minutes = client_request.get("meetings.minutes", meeting_id=meeting.id).get_text()
    for expected in ("Apologies: Priya Patel", "Dr Locum", "GP to review", "Refer to hospice",
                     "nobody to Priya Patel", "Hospice referral", "deferred",
                     "carried forward"):
        assert expected in minutes, expected
    patient_page = client_request.get("patients.show", patient_id=team.patients[0].id)
    assert "GP to review" in patient_page.select_one("#timeline").get_text()


def test_two_people_saving_the_same_case_notes(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _add_case(client_request, meeting, team.patients[0])
    case_id = _case_ids(app, meeting)[0]
    stale = case_form(client_request, meeting.id, case_id)
    client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=case_id,
                        _data={**stale, "notes": "First"})
    page = client_request.post("meetings.record_case", meeting_id=meeting.id,
                               case_id=case_id, _expected_status=400,
                               _data={**stale, "notes": "Second person's notes"})
    assert "Someone else saved this case" in page.get_text()
    assert page.select_one(f"#notes-{case_id}").get_text().strip() == "Second person's notes"
    with app.app_context():
        assert db.session.get(Case, case_id).notes == "First"


def test_oversized_notes_are_refused(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _add_case(client_request, meeting, team.patients[0])
    case_id = _case_ids(app, meeting)[0]
    page = record(client_request, meeting.id, case_id, _expected_status=400,
                  notes="x" * 10001)
    assert "10000 characters or fewer" in page.get_text()


def test_cancelling_moves_the_whole_case_list(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    for patient in team.patients[:2]:
        _add_case(client_request, meeting, patient)
    client_request.post("meetings.cancel", meeting_id=meeting.id)
    with app.app_context():
        cancelled, follow_up = db.session.scalars(select(Meeting).order_by(Meeting.id)).all()
        assert cancelled.status == "cancelled" and cancelled.sequence == 1
        assert len(db.session.scalars(select(Case).where(
            Case.meeting_id == follow_up.id)).all()) == 2
    page = client_request.get("meetings.edit", meeting_id=meeting.id)
    assert page is not None


def test_attendees_poll_the_case_statuses(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _add_case(client_request, meeting, team.patients[0])
    client_request.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)
    page = nurse.get("meetings.show", meeting_id=meeting.id)
    poller = page.select_one("#case-list")
    assert poller["hx-trigger"] == "every 5s"
    case_id = _case_ids(app, meeting)[0]
    record(client_request, meeting.id, case_id, defer="y")
    fragment = nurse.get("meetings.case_status", meeting_id=meeting.id, _htmx=True)
    assert fragment.select_one(".case-status").get_text() == "Deferred"


def test_meeting_actions_csv(app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _add_case(client_request, meeting, team.patients[0])
    case_id = _case_ids(app, meeting)[0]
    record(client_request, meeting.id, case_id, **{
        "actions-0-description": "@SUM(1)", "actions-0-owner_id": team.nurse.id,
        **date_fields("actions-0-due_on", london_today() + timedelta(days=7))})
    response = client_request.client.get(f"/meetings/{meeting.id}/actions.csv")
    text = response.get_data().decode("utf-8-sig")
    lines = text.strip().split("\r\n")
    assert lines[0].startswith("action_id,description,owner,due_on")
    assert "'@SUM(1)" in lines[1] and "Priya Patel" in lines[1] and "Margaret Ellis" in lines[1]


@pytest.mark.parametrize("endpoint", ["meetings.show", "meetings.live"])
def test_meeting_pages_queries_are_the_same_at_5_and_60_cases(app, client_request, team,
                                                              meeting, make_patient, endpoint):
    client_request.sign_in(team.chair)
    extra = [make_patient(given="P", family=f"Case{n:02d}") for n in range(57)]
    patients = team.patients + extra

    def fill(upto):
        with app.app_context():
            have = len(db.session.scalars(select(Case).where(Case.meeting_id == meeting.id)).all())
            for position, patient in enumerate(patients[have:upto], have + 1):
                db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id,
                                    position=position, reason="r", urgency="routine"))
            db.session.commit()

    fill(5)
    with app.app_context(), count_queries(db.engine) as five:
        client_request.get(endpoint, meeting_id=meeting.id)
    fill(60)
    with app.app_context(), count_queries(db.engine) as sixty:
        page = client_request.get(endpoint, meeting_id=meeting.id)
    assert len(page.select("li.case-row") or page.select("#live-nav-list li")) == 60
    assert len(five) == len(sixty)


def test_the_video_link_is_a_real_link_and_hostile_text_stays_text(app, client_request, team,
                                                                     meeting):
    hostile = 'https://teams.example/join?a=1&b="><script>alert(1)</script>'
    with app.app_context():
        found = db.session.get(Meeting, meeting.id)
        found.video_url = hostile
        db.session.commit()
    page = client_request.sign_in(team.chair).get("meetings.show", meeting_id=meeting.id)
    link = page.find("a", string="Join the video call")
    assert link["href"] == hostile
    assert page.select("main script") == []


def test_the_meeting_page_links_its_calendar_invitation(client_request, team, meeting):
    client_request.sign_in(team.nurse)
    page = client_request.get("meetings.show", meeting_id=meeting.id)
    href = page.select_one("#invite-download")["href"]
    response = client_request.client.get(href)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in response.data
