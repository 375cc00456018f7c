"""What is due now: a pure function of plain data and the time. No Flask, no database.

`plan(snapshot, now)` returns every reminder that should exist at `now`, keyed by
(kind, subject, recipient, occasion). The outbox service inserts the missing ones, updates
the content of unsent ones and withdraws unsent ones that are no longer due (a cancelled or
moved meeting, a completed action, an expired window). The occasion is what makes a reminder
happen again: a meeting's start time (moved: a new reminder), a day (the daily summary), an
invitation's sequence number (changed: an update).

Every reminder has a window [due_at, expires_at): the planner offers it only inside it, so
a planner that was down catches up, and one that was down too long does not send stale
news. Payloads are plain JSON with counts, dates, titles and links: never a patient's name,
NHS number, date of birth or address."""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from mdt.reminders.kinds import topic_of
from mdt.timeutil import as_utc, london_to_utc, to_london

# --- the plain data the planner reads -------------------------------------------------

@dataclass(frozen=True)
class Recipient:
    email: str
    name: str = ""
    user_id: int | None = None


@dataclass(frozen=True)
class MeetingData:
    id: int
    team_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str  # scheduled, in_progress, finished, cancelled
    sequence: int
    location: str = ""
    series_id: int | None = None
    occurrence_date: date | None = None
    case_count: int = 0
    invitees: tuple[Recipient, ...] = ()
    # {user id: {"count", "starts_at", "ends_at"}}: when each person's own cases come up
    blocks: dict = field(default_factory=dict)

    @property
    def is_series_date(self) -> bool:
        return self.series_id is not None and self.occurrence_date is not None


@dataclass(frozen=True)
class SeriesData:
    id: int
    team_id: int
    title: str
    sequence: int  # the series' own plus every opened date's: what calendars compare
    description: str  # "Every month on the second Tuesday"
    first_start: datetime
    start_time: time  # UK local
    end_time: time
    location: str = ""
    upcoming: tuple[date, ...] = ()  # the next dates (UK), opened or not
    people: tuple[Recipient, ...] = ()  # team members and guests


@dataclass(frozen=True)
class ActionData:
    id: int
    team_id: int
    owner_id: int
    due_on: date
    status: str


@dataclass(frozen=True)
class Assignment:
    """The latest 'created' or 'reassigned' log entry of an open action."""
    action_id: int
    team_id: int
    owner_id: int
    due_on: date
    entry_id: int
    at: datetime
    by_user_id: int


@dataclass(frozen=True)
class VisitData:
    id: int
    team_id: int
    professional_id: int
    day: date
    when: str  # "Morning", "14:30", ...
    status: str


@dataclass(frozen=True)
class NoticeData:
    """An in-app Notification row written by the visits code."""
    id: int
    user_id: int
    text: str
    link: str
    created_at: datetime
    team_id: int | None = None


@dataclass(frozen=True)
class ReviewData:
    patient_id: int
    team_id: int
    key_worker_id: int
    due_on: date


@dataclass(frozen=True)
class TeamInvitationData:
    """A chair's open invitation of a colleague to join a team (sign-in with her
    organisation's identity)."""
    id: int
    team_id: int
    team_name: str
    email: str
    inviter: str
    created_at: datetime
    expires_at: datetime


@dataclass(frozen=True)
class Snapshot:
    users: dict = field(default_factory=dict)  # {user_id: Recipient} (active users only)
    meetings: tuple[MeetingData, ...] = ()
    series: tuple[SeriesData, ...] = ()
    actions: tuple[ActionData, ...] = ()
    assignments: tuple[Assignment, ...] = ()
    visits: tuple[VisitData, ...] = ()
    notices: tuple[NoticeData, ...] = ()
    reviews: tuple[ReviewData, ...] = ()
    team_invitations: tuple[TeamInvitationData, ...] = ()
    # {subject: {recipient emails}} of invitations already sent (or being sent)
    invited: dict = field(default_factory=dict)
    team_topics: dict = field(default_factory=dict)  # {team_id: {topic: bool}}
    opt_outs: frozenset = frozenset()  # {(email, topic)}


