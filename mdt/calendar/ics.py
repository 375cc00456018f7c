"""iCalendar (RFC 5545) objects from plain data: invitations (iTIP, RFC 5546) and
subscription feeds. Pure functions: no Flask, no database.

Times are written as TZID=Europe/London local times with a VTIMEZONE built here from
yearly rules (icalendar's generated one may stop at 2038). Nothing passed in here may
identify a patient: callers give titles, counts and links only."""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from icalendar import (
    Calendar,
    Event,
    Timezone,
    TimezoneDaylight,
    TimezoneStandard,
    vCalAddress,
    vDuration,
    vRecur,
)

from mdt.timeutil import LONDON, as_utc

PRODID = "-//Neighbourhood MDT//Calendar//EN"
TZID = "Europe/London"
METHODS = ("REQUEST", "CANCEL", "PUBLISH")


@dataclass(frozen=True)
class Person:
    email: str
    name: str = ""
    role: str = "REQ-PARTICIPANT"  # CHAIR, REQ-PARTICIPANT, OPT-PARTICIPANT


@dataclass(frozen=True)
class MeetingEvent:
    """One VEVENT: a one-off meeting, a series master (rrule set) or an override of one
    date of a series (recurrence_id set, the series' uid)."""
    uid: str
    sequence: int
    title: str
    starts_at: datetime  # aware
    ends_at: datetime
    location: str = ""
    video_url: str = ""
    url: str = ""  # the meeting's page
    description: str = ""
    cancelled: bool = False
    organizer: Person | None = None
    attendees: tuple[Person, ...] = ()
    rrule: str = ""  # RFC 5545 RRULE text, e.g. FREQ=MONTHLY;BYDAY=+2TU
    exdates: tuple[datetime, ...] = ()
    recurrence_id: datetime | None = None


@dataclass(frozen=True)
class AllDayEvent:
    """A date, not a time (VALUE=DATE): an action's due date, say."""
    uid: str
    day: date
    title: str
    url: str = ""
    description: str = ""
    categories: tuple[str, ...] = field(default_factory=tuple)


def london_timezone() -> Timezone:
    """VTIMEZONE for Europe/London as yearly rules (last Sunday of March and of October,
    01:00 UTC), valid for any year the UK keeps its current summer time law."""
    daylight = TimezoneDaylight()
    daylight.add("dtstart", datetime(1970, 3, 29, 1, 0))  # 01:00 GMT -> 02:00 BST
    daylight.add("tzoffsetfrom", timedelta(0))
    daylight.add("tzoffsetto", timedelta(hours=1))
    daylight.add("tzname", "BST")
    daylight.add("rrule", vRecur.from_ical("FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU"))
    standard = TimezoneStandard()
    standard.add("dtstart", datetime(1970, 10, 25, 2, 0))  # 02:00 BST -> 01:00 GMT
    standard.add("tzoffsetfrom", timedelta(hours=1))
    standard.add("tzoffsetto", timedelta(0))
    standard.add("tzname", "GMT")
    standard.add("rrule", vRecur.from_ical("FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU"))
    timezone = Timezone()
    timezone.add("tzid", TZID)
    timezone.add_component(daylight)
    timezone.add_component(standard)
    return timezone


def _local(value: datetime) -> datetime:
    """UK local time with its TZID; but the second 01:30 of the night the clocks go back
    cannot be written that way (a TZID time that happens twice means the first, RFC 5545
    3.3.5), so that one is written in UTC."""
    local = as_utc(value).astimezone(LONDON)
    if local.fold:
        return as_utc(value)
    return local


def _address(person: Person, **params) -> vCalAddress:
    address = vCalAddress(f"mailto:{person.email}")
    if person.name:
        address.params["CN"] = person.name.replace('"', "'")
    address.params.update(params)
    return address


def _description(event: MeetingEvent) -> str:
    lines = [event.description] if event.description else []
    if event.cancelled:
        lines.insert(0, "This meeting has been cancelled.")
    if event.video_url:
        lines.append(f"Join the video call: {event.video_url}")
    if event.url:
        lines.append(f"Meeting page (sign in needed): {event.url}")
    return "\n\n".join(lines)


