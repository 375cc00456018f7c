"""Invitations from real meetings: GET /meetings/<id>/invite.ics and meeting_invitation()."""

from datetime import UTC, time, timedelta

from sqlalchemy import select

from mdt.calendar.invitations import meeting_invitation, series_invitation
from mdt.extensions import db
from mdt.meetings import recurrence
from mdt.meetings.models import Meeting
from mdt.meetings.service import (
    MeetingDetails,
    cancel_meeting,
    create_series,
    move_meeting,
    open_occurrence,
)
from mdt.timeutil import london_to_utc, london_today
from tests.calendar.conftest import details, next_date, parse, reload
from tests.conftest import ClientRequest

BASE = "https://mdt.example.nhs.uk"


def _download(client_request, meeting_id, status=200):
    response = client_request.client.get(f"/meetings/{meeting_id}/invite.ics")
    assert response.status_code == status
    return response


def test_invite_download_is_a_request_with_organizer_and_attendees(app, client_request,
                                                                   team, meeting):
    client_request.sign_in(team.nurse)
    response = _download(client_request, meeting.id)
    assert response.headers["Content-Type"].startswith("text/calendar; method=REQUEST")
    assert "attachment" in response.headers["Content-Disposition"]
    calendar = parse(response.data)
    assert calendar["METHOD"] == "REQUEST"
    [event] = calendar.events
    assert str(event["UID"]) == meeting.uid and event["SEQUENCE"] == 0
    assert str(event["ORGANIZER"]) == "mailto:chair@example.nhs.uk"
    assert event["ORGANIZER"].params["CN"] == "Grace Okafor"
    attendees = {str(a): a.params for a in event["ATTENDEE"]}
    assert set(attendees) == {"mailto:chair@example.nhs.uk", "mailto:priya@example.nhs.uk",
                              "mailto:guest@council.gov.uk"}
    for params in attendees.values():
        assert params["PARTSTAT"] == "NEEDS-ACTION" and params["RSVP"] == "TRUE"
        assert params["ROLE"] in ("CHAIR", "REQ-PARTICIPANT") and params["CN"]
    assert attendees["mailto:chair@example.nhs.uk"]["ROLE"] == "CHAIR"
    assert event["SUMMARY"] == "Riverside MDT" and event["LOCATION"] == "Room 2"
    assert f"{app.config['BASE_URL']}/meetings/{meeting.id}" in event["DESCRIPTION"]
    assert event["DTSTART"].params["TZID"] == "Europe/London"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Europe/London"


def test_move_keeps_uid_raises_sequence_and_times_follow_summer_time(app, team, meeting,
                                                                      chair_actor):
    with app.app_context():
        first = parse(meeting_invitation(reload(meeting.id), BASE).ics).events[0]
        summer, winter = next_date(7), next_date(1)
        move_meeting(chair_actor(), reload(meeting.id), details(meeting, summer))
        db.session.commit()
        moved = parse(meeting_invitation(reload(meeting.id), BASE).ics).events[0]
        move_meeting(chair_actor(), reload(meeting.id), details(meeting, winter))
        db.session.commit()
        again = parse(meeting_invitation(reload(meeting.id), BASE).ics).events[0]
    assert first["UID"] == moved["UID"] == again["UID"]
    assert first["SEQUENCE"] < moved["SEQUENCE"] < again["SEQUENCE"]
    assert moved.start.astimezone(UTC).hour == 11 and moved.start.minute == 30  # BST
    assert again.start.astimezone(UTC).hour == 12 and again.start.hour == 12  # GMT
    assert f"https://mdt.example.nhs.uk/meetings/{meeting.id}" in again["DESCRIPTION"]