@dataclass(frozen=True)
class Timing:
    digest_at: time = time(8, 0)  # UK time, every day
    visits_at: time = time(18, 0)  # UK time, the evening before
    meeting_reminder_at: time = time(9, 0)  # UK time, the day before
    review_at: time = time(8, 0)
    review_lead_days: int = 7
    review_grace_days: int = 7
    assignment_window: timedelta = timedelta(days=3)
    notice_window: timedelta = timedelta(days=2)


DEFAULT_TIMING = Timing()


@dataclass
class Due:
    kind: str
    subject: str
    recipient: str
    occasion: str
    due_at: datetime
    expires_at: datetime | None
    payload: dict
    user_id: int | None = None
    team_id: int | None = None
    notify: bool = True  # also an in-app notification (for users)

    @property
    def key(self) -> tuple[str, str, str, str]:
        return (self.kind, self.subject, self.recipient, self.occasion)


# --- the planner ----------------------------------------------------------------------

def plan(snapshot: Snapshot, now: datetime, timing: Timing = DEFAULT_TIMING) -> dict[tuple, Due]:
    now = as_utc(now)
    found: dict[tuple, Due] = {}
    for due in (*_invitations(snapshot, now), *_meeting_reminders(snapshot, now, timing),
                *_digests(snapshot, now, timing), *_assignments(snapshot, now, timing),
                *_visit_lists(snapshot, now, timing), *_notices(snapshot, now, timing),
                *_reviews(snapshot, now, timing), *_team_invitations(snapshot)):
        if not _in_window(due, now) or not _wanted(snapshot, due):
            continue
        found.setdefault(due.key, due)
    return found


# --- incremental passes -----------------------------------------------------------------
# A pass may plan only the teams whose data changed since the last one (their rows are a
# function of their own meetings, series, members, actions, visits and reviews). What the
# clock alone brings due (a digest at 08:00, tomorrow's visit list at 18:00) needs a full
# pass: one runs whenever a boundary below has passed, and hourly as a safety net.

FULL_ONLY_KINDS = ("action_digest",)  # one per person across all their teams


def boundary_passed(since: datetime, now: datetime, timing: Timing = DEFAULT_TIMING) -> bool:
    """Whether a time of day at which reminders fall due (UK time) lies in (since, now]."""
    since, now = as_utc(since), as_utc(now)
    times = {timing.digest_at, timing.visits_at, timing.meeting_reminder_at,
             timing.review_at, time(0, 0)}
    day = to_london(since).date()
    while day <= to_london(now).date():
        if any(since < london_to_utc(day, at) <= now for at in times):
            return True
        day += timedelta(days=1)
    return False


def in_scope(due: Due, teams: set[int] | None) -> bool:
    """Whether an incremental pass over `teams` owns this row (None: a full pass)."""
    return teams is None or (due.team_id in teams and due.kind not in FULL_ONLY_KINDS)


def _in_window(due: Due, now: datetime) -> bool:
    return due.due_at <= now and (due.expires_at is None or now < due.expires_at)


def _wanted(snapshot: Snapshot, due: Due) -> bool:
    topic = topic_of(due.kind)
    if (due.recipient, topic) in snapshot.opt_outs:
        return False
    if due.team_id is not None:
        return snapshot.team_topics.get(due.team_id, {}).get(topic, True)
    return True


def _iso(value: datetime) -> str:
    return as_utc(value).strftime("%Y-%m-%dT%H:%MZ")


def _people(meeting: MeetingData) -> list[Recipient]:
    """Invitees with a real address (walk-ins recorded on the day have none)."""
    return [p for p in meeting.invitees if p.email and not p.email.endswith("@invalid")]


