"""The ICS builder on plain data: RFC 5545 / 5546 shape, read back with icalendar."""

from datetime import UTC, date, datetime, timedelta

import pytest
from icalendar import Calendar

from mdt.calendar import ics
from mdt.timeutil import LONDON

STAMP = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)
CHAIR = ics.Person("chair@example.nhs.uk", "Grace Okafor", "CHAIR")
NURSE = ics.Person("priya@example.nhs.uk", "Priya Patel")


def event(**changes) -> ics.MeetingEvent:
    fields = dict(uid="abc@neighbourhood-mdt", sequence=0, title="Riverside MDT",
                  starts_at=datetime(2027, 7, 13, 11, 30, tzinfo=UTC),  # 12:30 BST
                  ends_at=datetime(2027, 7, 13, 13, 0, tzinfo=UTC), location="Room 2",
                  url="https://mdt.example/meetings/7", organizer=CHAIR,
                  attendees=(CHAIR, NURSE))
    return ics.MeetingEvent(**{**fields, **changes})


def parse(data: bytes) -> Calendar:
    assert b"\r\n" in data
    return Calendar.from_ical(data)


def test_request_has_method_on_the_calendar_and_a_london_vtimezone():
    calendar = parse(ics.invitation([event()], "REQUEST", STAMP))
    assert calendar["METHOD"] == "REQUEST"
    assert all("METHOD" not in vevent for vevent in calendar.walk("VEVENT"))
    [timezone] = calendar.walk("VTIMEZONE")
    assert timezone["TZID"] == "Europe/London"
    rules = {sub.name: sub["RRULE"].to_ical().decode() for sub in timezone.subcomponents}
    assert rules == {"DAYLIGHT": "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3",
                     "STANDARD": "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10"}
    assert calendar["VERSION"] == "2.0" and calendar["PRODID"]


def test_vtimezone_holds_beyond_2038():
    """July 2045 is summer time (UTC+1), January 2045 is GMT, read from our VTIMEZONE's
    own rules rather than from the system's zone database."""
    calendar = parse(ics.invitation([event()], "REQUEST", STAMP))
    zone = calendar.timezones[0].to_tz(lookup_tzid=False)
    assert datetime(2045, 7, 10, 12, 0, tzinfo=zone).utcoffset() == timedelta(hours=1)
    assert datetime(2045, 1, 10, 12, 0, tzinfo=zone).utcoffset() == timedelta(0)
    # the changes fall on the last Sundays, at 01:00 UTC
    assert datetime(2045, 3, 26, 0, 59, tzinfo=zone).utcoffset() == timedelta(0)
    assert datetime(2045, 3, 26, 2, 0, tzinfo=zone).utcoffset() == timedelta(hours=1)
    assert datetime(2045, 10, 29, 0, 30, tzinfo=zone).utcoffset() == timedelta(hours=1)
    assert datetime(2045, 10, 29, 2, 30, tzinfo=zone).utcoffset() == timedelta(0)


@pytest.mark.parametrize("utc_start, local_clock", [
    (datetime(2027, 7, 13, 11, 30, tzinfo=UTC), "20270713T123000"),  # summer: BST
    (datetime(2027, 1, 12, 12, 30, tzinfo=UTC), "20270112T123000"),  # winter: GMT
])
def test_times_are_london_local_with_tzid(utc_start, local_clock):
    data = ics.invitation([event(starts_at=utc_start, ends_at=utc_start + timedelta(hours=1))],
                          "REQUEST", STAMP)
    assert f"DTSTART;TZID=Europe/London:{local_clock}".encode() in data
    vevent = parse(data).events[0]
    assert vevent["DTSTART"].params["TZID"] == "Europe/London"
    assert vevent.start.astimezone(UTC) == utc_start


