"""Team figures, computed by SQL aggregation (one query per figure, whatever the row count).

Definitions (the figures page says the same in plain English):

Actions, by what has become of them on `today` (a UK date, passed in so tests are exact):
- **done on time**: status done and completed_on <= due_on.
- **done late**: status done and completed_on > due_on (a done action with no completion
  date recorded also counts as late: it cannot be shown to be on time).
- **overdue now**: status open and due_on < today.
- **open, not yet due**: status open and due_on >= today (due today is still in time).
- **cancelled**: status cancelled.

**Follow-through rate** = done on time / (done on time + done late + overdue now): the share
of the actions that have come to a result (done, or past their due date) that were done by
their due date. Cancelled actions and open actions not yet due are left out of the
denominator, so an action never counts against the team before its due date. With nothing
in the denominator the rate is None ("no actions due yet"), never 0%.

- **By month**: actions of the team grouped by the month of their due date, for the 12
  months up to and including this month.
- **By meeting**: actions raised at a meeting (Action.case_id -> Case.id -> Case.meeting_id),
  for the team's latest 12 finished meetings.

Attendance, per team member (current memberships, active users), over the team's finished
meetings the member was invited to, in the last 6 and the last 12 months (from the same
day 6 / 12 months ago up to today): present, apologies, absent, and "not recorded" (still
"invited" on a finished meeting: nothing was recorded, so it is counted on its own, not as
absent). **Often absent** flag: the member was invited to at least 3 finished meetings and
was not present at any of their latest 3 (apologies, absent and not recorded all count as
not present), whenever those meetings were.
"""

from dataclasses import dataclass
from datetime import date

from dateutil.relativedelta import relativedelta
from sqlalchemy import extract, select

from mdt.actions.models import Action
from mdt.actions.queries import FollowThrough, follow_through, follow_through_columns  # noqa: F401
from mdt.extensions import db
from mdt.meetings.attendance import (  # noqa: F401  (figures defined in the docstring)
    RECENT_MEETINGS,
    Attendance,
    MemberAttendance,
    attendance,
    meeting_follow_through,
    often_absent,
)
from mdt.meetings.models import Case, Meeting

MONTHS = 12
MEETINGS = 12


@dataclass(frozen=True)
class MonthFigures:
    month: date  # the first day of the month
    follow_through: FollowThrough


@dataclass(frozen=True)
class MeetingFigures:
    meeting_id: int
    title: str
    starts_at: object  # aware UTC datetime
    follow_through: FollowThrough


def month_range(today: date) -> tuple[date, date]:
    """(first day of the month 11 months ago, first day of next month)."""
    this_month = today.replace(day=1)
    return this_month - relativedelta(months=MONTHS - 1), this_month + relativedelta(months=1)


def team_follow_through(team_id: int, today: date) -> FollowThrough:
    """The team's actions due in the 12 months up to and including this month."""
    first, after = month_range(today)
    row = db.session.execute(
        select(*follow_through_columns(today))
        .where(Action.team_id == team_id, Action.due_on >= first, Action.due_on < after)).one()
    return follow_through(row)


def follow_through_by_month(team_id: int, today: date) -> list[MonthFigures]:
    """One row per month for the last 12 months (oldest first), months with no actions as
    zeros."""
    first, after = month_range(today)
    year, month = extract("year", Action.due_on), extract("month", Action.due_on)
    rows = db.session.execute(
        select(year.label("year"), month.label("month"), *follow_through_columns(today))
        .where(Action.team_id == team_id, Action.due_on >= first, Action.due_on < after)
        .group_by(year, month)).all()
    found = {date(int(r.year), int(r.month), 1): follow_through(r) for r in rows}
    months = [first + relativedelta(months=n) for n in range(MONTHS)]
    return [MonthFigures(m, found.get(m, FollowThrough())) for m in months]


def follow_through_by_meeting(team_id: int, today: date) -> list[MeetingFigures]:
    """The team's latest 12 finished meetings (newest first) with the actions raised at
    each."""
    latest = (select(Meeting.id, Meeting.title, Meeting.starts_at)
              .where(Meeting.team_id == team_id, Meeting.status == "finished")
              .order_by(Meeting.starts_at.desc(), Meeting.id.desc()).limit(MEETINGS)
              .subquery())
    rows = db.session.execute(
        select(latest.c.id, latest.c.title, latest.c.starts_at, *follow_through_columns(today))
        .select_from(latest)
        .outerjoin(Case, Case.meeting_id == latest.c.id)
        .outerjoin(Action, Action.case_id == Case.id)
        .group_by(latest.c.id, latest.c.title, latest.c.starts_at)
        .order_by(latest.c.starts_at.desc(), latest.c.id.desc())).all()
    return [MeetingFigures(r.id, r.title, r.starts_at, follow_through(r)) for r in rows]


@dataclass(frozen=True)
class PlaceOfDeath:
    """Deaths in a period: how many, how many had a preferred place recorded before death,
    and how many died in it."""
    month: date | None = None
    deaths: int = 0
    preference_known: int = 0
    in_preferred_place: int = 0

    @property
    def preferred_percent(self) -> int | None:
        """Share of deaths with a known preference that were in the preferred place."""
        return round(100 * self.in_preferred_place / self.preference_known) \
            if self.preference_known else None

    @property
    def known_percent(self) -> int | None:
        return round(100 * self.preference_known / self.deaths) if self.deaths else None


def place_of_death_figures(events, first: date) -> tuple[list[PlaceOfDeath], PlaceOfDeath]:
    """Pure: (happened_on, details) of deaths -> one PlaceOfDeath a month from `first` for
    MONTHS months, and the total. A preference counts as known when the lifecycle could say
    whether it was met (a real place, recorded before the death)."""
    months = [first + relativedelta(months=n) for n in range(MONTHS)]
    counts = {m: [0, 0, 0] for m in months}
    for happened_on, details in events:
        month = happened_on.replace(day=1)
        if month not in counts:
            continue
        met = (details or {}).get("preferred_place_met")
        counts[month][0] += 1
        counts[month][1] += met is not None
        counts[month][2] += met is True
    rows = [PlaceOfDeath(m, *counts[m]) for m in months]
    total = PlaceOfDeath(None, *(sum(r[i] for r in counts.values()) for i in range(3)))
    return rows, total


def place_of_death(team_id: int, today: date) -> tuple[list[PlaceOfDeath], PlaceOfDeath]:
    """The team's deaths in the last 12 months: one query (a team has tens a year)."""
    from mdt.patients.models import LifecycleEvent

    first, after = month_range(today)
    events = db.session.execute(
        select(LifecycleEvent.happened_on, LifecycleEvent.details)
        .where(LifecycleEvent.team_id == team_id, LifecycleEvent.to_status == "died",
               LifecycleEvent.happened_on >= first, LifecycleEvent.happened_on < after)).all()
    return place_of_death_figures(events, first)