def meeting_vevent(event: MeetingEvent, stamp: datetime, *, with_attendees: bool) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", as_utc(stamp))
    vevent.add("sequence", event.sequence)
    if event.recurrence_id is not None:
        vevent.add("recurrence-id", _local(event.recurrence_id))
    vevent.add("dtstart", _local(event.starts_at))
    vevent.add("dtend", _local(event.ends_at))
    if event.rrule:
        vevent.add("rrule", vRecur.from_ical(event.rrule))
    if event.exdates:
        vevent.add("exdate", [_local(moment) for moment in sorted(event.exdates)])
    vevent.add("summary", event.title)
    if event.location or event.video_url:
        vevent.add("location", event.location or event.video_url)
    description = _description(event)
    if description:
        vevent.add("description", description)
    if event.url:
        vevent.add("url", event.url)
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    if event.organizer is not None:
        vevent.add("organizer", _address(event.organizer))
    if with_attendees:
        for person in event.attendees:
            vevent.add("attendee", _address(person, ROLE=person.role, PARTSTAT="NEEDS-ACTION",
                                            RSVP="TRUE", CUTYPE="INDIVIDUAL"))
    return vevent


def all_day_vevent(event: AllDayEvent, stamp: datetime) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", as_utc(stamp))
    vevent.add("dtstart", event.day)  # a date: VALUE=DATE
    vevent.add("dtend", event.day + timedelta(days=1))
    vevent.add("summary", event.title)
    lines = [event.description] if event.description else []
    if event.url:
        lines.append(f"Open it (sign in needed): {event.url}")
        vevent.add("url", event.url)
    if lines:
        vevent.add("description", "\n\n".join(lines))
    if event.categories:
        vevent.add("categories", list(event.categories))
    vevent.add("transp", "TRANSPARENT")  # a due date does not make anyone busy
    return vevent


def _calendar(method: str, name: str = "") -> Calendar:
    if method not in METHODS:
        raise ValueError(f"unknown METHOD {method}")
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)  # on VCALENDAR, never on VEVENT
    if name:
        calendar.add("name", name)  # RFC 7986
        calendar.add("x-wr-calname", name)  # Outlook and Apple
    return calendar


def invitation(events: list[MeetingEvent], method: str, stamp: datetime) -> bytes:
    """An iTIP message: METHOD:REQUEST (new or changed) or METHOD:CANCEL. All events share
    one UID: a meeting, or a series master with its overrides, or one cancelled date."""
    if method not in ("REQUEST", "CANCEL"):
        raise ValueError("an invitation is a REQUEST or a CANCEL")
    if not events or len({event.uid for event in events}) != 1:
        raise ValueError("one invitation holds one UID")
    if any(event.organizer is None for event in events):
        raise ValueError("an invitation needs an ORGANIZER")
    calendar = _calendar(method)
    calendar.add_component(london_timezone())
    for event in events:
        if method == "CANCEL" and not event.cancelled:
            raise ValueError("a CANCEL carries cancelled events only")
        calendar.add_component(meeting_vevent(event, stamp, with_attendees=True))
    return calendar.to_ical()


def feed(name: str, meetings: list[MeetingEvent], all_day: list[AllDayEvent],
         stamp: datetime, refresh: timedelta = timedelta(hours=1)) -> bytes:
    """A subscription feed: METHOD:PUBLISH, no ATTENDEE lines (RFC 5546 forbids them in a
    PUBLISH, and they would spread guests' addresses)."""
    calendar = _calendar("PUBLISH", name)
    calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})  # RFC 7986
    calendar.add("x-published-ttl", vDuration(refresh))
    calendar.add_component(london_timezone())  # always: RFC 5545 wants one component
    for event in meetings:
        calendar.add_component(meeting_vevent(event, stamp, with_attendees=False))
    for event in all_day:
        calendar.add_component(all_day_vevent(event, stamp))
    return calendar.to_ical()