def _invitations(snapshot: Snapshot, now: datetime):
    for meeting in snapshot.meetings:
        subject = f"meeting:{meeting.id}"
        link = f"/meetings/{meeting.id}"
        if meeting.status == "cancelled":
            # Only to people who had an invitation: the series' or this meeting's.
            told = set(snapshot.invited.get(subject, ()))
            if meeting.is_series_date:
                told |= set(snapshot.invited.get(f"series:{meeting.series_id}", ()))
            names = {p.email: p for p in meeting.invitees}
            for email in sorted(told):
                person = names.get(email, Recipient(email))
                yield Due("meeting_cancellation", subject, email, f"seq{meeting.sequence}",
                          now, meeting.starts_at,
                          {"meeting_id": meeting.id, "title": meeting.title,
                           "starts_at": _iso(meeting.starts_at), "link": "/meetings"},
                          person.user_id, meeting.team_id)
            continue
        if meeting.status != "scheduled" or meeting.is_series_date:
            continue  # a date of a series travels in the series' invitation
        for person in _people(meeting):
            yield Due("meeting_invitation", subject, person.email, f"seq{meeting.sequence}",
                      now, meeting.starts_at,
                      {"meeting_id": meeting.id, "title": meeting.title,
                       "starts_at": _iso(meeting.starts_at), "ends_at": _iso(meeting.ends_at),
                       "location": meeting.location, "sequence": meeting.sequence,
                       "link": link, **_your_cases(meeting, person)},
                      person.user_id, meeting.team_id)
    for series in snapshot.series:
        if not series.upcoming:
            continue
        for person in series.people:  # no expiry: due while the series has dates ahead
            yield Due("series_invitation", f"series:{series.id}", person.email,
                      f"seq{series.sequence}", now, None,
                      {"series_id": series.id, "title": series.title,
                       "description": series.description,
                       "starts_at": _iso(london_to_utc(series.upcoming[0], series.start_time)),
                       "location": series.location, "sequence": series.sequence,
                       "link": "/meetings"},
                      person.user_id, series.team_id)


def _meeting_reminders(snapshot: Snapshot, now: datetime, timing: Timing):
    opened = set()
    for meeting in snapshot.meetings:
        if meeting.is_series_date:
            opened.add((meeting.series_id, meeting.occurrence_date))
        if meeting.status != "scheduled":
            continue
        day = to_london(meeting.starts_at).date()
        subject = (f"series:{meeting.series_id}:{meeting.occurrence_date.isoformat()}"
                   if meeting.is_series_date else f"meeting:{meeting.id}")
        for person in _people(meeting):
            yield _meeting_reminder(subject, person, meeting.team_id, meeting.title,
                                    meeting.starts_at, meeting.location, meeting.case_count,
                                    f"/meetings/{meeting.id}", day, timing,
                                    _your_cases(meeting, person))
    for series in snapshot.series:
        for day in series.upcoming:
            if (series.id, day) in opened:
                continue  # the Meeting row above speaks for it
            starts_at = london_to_utc(day, series.start_time)
            if starts_at <= now:
                continue
            for person in series.people:
                yield _meeting_reminder(f"series:{series.id}:{day.isoformat()}", person,
                                        series.team_id, series.title, starts_at,
                                        series.location, 0, "/meetings", day, timing)


def _your_cases(meeting: MeetingData, person: Recipient) -> dict:
    block = meeting.blocks.get(person.user_id)
    return {"your_cases": block} if block else {}


def _meeting_reminder(subject, person, team_id, title, starts_at, location, cases, link,
                      day, timing, extra=None) -> Due:
    return Due("meeting_reminder", subject, person.email, _iso(starts_at),
               london_to_utc(day - timedelta(days=1), timing.meeting_reminder_at), starts_at,
               {"title": title, "starts_at": _iso(starts_at), "location": location,
                "case_count": cases, "link": link, **(extra or {})},
               person.user_id, team_id)


def end_of_week_of(today: date) -> date:
    return today + timedelta(days=6 - today.weekday())


def _digests(snapshot: Snapshot, now: datetime, timing: Timing):
    today = to_london(now).date()
    start = london_to_utc(today, timing.digest_at)
    end = london_to_utc(today + timedelta(days=1), time(0, 0))
    sunday = end_of_week_of(today)
    counts: dict[int, dict] = {}
    for action in snapshot.actions:
        if action.status != "open" or action.owner_id not in snapshot.users:
            continue
        if not snapshot.team_topics.get(action.team_id, {}).get("action_digest", True):
            continue
        bucket = ("overdue" if action.due_on < today else "due_today" if action.due_on == today
                  else "due_this_week" if action.due_on <= sunday else None)
        if bucket:
            mine = counts.setdefault(action.owner_id, {"overdue": 0, "due_today": 0,
                                                       "due_this_week": 0})
            mine[bucket] += 1
    for owner_id, mine in sorted(counts.items()):
        person = snapshot.users[owner_id]
        yield Due("action_digest", f"user:{owner_id}", person.email, today.isoformat(), start,
                  end, {"day": today.isoformat(), **mine, "link": "/actions"}, owner_id)


