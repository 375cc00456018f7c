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
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, case, extract, func, or_, select

from mdt.actions.models import Action
from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, Meeting
from mdt.teams.models import Membership
from mdt.timeutil import london_to_utc

MONTHS = 12
MEETINGS = 12
RECENT_MEETINGS = 3


@dataclass(frozen=True)
class FollowThrough:
    """Counts of actions by what has become of them; `raised` is every action."""

    raised: int = 0
    on_time: int = 0
    late: int = 0
    overdue: int = 0
    not_yet_due: int = 0
    cancelled: int = 0

    @property
    def due(self) -> int:
        """The denominator: actions done (on time or late) or overdue now."""
        return self.on_time + self.late + self.overdue

    @property
    def rate(self) -> float | None:
        """On time / due, 0..1; None when nothing is due yet."""
        return self.on_time / self.due if self.due else None

    @property
    def percent(self) -> int | None:
        return None if self.rate is None else round(self.rate * 100)


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


@dataclass(frozen=True)
class Attendance:
    present: int = 0
    apologies: int = 0
    absent: int = 0
    not_recorded: int = 0

    @property
    def meetings(self) -> int:
        return self.present + self.apologies + self.absent + self.not_recorded


@dataclass(frozen=True)
class MemberAttendance:
    user_id: int
    name: str
    role: str
    last_6_months: Attendance
    last_12_months: Attendance
    often_absent: bool


def _follow_through_columns(today: date) -> list:
    """sum(case ...) columns, labelled like FollowThrough's fields."""
    done = Action.status == "done"
    on_time = and_(done, Action.completed_on.is_not(None), Action.completed_on <= Action.due_on)

    def total(condition, label):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0).label(label)

    return [
        total(Action.id.is_not(None), "raised"),
        total(on_time, "on_time"),
        total(and_(done, or_(Action.completed_on.is_(None),
                             Action.completed_on > Action.due_on)), "late"),
        total(and_(Action.status == "open", Action.due_on < today), "overdue"),
        total(and_(Action.status == "open", Action.due_on >= today), "not_yet_due"),
        total(Action.status == "cancelled", "cancelled"),
    ]


def _follow_through(row) -> FollowThrough:
    return FollowThrough(raised=int(row.raised), on_time=int(row.on_time), late=int(row.late),
                         overdue=int(row.overdue), not_yet_due=int(row.not_yet_due),
                         cancelled=int(row.cancelled))


def month_range(today: date) -> tuple[date, date]:
    """(first day of the month 11 months ago, first day of next month)."""
    this_month = today.replace(day=1)
    return this_month - relativedelta(months=MONTHS - 1), this_month + relativedelta(months=1)


def team_follow_through(team_id: int, today: date) -> FollowThrough:
    """The team's actions due in the 12 months up to and including this month."""
    first, after = month_range(today)
    row = db.session.execute(
        select(*_follow_through_columns(today))
        .where(Action.team_id == team_id, Action.due_on >= first, Action.due_on < after)).one()
    return _follow_through(row)


def follow_through_by_month(team_id: int, today: date) -> list[MonthFigures]:
    """One row per month for the last 12 months (oldest first), months with no actions as
    zeros."""
    first, after = month_range(today)
    year, month = extract("year", Action.due_on), extract("month", Action.due_on)
    rows = db.session.execute(
        select(year.label("year"), month.label("month"), *_follow_through_columns(today))
        .where(Action.team_id == team_id, Action.due_on >= first, Action.due_on < after)
        .group_by(year, month)).all()
    found = {date(int(r.year), int(r.month), 1): _follow_through(r) for r in rows}
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
        select(latest.c.id, latest.c.title, latest.c.starts_at, *_follow_through_columns(today))
        .select_from(latest)
        .outerjoin(Case, Case.meeting_id == latest.c.id)
        .outerjoin(Action, Action.case_id == Case.id)
        .group_by(latest.c.id, latest.c.title, latest.c.starts_at)
        .order_by(latest.c.starts_at.desc(), latest.c.id.desc())).all()
    return [MeetingFigures(r.id, r.title, r.starts_at, _follow_through(r)) for r in rows]


def meeting_follow_through(meeting_id: int, today: date | None = None) -> FollowThrough:
    """Counts for the actions raised at one meeting (its cases' actions). Scoping is the
    caller's job: pass a meeting the user may see."""
    if today is None:
        from mdt.timeutil import london_today
        today = london_today()
    row = db.session.execute(
        select(*_follow_through_columns(today))
        .select_from(Action).join(Case, Case.id == Action.case_id)
        .where(Case.meeting_id == meeting_id)).one()
    return _follow_through(row)


def _day_start(day: date):
    return london_to_utc(day, time(0))


def attendance(team_id: int, today: date) -> list[MemberAttendance]:
    """Every current member of the team (by name) with their attendance at the team's
    finished meetings in the last 6 and 12 months, and the "often absent" flag."""
    end = _day_start(today + timedelta(days=1))
    since_6 = _day_start(today - relativedelta(months=6))
    since_12 = _day_start(today - relativedelta(months=12))
    invited = (
        select(Invitee.user_id.label("user_id"), Invitee.attendance.label("attendance"),
               Meeting.starts_at.label("starts_at"),
               func.row_number().over(partition_by=Invitee.user_id,
                                      order_by=(Meeting.starts_at.desc(), Meeting.id.desc()))
               .label("recent"))
        .join(Meeting, Meeting.id == Invitee.meeting_id)
        .where(Meeting.team_id == team_id, Meeting.status == "finished",
               Meeting.starts_at < end, Invitee.user_id.is_not(None))
        .subquery())

    def count(*conditions):
        return func.sum(case((and_(*conditions), 1), else_=0))

    columns = []
    for label, since in (("m6", since_6), ("m12", since_12)):
        in_window = invited.c.starts_at >= since
        for kind in ("present", "apologies", "absent", "invited"):
            columns.append(count(in_window, invited.c.attendance == kind)
                           .label(f"{label}_{kind}"))
    recent = invited.c.recent <= RECENT_MEETINGS
    per_user = (select(invited.c.user_id, *columns,
                       case((and_(count(recent) >= RECENT_MEETINGS,
                                  count(recent, invited.c.attendance == "present") == 0), 1),
                            else_=0).label("often_absent"))
                .group_by(invited.c.user_id).subquery())
    rows = db.session.execute(
        select(User.id, User.name, Membership.role, per_user)
        .select_from(Membership).join(User, User.id == Membership.user_id)
        .outerjoin(per_user, per_user.c.user_id == Membership.user_id)
        .where(Membership.team_id == team_id, User.is_active.is_(True))
        .order_by(User.name, User.id)).all()

    def window(row, label):
        def value(kind):
            return int(getattr(row, f"{label}_{kind}") or 0)
        return Attendance(present=value("present"), apologies=value("apologies"),
                          absent=value("absent"), not_recorded=value("invited"))

    return [MemberAttendance(
        user_id=r.id, name=r.name, role=r.role, last_6_months=window(r, "m6"),
        last_12_months=window(r, "m12"),
        often_absent=bool(r.often_absent)) for r in rows]


def often_absent(team_id: int, today: date) -> set[int]:
    """User ids of the members flagged "often absent" (for live mode's attendance list)."""
    return {member.user_id for member in attendance(team_id, today) if member.often_absent}


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
