"""The front door's page, read in a fixed number of queries: what a chair, a nurse or
matron, and a GP each need first. (Plain data for the template: it asks no questions of
statuses itself.)"""

from dataclasses import dataclass, field
from datetime import date, time

from sqlalchemy import func, select

from mdt.actions.models import Action
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.letters.queries import ready_count
from mdt.meetings.models import Case, Meeting
from mdt.patients.models import Patient
from mdt.referrals import queries as referral_queries
from mdt.referrals.models import Referral
from mdt.teams.models import Team
from mdt.timeutil import london_to_utc
from mdt.visits import queries as visit_queries

VISITING = ("district_nurse", "community_matron")
MIDNIGHT = time(0, 0)


@dataclass
class NextMeeting:
    meeting: Meeting
    cases: int
    case_limit: int
    minutes: int
    minutes_limit: int

    @property
    def over_limit(self) -> bool:
        return self.cases > self.case_limit or self.minutes > self.minutes_limit


@dataclass
class FrontDoor:
    name: str
    overdue: int = 0
    due_soon: int = 0
    next_meeting: NextMeeting | None = None
    chair: bool = False
    referrals_waiting: int = 0
    team_overdue: int = 0
    visiting: bool = False
    visits: list = field(default_factory=list)
    gp: bool = False
    my_cases: list = field(default_factory=list)  # (Patient, Meeting) on lists ahead
    my_referrals: list = field(default_factory=list)
    letters_ready: int = 0  # outcome letters for her practice not yet filed



def front_door(actor: Actor, today: date, soon: date) -> FrontDoor:
    user = db.session.get(User, actor.user_id)
    door = FrontDoor(name=user.name)
    door.overdue, door.due_soon = db.session.execute(
        select(func.count(Action.id).filter(Action.due_on < today),
               func.count(Action.id).filter(Action.due_on >= today))
        .where(Action.owner_id == actor.user_id, Action.status == "open",
               Action.team_id.in_(actor.team_ids), Action.due_on <= soon)).one()
    door.letters_ready = ready_count(actor.user_id, actor.team_ids, user.organisation or "")
    chaired = [t for t in actor.team_ids if actor.is_chair(t)]
    if chaired:
        door.chair = True
        door.next_meeting = _next_meeting(chaired, today)
        door.referrals_waiting = db.session.scalar(select(func.count(Referral.id)).where(
            Referral.team_id.in_(chaired), Referral.status == "sent"))
        door.team_overdue = db.session.scalar(select(func.count(Action.id)).where(
            Action.team_id.in_(chaired), Action.status == "open", Action.due_on < today))
    if user.profession in VISITING:
        door.visiting = True
        door.visits = visit_queries.day_rows(actor.team_ids, today, actor.user_id)
    if user.profession == "gp":
        door.gp = True
        door.my_cases = list(db.session.execute(
            select(Patient, Meeting).join(Case, Case.patient_id == Patient.id)
            .join(Meeting, Meeting.id == Case.meeting_id)
            .where(Meeting.team_id.in_(actor.team_ids),
                   Meeting.status.in_(("scheduled", "in_progress")),
                   Meeting.starts_at >= london_to_utc(today, MIDNIGHT),
                   Case.status == "listed", Case.presenter_id == actor.user_id)
            .order_by(Meeting.starts_at, Case.position).limit(50)).all())
        door.my_referrals = referral_queries.my_referrals(actor)[:10]
    return door


def _next_meeting(team_ids: list[int], today: date) -> NextMeeting | None:
    meeting = db.session.scalar(select(Meeting).where(
        Meeting.team_id.in_(team_ids), Meeting.status.in_(("scheduled", "in_progress")),
        Meeting.starts_at >= london_to_utc(today, MIDNIGHT))
        .order_by(Meeting.starts_at).limit(1))
    if meeting is None:
        return None
    cases, minutes = db.session.execute(
        select(func.count(Case.id), func.coalesce(func.sum(Case.minutes + Case.break_after), 0))
        .where(Case.meeting_id == meeting.id, Case.status.in_(("listed", "deferred",
                                                                "discussed")))).one()
    team = db.session.get(Team, meeting.team_id)
    return NextMeeting(meeting, cases, team.case_limit, minutes, team.minutes_limit)
