"""Meetings and series as calendar events (mdt.calendar.ics.MeetingEvent): the one
translation that invitations (emailed, downloaded) and subscription feeds both use. Builds
plain data and writes nothing; personal_descriptions reads when one person's cases are due.

UIDs: a one-off meeting keeps its own UID. A date of a series is that series' UID plus a
RECURRENCE-ID (its original start), never the occurrence row's own UID, so a calendar shows
it once. A series' SEQUENCE is its own plus every occurrence's, so moving or cancelling any
date raises it (RFC 5545 3.8.7.4: a changed EXDATE needs a higher SEQUENCE too)."""

from datetime import datetime

from mdt.calendar.ics import MeetingEvent, Person
from mdt.meetings import recurrence
from mdt.meetings.models import Meeting, MeetingSeries
from mdt.timeutil import london_to_utc


def meeting_url(base_url: str, meeting_id: int) -> str:
    return f"{base_url}/meetings/{meeting_id}"


def series_sequence(series: MeetingSeries, occurrences) -> int:
    return series.sequence + sum(meeting.sequence for meeting in occurrences)


def original_start(series: MeetingSeries, meeting: Meeting) -> datetime:
    """The RECURRENCE-ID / EXDATE of a series date: where the rule put it."""
    return london_to_utc(meeting.occurrence_date, series.start_time)


def is_override(series: MeetingSeries, meeting: Meeting) -> bool:
    """An opened date that no longer matches the series: moved, or another place or title."""
    day = meeting.occurrence_date
    return (meeting.starts_at != london_to_utc(day, series.start_time)
            or meeting.ends_at != london_to_utc(day, series.end_time)
            or (meeting.location, meeting.video_url, meeting.title)
            != (series.location, series.video_url, series.title))


def cases_text(count: int) -> str:
    if count == 0:
        return "No cases on the case list yet."
    return f"{count} case{'' if count == 1 else 's'} on the case list."


def one_off_event(meeting: Meeting, base_url: str, organizer: Person | None,
                  attendees=(), description: str = "") -> MeetingEvent:
    return MeetingEvent(
        uid=meeting.uid, sequence=meeting.sequence, title=meeting.title,
        starts_at=meeting.starts_at, ends_at=meeting.ends_at, location=meeting.location,
        video_url=meeting.video_url, url=meeting_url(base_url, meeting.id),
        description=description, cancelled=meeting.status == "cancelled",
        organizer=organizer, attendees=tuple(attendees))


def series_events(series: MeetingSeries, occurrences, base_url: str, organizers: dict,
                  attendees=(), override_attendees: dict | None = None,
                  descriptions: dict | None = None) -> list[MeetingEvent]:
    """The series master (RRULE, cancelled dates as EXDATE) and an override VEVENT with
    RECURRENCE-ID for every date that was moved or changed."""
    occurrences = [m for m in occurrences if m.occurrence_date is not None]
    sequence = series_sequence(series, occurrences)
    first = (recurrence.occurrences(series.rrule, series.first_date, after=series.first_date,
                                    count=1) or [series.first_date])[0]
    master = MeetingEvent(
        uid=series.uid, sequence=sequence, title=series.title,
        starts_at=london_to_utc(first, series.start_time),
        ends_at=london_to_utc(first, series.end_time), location=series.location,
        video_url=series.video_url, url=f"{base_url}/meetings",
        description=f"{recurrence.describe(series.rrule)}. Each date's case list is on its "
                    "meeting page.",
        organizer=organizers.get(series.chair_id), attendees=tuple(attendees),
        rrule=series.rrule,
        exdates=tuple(original_start(series, m) for m in occurrences
                      if m.status == "cancelled"))
    events = [master]
    descriptions = descriptions or {}
    for meeting in sorted(occurrences, key=lambda m: m.occurrence_date):
        if meeting.status == "cancelled" or not (is_override(series, meeting)
                                                 or meeting.id in descriptions):
            continue
        events.append(MeetingEvent(
            uid=series.uid, sequence=sequence, title=meeting.title,
            starts_at=meeting.starts_at, ends_at=meeting.ends_at, location=meeting.location,
            video_url=meeting.video_url, url=meeting_url(base_url, meeting.id),
            description=descriptions.get(meeting.id, ""),
            organizer=organizers.get(meeting.chair_id),
            attendees=tuple((override_attendees or {}).get(meeting.id, attendees)),
            recurrence_id=original_start(series, meeting)))
    return events


def personal_descriptions(user_id: int | None, meetings) -> dict[int, str]:
    """{meeting id: "Your cases (2 cases) are expected from about 13:05..."} for one reader:
    times and a count, never a patient."""
    if user_id is None:
        return {}
    from mdt.meetings import timing
    meetings = [m for m in meetings if m.status in ("scheduled", "in_progress")]
    return {meeting_id: timing.block_text(block) for (meeting_id, _), block in
            timing.blocks_for_people(meetings, [user_id]).items()}