def test_attendees_and_organizer():
    vevent = parse(ics.invitation([event()], "REQUEST", STAMP)).events[0]
    assert str(vevent["ORGANIZER"]) == "mailto:chair@example.nhs.uk"
    assert vevent["ORGANIZER"].params["CN"] == "Grace Okafor"
    attendees = {str(a): a.params for a in vevent["ATTENDEE"]}
    assert set(attendees) == {"mailto:chair@example.nhs.uk", "mailto:priya@example.nhs.uk"}
    nurse = attendees["mailto:priya@example.nhs.uk"]
    assert (nurse["ROLE"], nurse["PARTSTAT"], nurse["RSVP"], nurse["CN"]) == \
        ("REQ-PARTICIPANT", "NEEDS-ACTION", "TRUE", "Priya Patel")
    assert attendees["mailto:chair@example.nhs.uk"]["ROLE"] == "CHAIR"
    assert vevent["DTSTAMP"].dt == STAMP and vevent["SEQUENCE"] == 0
    assert "https://mdt.example/meetings/7" in vevent["DESCRIPTION"]


def test_cancel_needs_cancelled_events():
    with pytest.raises(ValueError):
        ics.invitation([event()], "CANCEL", STAMP)
    calendar = parse(ics.invitation([event(cancelled=True, sequence=1)], "CANCEL", STAMP))
    assert calendar["METHOD"] == "CANCEL"
    assert calendar.events[0]["STATUS"] == "CANCELLED"


def test_series_with_exdate_and_override():
    cancelled = datetime(2027, 2, 9, 12, 30, tzinfo=LONDON)
    moved_from = datetime(2027, 3, 9, 12, 30, tzinfo=LONDON)
    master = event(rrule="FREQ=MONTHLY;BYDAY=+2TU", exdates=(cancelled,),
                   starts_at=datetime(2027, 1, 12, 12, 30, tzinfo=UTC),
                   ends_at=datetime(2027, 1, 12, 14, 0, tzinfo=UTC), sequence=3)
    override = event(recurrence_id=moved_from, sequence=3,
                     starts_at=datetime(2027, 3, 10, 9, 0, tzinfo=UTC),
                     ends_at=datetime(2027, 3, 10, 10, 0, tzinfo=UTC))
    data = ics.invitation([master, override], "REQUEST", STAMP)
    assert b"EXDATE;TZID=Europe/London:20270209T123000" in data
    assert b"RECURRENCE-ID;TZID=Europe/London:20270309T123000" in data
    first, second = parse(data).events
    assert first["RRULE"].to_ical() == b"FREQ=MONTHLY;BYDAY=+2TU"
    assert "RECURRENCE-ID" not in first and second["RECURRENCE-ID"].dt == moved_from
    assert first["UID"] == second["UID"]


def test_one_invitation_one_uid():
    with pytest.raises(ValueError):
        ics.invitation([event(), event(uid="other")], "REQUEST", STAMP)


def test_feed_is_published_without_attendees_and_with_all_day_dates():
    due = ics.AllDayEvent(uid="action-1-due@neighbourhood-mdt", day=date(2027, 1, 5),
                          title="Action due (Neighbourhood MDT)",
                          url="https://mdt.example/actions/1")
    data = ics.feed("Neighbourhood MDT", [event()], [due], STAMP)
    calendar = parse(data)
    assert calendar["METHOD"] == "PUBLISH"
    assert b"ATTENDEE" not in data
    assert b"DTSTART;VALUE=DATE:20270105" in data and b"DTEND;VALUE=DATE:20270106" in data
    meeting, action = calendar.events
    assert action.start == date(2027, 1, 5) and action["TRANSP"] == "TRANSPARENT"
    assert calendar.walk("VTIMEZONE")
    assert b"X-PUBLISHED-TTL:PT1H" in data and b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in data
    empty = parse(ics.feed("Neighbourhood MDT", [], [], STAMP))
    assert empty.subcomponents and not empty.events  # still a valid VCALENDAR
