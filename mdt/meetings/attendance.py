"""Who came to a team's meetings: attendance per member over the last 6 and 12 months and
the "often absent" flag (definitions: mdt/reports/queries.py), and the follow-through of
the actions raised at one meeting."""

from dataclasses import dataclass
from datetime import date, time, timedelta

from dateutil.relativedelta import relativedelta
from sqlalchemy import and_, case, func, select

from mdt.actions.models import Action
from mdt.actions.queries import FollowThrough, follow_through, follow_through_columns
from mdt.auth.models import Membership, User
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, Meeting
from mdt.timeutil import london_to_utc

RECENT_MEETINGS = 3


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


def meeting_follow_through(meeting_id: int, today: date | None = None) -> FollowThrough:
    """Counts for the actions raised at one meeting (its cases' actions). Scoping is the
    caller's job: pass a meeting the user may see."""
    if today is None:
        from mdt.timeutil import london_today
        today = london_today()
    row = db.session.execute(
        select(*follow_through_columns(today))
        .select_from(Action).join(Case, Case.id == Action.case_id)
        .where(Case.meeting_id == meeting_id)).one()
    return follow_through(row)


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
