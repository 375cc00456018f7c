"""Invitations, feeds and reminder emails say when the reader's own cases come up: a time
and a count, never a patient."""

from datetime import time, timedelta

import pytest
from sqlalchemy import select

from mdt.extensions import db
from mdt.meetings import recurrence
from mdt.meetings.models import Case, Meeting
from tests.calendar.conftest import parse
from tests.calendar.test_feeds import _assert_no_patient_data, _get, _make_link
from tests.conftest import ClientRequest

BLOCK = "Your cases (2 cases) are expected from about 12:45 to 13:05 (UK time)."


@pytest.fixture
def gp(make_user, team):
    return make_user(name="Dr Alys Hughes", profession="gp", email="gp@example.nhs.uk",
                     organisation="Riverside Medical Practice")


def _fill(app, meeting_id, team, make_patient):
    """Three 5-minute cases, then two 10-minute cases of the GP's practice."""
    own = [make_patient(given="Own", family=f"Patient{i}", gp_practice="Riverside Medical "
                        "Practice") for i in range(2)]
    with app.app_context():
        for position, patient in enumerate([*team.patients, *own], 1):
            db.session.add(Case(meeting_id=meeting_id, patient_id=patient.id, position=position,
                                reason=f"{patient.given_name} {patient.family_name} to discuss",
                                minutes=5 if position <= 3 else 10))
        db.session.commit()
    return own


def _no_patients(data, team, own):
    _assert_no_patient_data(data, team)
    for patient in own:
        assert patient.family_name not in data.decode()


def test_gp_feed_and_invitation_say_when_their_block_starts(app, client_request, team, gp,
                                                            meeting, make_patient):
    own = _fill(app, meeting.id, team, make_patient)
    doctor = ClientRequest(app).sign_in(gp)
    feed = _get(app, _make_link(doctor)).data
    event = next(e for e in parse(feed).events if str(e["UID"]) == meeting.uid)
    assert BLOCK in str(event["DESCRIPTION"])
    download = doctor.client.get(f"/meetings/{meeting.id}/invite.ics").data
    assert BLOCK in str(parse(download).events[0]["DESCRIPTION"])
    for data in (feed, download):
        _no_patients(data, team, own)
    client_request.sign_in(team.nurse)  # not theirs: no block
    nurse_feed = _get(app, _make_link(client_request)).data
    assert b"Your cases" not in nurse_feed
    assert b"Your cases" not in client_request.client.get(
        f"/meetings/{meeting.id}/invite.ics").data


def test_a_series_date_gets_its_own_entry_with_the_block(app, team, gp, chair_actor,
                                                         make_patient):
    from mdt.meetings.service import MeetingDetails, create_series, open_occurrence
    from mdt.timeutil import london_today

    with app.app_context():
        series = create_series(chair_actor(), chair_actor().team_ids[0], MeetingDetails(
            title="Riverside MDT", day=london_today() + timedelta(days=1), start=time(12, 30),
            end=time(14, 0),
            location="Room 2", chair_id=team.chair.id, guest_emails=""),
            recurrence.monthly_rule(2, 1))
        db.session.commit()
        day = recurrence.occurrences(series.rrule, series.first_date, after=london_today(),
                                     count=2)[1]
        meeting_id = open_occurrence(chair_actor(), series, day).id
        db.session.commit()
        uid = series.uid
    own = _fill(app, meeting_id, team, make_patient)
    doctor = ClientRequest(app).sign_in(gp)
    feed = _get(app, _make_link(doctor)).data
    events = [e for e in parse(feed).events if str(e["UID"]) == uid]
    overrides = [e for e in events if "RECURRENCE-ID" in e]
    assert len(overrides) == 1 and BLOCK in str(overrides[0]["DESCRIPTION"])
    assert overrides[0].start.date() == day
    _no_patients(feed, team, own)


def test_reminder_and_invitation_emails_carry_the_block(app, team, gp, meeting, make_patient):
    from mdt.reminders import emails
    from mdt.reminders.snapshot import load
    from mdt.timeutil import utcnow

    _fill(app, meeting.id, team, make_patient)
    with app.app_context():
        snapshot = load(utcnow())
        data = next(m for m in snapshot.meetings if m.id == meeting.id)
        assert set(data.blocks) == {gp.id}
        payload = {"title": "Riverside MDT", "starts_at": "2026-12-08T12:30Z", "location": "",
                   "case_count": 5, "link": f"/meetings/{meeting.id}",
                   "your_cases": data.blocks[gp.id]}
    for kind in ("meeting_reminder", "meeting_invitation"):
        item = emails.content(kind, payload, "https://mdt.example")
        assert ("Your cases", "2 cases, expected from about 12:45 to 13:05") in item.items
    with app.app_context():
        assert db.session.scalar(select(Meeting.id).where(Meeting.id == meeting.id))
