"""Meetings and series as iTIP invitations: reads the database, hands plain data to
mdt.calendar.ics. No Flask: the reminders job calls meeting_invitation() to email one.

UIDs: a one-off meeting keeps its own UID. A date of a series is that series' UID plus a
RECURRENCE-ID (its original start), never the occurrence row's own UID, so a calendar shows
it once. A series' SEQUENCE is its own plus every occurrence's, so moving or cancelling any
date raises it (RFC 5545 3.8.7.4: a changed EXDATE needs a higher SEQUENCE too)."""

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from mdt.auth.models import User
from mdt.calendar.events import (
    cases_text,
    is_override,
    meeting_url,
    one_off_event,
    original_start,
    personal_descriptions,
    series_events,
    series_sequence,
)
from mdt.calendar.ics import MeetingEvent, Person, invitation
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.teams.models import Membership
from mdt.timeutil import utcnow


@dataclass(frozen=True)
class Invitation:
    ics: bytes
    method: str  # REQUEST or CANCEL
    filename: str

    @property
    def content_type(self) -> str:
        """The MIME type for the email part and the download (Outlook needs method=)."""
        return f"text/calendar; method={self.method}; charset=UTF-8"


# --- reading the database -------------------------------------------------------------

def _organizers(user_ids) -> dict[int, Person]:
    users = db.session.execute(select(User.id, User.email, User.name)
                               .where(User.id.in_(set(user_ids)))).all()
    return {uid: Person(email, name, "CHAIR") for uid, email, name in users}


def _invitee_people(meeting_ids, chair_ids: dict) -> dict[int, list[Person]]:
    """{meeting_id: attendees}; walk-ins recorded on the day are not invited to anything."""
    found = {meeting_id: [] for meeting_id in meeting_ids}
    rows = db.session.execute(
        select(Invitee.meeting_id, Invitee.user_id, Invitee.email, Invitee.name)
        .where(Invitee.meeting_id.in_(list(meeting_ids)), Invitee.walk_in.is_(False))
        .order_by(Invitee.meeting_id, Invitee.name, Invitee.email))
    for meeting_id, user_id, email, name in rows:
        if email.endswith("@invalid"):
            continue
        role = "CHAIR" if user_id is not None and user_id == chair_ids.get(meeting_id) \
            else "REQ-PARTICIPANT"
        found[meeting_id].append(Person(email, name or email, role))
    return found


def _series_people(series: MeetingSeries) -> list[Person]:
    """Who a series invites: the team's active members and its guests."""
    members = db.session.execute(
        select(User.id, User.email, User.name).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == series.team_id, User.is_active.is_(True))
        .order_by(User.name)).all()
    people = [Person(email, name, "CHAIR" if uid == series.chair_id else "REQ-PARTICIPANT")
              for uid, email, name in members]
    known = {person.email for person in people}
    return people + [Person(email, email) for email in series.guest_emails or []
                     if email not in known]


def _case_counts(meeting_ids) -> dict[int, int]:
    return dict(db.session.execute(
        select(Case.meeting_id, func.count(Case.id))
        .where(Case.meeting_id.in_(list(meeting_ids)), Case.status != "removed")
        .group_by(Case.meeting_id)).all())


def _occurrences(series_id: int) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(Meeting.series_id == series_id)))


def meeting_invitation(meeting: Meeting, base_url: str,
                       now: datetime | None = None, for_user: int | None = None) -> Invitation:
    """The current invitation for a meeting: REQUEST, or CANCEL once it is cancelled.
    A date of a series gives the whole series (with its overrides), or a CANCEL of that
    one date. The caller checks the reader may see the meeting. `for_user` adds when that
    person's own cases are expected (the download from the meeting page)."""
    stamp = now or utcnow()
    personal = personal_descriptions(for_user, [meeting])
    filename = f"meeting-{meeting.id}.ics"
    if meeting.series_id is not None and meeting.occurrence_date is not None:
        series = db.session.get(MeetingSeries, meeting.series_id)
        occurrences = _occurrences(series.id)
        if meeting.status == "cancelled":
            organizers = _organizers([meeting.chair_id])
            people = _invitee_people([meeting.id], {meeting.id: meeting.chair_id})
            event = MeetingEvent(
                uid=series.uid, sequence=series_sequence(series, occurrences),
                title=meeting.title, starts_at=meeting.starts_at, ends_at=meeting.ends_at,
                location=meeting.location, url=meeting_url(base_url, meeting.id),
                cancelled=True, organizer=organizers[meeting.chair_id],
                attendees=tuple(people[meeting.id]),
                recurrence_id=original_start(series, meeting))
            return Invitation(invitation([event], "CANCEL", stamp), "CANCEL", filename)
        return Invitation(_series_ics(series, occurrences, base_url, stamp, personal),
                          "REQUEST", filename)
    organizers = _organizers([meeting.chair_id])
    people = _invitee_people([meeting.id], {meeting.id: meeting.chair_id})[meeting.id]
    description = " ".join(filter(None, [cases_text(_case_counts([meeting.id]).get(
        meeting.id, 0)), personal.get(meeting.id)]))
    event = one_off_event(meeting, base_url, organizers[meeting.chair_id], people, description)
    method = "CANCEL" if event.cancelled else "REQUEST"
    return Invitation(invitation([event], method, stamp), method, filename)


def series_invitation(series: MeetingSeries, base_url: str,
                      now: datetime | None = None) -> Invitation:
    """The whole series as one REQUEST: to send when a series is made or changed."""
    ics = _series_ics(series, _occurrences(series.id), base_url, now or utcnow())
    return Invitation(ics, "REQUEST", f"series-{series.id}.ics")


def _series_ics(series, occurrences, base_url, stamp, personal=None) -> bytes:
    personal = personal or {}
    overrides = [m for m in occurrences if m.status != "cancelled"
                 and (is_override(series, m) or m.id in personal)]
    ids = [m.id for m in overrides]
    organizers = _organizers([series.chair_id, *(m.chair_id for m in overrides)])
    counts = _case_counts(ids) if ids else {}
    events = series_events(
        series, occurrences, base_url, organizers, attendees=_series_people(series),
        override_attendees=_invitee_people(ids, {m.id: m.chair_id for m in overrides})
        if ids else {},
        descriptions={meeting_id: " ".join(filter(None, [cases_text(counts.get(meeting_id, 0)),
                                                         personal.get(meeting_id)]))
                      for meeting_id in ids})
    return invitation(events, "REQUEST", stamp)
