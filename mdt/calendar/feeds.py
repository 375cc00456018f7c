"""Subscription feeds: a secret link per user, and one per team for its chairs.

The token is the credential: only its SHA-256 is stored, it is shown once, and a new one
revokes the old. A feed holds meetings (a series as one RRULE event with its EXDATEs and
overrides), open actions' due dates as all-day events, and, once visits exist, visits.
Nothing in a feed may identify a patient: calendar data leaves the NHS."""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import exists, select

from mdt.actions.models import Action
from mdt.auth.models import User
from mdt.calendar import ics, ics_writer
from mdt.calendar.events import one_off_event, personal_descriptions, series_events
from mdt.calendar.models import CalendarFeed
from mdt.extensions import db
from mdt.meetings.models import Invitee, Meeting, MeetingSeries
from mdt.teams.models import Membership, Team
from mdt.timeutil import as_utc, london_to_utc, utcnow

FORMAT = "1"  # change when the ICS layout changes, so every ETag changes with it
HISTORY = timedelta(days=92)  # one-off meetings this far back stay in the feed
MAX_TOKEN_LENGTH = 100
ACTION_TITLE = "Action due (Neighbourhood MDT)"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# --- links ------------------------------------------------------------------------------

def active_feed(user_id: int, team_id: int | None = None) -> CalendarFeed | None:
    stmt = select(CalendarFeed).where(CalendarFeed.revoked_at.is_(None))
    if team_id is None:
        stmt = stmt.where(CalendarFeed.user_id == user_id, CalendarFeed.team_id.is_(None))
    else:
        stmt = stmt.where(CalendarFeed.team_id == team_id)
    return db.session.scalars(stmt.order_by(CalendarFeed.id.desc())).first()


def find(token: str, *, team: bool) -> CalendarFeed | None:
    """The live feed for a token, or None (unknown, revoked, or its owner gone). A team
    feed lives while the chair who made it is still an active chair of the team."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    found = db.session.execute(select(CalendarFeed, User.is_active).join(
        User, User.id == CalendarFeed.user_id).where(
        CalendarFeed.token_hash == hash_token(token), CalendarFeed.revoked_at.is_(None),
        CalendarFeed.team_id.is_not(None) if team else CalendarFeed.team_id.is_(None))).first()
    if found is None or not found.is_active:
        return None  # unknown, revoked, or its owner gone
    feed = found.CalendarFeed
    if team and not db.session.scalar(select(Membership.id).where(
            Membership.team_id == feed.team_id, Membership.user_id == feed.user_id,
            Membership.role == "chair")):
        return None
    return feed


# --- content ----------------------------------------------------------------------------

@dataclass
class FeedContent:
    name: str
    meetings: list = field(default_factory=list)  # ics.MeetingEvent
    all_day: list = field(default_factory=list)  # ics.AllDayEvent


UNSTAMPED = datetime(1970, 1, 1, tzinfo=UTC)  # DTSTAMP while the body is hashed


def unstamped(content: FeedContent) -> bytes:
    """The body with a fixed DTSTAMP: its hash says whether the content changed."""
    return ics_writer.feed(content.name, content.meetings, content.all_day, UNSTAMPED)


def stamped(body: bytes, stamp: datetime) -> bytes:
    """The unstamped body with its real DTSTAMP (same length: no line folds move)."""
    return body.replace(b"DTSTAMP:19700101T000000Z",
                        f"DTSTAMP:{as_utc(stamp).strftime('%Y%m%dT%H%M%SZ')}".encode())


def _meeting_events(team_ids, base_url: str, today: date, invitee_id: int | None) -> list:
    """One-off meetings (cancelled ones as STATUS:CANCELLED) and every series of the teams.
    Six queries whatever the number of meetings."""
    if not team_ids:
        return []
    since = london_to_utc(today, datetime.min.time()) - HISTORY
    stmt = select(Meeting).where(Meeting.team_id.in_(team_ids), Meeting.series_id.is_(None),
                                 Meeting.starts_at >= since)
    if invitee_id is not None:
        stmt = stmt.where(exists().where(Invitee.meeting_id == Meeting.id,
                                         Invitee.user_id == invitee_id))
    one_offs = db.session.scalars(stmt).all()
    series = db.session.scalars(select(MeetingSeries).where(
        MeetingSeries.team_id.in_(team_ids))).all()
    occurrences = {s.id: [] for s in series}
    if series:
        for meeting in db.session.scalars(select(Meeting).where(
                Meeting.series_id.in_(list(occurrences)))):
            occurrences[meeting.series_id].append(meeting)
    chairs = {m.chair_id for m in one_offs} | {s.chair_id for s in series} | \
        {m.chair_id for found in occurrences.values() for m in found}
    organizers = {uid: ics.Person(email, name, "CHAIR") for uid, email, name in
                  db.session.execute(select(User.id, User.email, User.name)
                                     .where(User.id.in_(chairs)))} if chairs else {}
    # The personal feed says when the reader's own cases come up (times, never patients).
    personal = personal_descriptions(invitee_id, [
        m for m in [*one_offs, *(m for found in occurrences.values() for m in found)]
        if m.starts_at >= since])
    events = [one_off_event(m, base_url, organizers.get(m.chair_id),
                            description=personal.get(m.id, "")) for m in one_offs]
    for item in series:
        events.extend(series_events(item, occurrences[item.id], base_url, organizers,
                                    descriptions=personal))
    return sorted(events, key=lambda e: (e.starts_at, e.uid, str(e.recurrence_id)))


def _action_events(rows, base_url: str, with_owner: bool) -> list:
    """Due dates only: the description may name a patient, so it is never read here."""
    return [ics.AllDayEvent(
        uid=f"action-{action_id}-due@neighbourhood-mdt", day=due_on,
        title=f"Action due: {owner} (Neighbourhood MDT)" if with_owner else ACTION_TITLE,
        url=f"{base_url}/actions/{action_id}", categories=("Neighbourhood MDT",))
        for action_id, due_on, owner in rows]


WINDOW_HOURS = {"morning": (time(9), time(12)), "afternoon": (time(13), time(17)),
                "evening": (time(18), time(20))}


def visit_events(user_id: int | None, team_ids, base_url: str, today: date) -> list:
    """Planned home visits from a week ago to two months ahead, titled 'Home visit' with a
    link to the visit page: never the patient's name, address or NHS number."""
    from mdt.visits.models import Visit

    stmt = select(Visit).where(Visit.team_id.in_(list(team_ids)), Visit.status == "planned",
                               Visit.day >= today - timedelta(days=7),
                               Visit.day <= today + timedelta(days=60))
    if user_id is not None:
        stmt = stmt.where(Visit.professional_id == user_id)
    events = []
    for visit in db.session.scalars(stmt.order_by(Visit.day, Visit.id)):
        if visit.window == "timed" and visit.at_time:
            start = london_to_utc(visit.day, visit.at_time)
            end = start + timedelta(minutes=visit.minutes)
        else:
            first, last = WINDOW_HOURS.get(visit.window, WINDOW_HOURS["morning"])
            start, end = london_to_utc(visit.day, first), london_to_utc(visit.day, last)
        events.append(ics.MeetingEvent(
            uid=f"visit-{visit.id}@neighbourhood-mdt", sequence=visit.version,
            title="Home visit (Neighbourhood MDT)", starts_at=start, ends_at=end,
            url=f"{base_url}/visits/{visit.id}",
            description=f"{visit.minutes} minutes, {visit.window}. Details in the app."))
    return events