def _assignments(snapshot: Snapshot, now: datetime, timing: Timing):
    for item in snapshot.assignments:
        person = snapshot.users.get(item.owner_id)
        if person is None or item.by_user_id == item.owner_id:
            continue  # nobody needs telling about an action they gave themselves
        yield Due("action_assigned", f"action:{item.action_id}", person.email,
                  f"log{item.entry_id}", item.at, item.at + timing.assignment_window,
                  {"action_id": item.action_id, "due_on": item.due_on.isoformat(),
                   "link": f"/actions/{item.action_id}"},
                  item.owner_id, item.team_id)


def _visit_lists(snapshot: Snapshot, now: datetime, timing: Timing):
    today = to_london(now).date()
    tomorrow = today + timedelta(days=1)
    start = london_to_utc(today, timing.visits_at)
    end = london_to_utc(tomorrow, time(0, 0))
    lists: dict[tuple[int, int], list[VisitData]] = {}
    for visit in snapshot.visits:
        if visit.day == tomorrow and visit.status == "planned" \
                and visit.professional_id in snapshot.users:
            lists.setdefault((visit.professional_id, visit.team_id), []).append(visit)
    for (user_id, team_id), visits in sorted(lists.items()):
        slots: dict[str, int] = {}
        for visit in visits:
            slots[visit.when] = slots.get(visit.when, 0) + 1
        person = snapshot.users[user_id]
        yield Due("visits_tomorrow", f"user:{user_id}:team:{team_id}", person.email,
                  tomorrow.isoformat(), start, end,
                  {"day": tomorrow.isoformat(), "count": len(visits),
                   "slots": sorted(slots.items(), key=_slot_order),
                   "link": f"/visits?date={tomorrow.isoformat()}"},
                  user_id, team_id)


def _slot_order(item):
    order = {"Morning": "0", "Afternoon": "2", "Evening": "3"}
    label = item[0]
    return order.get(label, "1" + label)


def _notices(snapshot: Snapshot, now: datetime, timing: Timing):
    for notice in snapshot.notices:
        person = snapshot.users.get(notice.user_id)
        if person is None:
            continue
        yield Due("visit_notice", f"notification:{notice.id}", person.email, "",
                  notice.created_at, notice.created_at + timing.notice_window,
                  {"text": notice.text, "link": notice.link or "/visits"},
                  notice.user_id, notice.team_id, notify=False)  # already in the app


def _reviews(snapshot: Snapshot, now: datetime, timing: Timing):
    for review in snapshot.reviews:
        person = snapshot.users.get(review.key_worker_id)
        if person is None:
            continue
        yield Due("hna_due", f"patient:{review.patient_id}:team:{review.team_id}",
                  person.email, review.due_on.isoformat(),
                  london_to_utc(review.due_on - timedelta(days=timing.review_lead_days),
                                timing.review_at),
                  london_to_utc(review.due_on + timedelta(days=timing.review_grace_days),
                                timing.review_at),
                  {"due_on": review.due_on.isoformat(),
                   "link": f"/patients/{review.patient_id}"},
                  review.key_worker_id, review.team_id)


def _team_invitations(snapshot: Snapshot):
    """The invitation email, from when the chair invites until the invitation expires (or is
    accepted or withdrawn: then it is no longer wanted and an unsent one is withdrawn)."""
    for invitation in snapshot.team_invitations:
        yield Due("team_invitation", f"invitation:{invitation.id}", invitation.email.lower(),
                  "", invitation.created_at, invitation.expires_at,
                  {"team": invitation.team_name, "inviter": invitation.inviter,
                   "expires_on": to_london(invitation.expires_at).date().isoformat(),
                   "link": "/sign-in"},
                  None, invitation.team_id, notify=False)