def test_cancel_gives_a_cancel_with_the_same_uid_and_a_higher_sequence(app, client_request,
                                                                        team, meeting,
                                                                        chair_actor):
    client_request.sign_in(team.chair)
    before = parse(_download(client_request, meeting.id).data).events[0]
    with app.app_context():
        cancel_meeting(chair_actor(), reload(meeting.id))
        db.session.commit()
        found = meeting_invitation(reload(meeting.id), BASE)
    assert found.method == "CANCEL"
    assert found.content_type.startswith("text/calendar; method=CANCEL")
    response = _download(client_request, meeting.id)
    assert response.headers["Content-Type"].startswith("text/calendar; method=CANCEL")
    calendar = parse(response.data)
    assert calendar["METHOD"] == "CANCEL"
    [event] = calendar.events
    assert event["STATUS"] == "CANCELLED" and event["UID"] == before["UID"]
    assert event["SEQUENCE"] > before["SEQUENCE"]
    assert len(event["ATTENDEE"]) == 3


def test_the_email_part_type_has_the_method(app, meeting):
    with app.app_context():
        found = meeting_invitation(reload(meeting.id), BASE)
    assert found.method == "REQUEST"
    assert found.content_type.split(";")[:2] == ["text/calendar", " method=REQUEST"]
    assert found.ics.startswith(b"BEGIN:VCALENDAR\r\n")


def test_series_rrule_exdate_for_a_cancelled_date_and_override_for_a_moved_one(
        app, client_request, team, chair_actor):
    rule = "FREQ=MONTHLY;BYDAY=+2TU"
    start = london_today() + timedelta(days=1)
    with app.app_context():
        series = create_series(chair_actor(), chair_actor().team_ids[0], MeetingDetails(
            title="Riverside MDT", day=start, start=time(12, 30), end=time(14, 0),
            location="Room 2", chair_id=team.chair.id, guest_emails="guest@council.gov.uk"),
            rule)
        db.session.commit()
        first, second, third = recurrence.occurrences(rule, start, after=start, count=3)
        gone = open_occurrence(chair_actor(), series, second)
        db.session.commit()
        original = parse(series_invitation(series, BASE).ics)
        cancel_meeting(chair_actor(), gone)  # opens the third date to carry cases to
        db.session.commit()
        moved = db.session.scalar(select(Meeting).where(Meeting.occurrence_date == third))
        move_meeting(chair_actor(), moved, details(moved, third + timedelta(days=1),
                                                   start=time(9), end=time(10)))
        db.session.commit()
        series_id, gone_id, moved_id = series.id, gone.id, moved.id
    client_request.sign_in(team.nurse)
    calendar = parse(_download(client_request, moved_id).data)
    assert calendar["METHOD"] == "REQUEST"
    master, override = calendar.events
    assert master["RRULE"].to_ical().decode() == rule
    assert master.start.date() == first and master.start.hour == 12
    assert [d.dt for d in master["EXDATE"].dts] == [london_to_utc(second, time(12, 30))]
    assert master["EXDATE"].params["TZID"] == "Europe/London"
    assert override["UID"] == master["UID"] and override["RECURRENCE-ID"].dt == \
        london_to_utc(third, time(12, 30))
    assert override.start.date() == third + timedelta(days=1) and override.start.hour == 9
    assert master["SEQUENCE"] > original.events[0]["SEQUENCE"]
    assert override["SEQUENCE"] >= master["SEQUENCE"]
    attendees = {str(a) for a in master["ATTENDEE"]}
    assert {"mailto:priya@example.nhs.uk", "mailto:guest@council.gov.uk"} <= attendees

    cancelled = parse(_download(client_request, gone_id).data)
    assert cancelled["METHOD"] == "CANCEL"
    [event] = cancelled.events
    assert event["UID"] == master["UID"] and event["STATUS"] == "CANCELLED"
    assert event["RECURRENCE-ID"].dt == london_to_utc(second, time(12, 30))
    assert event["SEQUENCE"] > original.events[0]["SEQUENCE"]
    assert "RRULE" not in event and event["ATTENDEE"]
    assert series_id


def test_other_teams_meeting_is_404_and_sign_in_is_needed(app, client_request, team,
                                                          meeting):
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    _download(outsider, meeting.id, status=404)
    _download(outsider, 999999, status=404)
    response = _download(client_request, meeting.id, status=302)
    assert "/sign-in" in response.headers["Location"]