def team_ids_of(user_id: int) -> list[int]:
    return list(db.session.scalars(select(Membership.team_id)
                                   .where(Membership.user_id == user_id)
                                   .order_by(Membership.team_id)))


def personal_content(user: User, base_url: str, today: date,
                     team_ids: list[int] | None = None) -> FeedContent:
    team_ids = team_ids_of(user.id) if team_ids is None else team_ids
    actions = db.session.execute(
        select(Action.id, Action.due_on, User.name).join(User, User.id == Action.owner_id)
        .where(Action.owner_id == user.id, Action.status == "open",
               Action.team_id.in_(team_ids)).order_by(Action.due_on, Action.id)).all() \
        if team_ids else []
    return FeedContent(
        name="Neighbourhood MDT",
        meetings=_meeting_events(team_ids, base_url, today, invitee_id=user.id)
        + visit_events(user.id, team_ids, base_url, today),
        all_day=_action_events(actions, base_url, with_owner=False))


def team_content(team_id: int, base_url: str, today: date) -> FeedContent:
    team = db.session.get(Team, team_id)
    actions = db.session.execute(
        select(Action.id, Action.due_on, User.name).join(User, User.id == Action.owner_id)
        .where(Action.team_id == team_id, Action.status == "open")
        .order_by(Action.due_on, Action.id)).all()
    return FeedContent(
        name=f"Neighbourhood MDT: {team.name}",
        meetings=_meeting_events([team_id], base_url, today, invitee_id=None)
        + visit_events(None, [team_id], base_url, today),
        all_day=_action_events(actions, base_url, with_owner=True))


def version(feed: CalendarFeed, body: bytes,
            now: datetime | None = None) -> tuple[str, datetime]:
    """(ETag, Last-Modified) of an unstamped body: its digest and when it last changed.
    Writes only when the content changed, or to note the link was used (at most hourly)."""
    now = (now or utcnow()).replace(microsecond=0)
    digest = hashlib.sha256(FORMAT.encode() + b"\0" + body).hexdigest()
    if feed.content_hash != digest or feed.content_changed_at is None:
        feed.content_hash, feed.content_changed_at = digest, now
        db.session.flush()  # the view commits
    note_used(feed, now)
    changed_at = feed.content_changed_at.replace(microsecond=0)
    return f"{digest[:32]}-{int(changed_at.timestamp())}", changed_at


def note_used(feed: CalendarFeed, now: datetime | None = None) -> None:
    """When the link was last used (for the settings page), written at most hourly."""
    now = (now or utcnow()).replace(microsecond=0)
    if feed.last_used_at is None or now - as_utc(feed.last_used_at) > timedelta(hours=1):
        feed.last_used_at = now
        db.session.flush()  # the view commits


