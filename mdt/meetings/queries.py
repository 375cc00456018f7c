"""Reading meetings and case lists: each page in a fixed number of queries."""

from dataclasses import dataclass
from datetime import date, datetime

from blinker import Namespace
from sqlalchemy import select
from sqlalchemy.orm import aliased

from mdt.actions.models import Action
from mdt.actions.queries import open_actions_for_patients
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings import recurrence
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.patients.listing import rows_for_patients
from mdt.patients.models import Patient
from mdt.timeutil import london_to_utc


@dataclass
class Upcoming:
    """A meeting in the list ahead: a Meeting row, or a series date not yet opened."""
    starts_at: datetime
    title: str
    team_id: int
    meeting: Meeting | None = None
    series: MeetingSeries | None = None
    day: date | None = None


def get_meeting(actor: Actor, meeting_id: int) -> Meeting | None:
    return db.session.scalar(select(Meeting).where(Meeting.id == meeting_id,
                                                   Meeting.team_id.in_(actor.team_ids)))


def get_series(actor: Actor, series_id: int) -> MeetingSeries | None:
    return db.session.scalar(select(MeetingSeries).where(
        MeetingSeries.id == series_id, MeetingSeries.team_id.in_(actor.team_ids)))


def upcoming(actor: Actor, today: date, per_series: int = 6) -> list[Upcoming]:
    since = london_to_utc(today, datetime.min.time())
    meetings = db.session.scalars(select(Meeting).where(
        Meeting.team_id.in_(actor.team_ids), Meeting.starts_at >= since)
        .order_by(Meeting.starts_at)).all()
    opened = {(m.series_id, m.occurrence_date) for m in meetings if m.series_id}
    items = [Upcoming(m.starts_at, m.title, m.team_id, meeting=m) for m in meetings]
    for series in db.session.scalars(select(MeetingSeries).where(
            MeetingSeries.team_id.in_(actor.team_ids))):
        for day in recurrence.occurrences(series.rrule, series.first_date, after=today,
                                          count=per_series):
            if (series.id, day) not in opened:
                items.append(Upcoming(london_to_utc(day, series.start_time), series.title,
                                      series.team_id, series=series, day=day))
    return sorted(items, key=lambda item: item.starts_at)


def past(actor: Actor, today: date, limit: int = 20) -> list[Meeting]:
    return list(db.session.scalars(select(Meeting).where(
        Meeting.team_id.in_(actor.team_ids),
        Meeting.starts_at < london_to_utc(today, datetime.min.time()))
        .order_by(Meeting.starts_at.desc()).limit(limit)))


@dataclass
class CaseRow:
    case: Case
    patient: Patient
    presenter_name: str | None
    info: object  # patients.listing.PatientRow: key worker, stage, review
    open_actions: list

    @property
    def not_actioned(self) -> list:
        """Open actions agreed at an earlier meeting: recommendations not yet carried out."""
        return [a for a in self.open_actions if a.action.case_id not in (None, self.case.id)]

    @property
    def other_actions(self) -> list:
        return [a for a in self.open_actions if a.action.case_id in (None, self.case.id)]


def case_rows(meeting: Meeting, include_removed: bool = False,
              details: bool = True) -> list[CaseRow]:
    """Every case with its patient, presenter, key worker, stage, review flag and open
    actions: three queries whatever the number of cases. `details=False`: one query, no key
    worker, flags or actions (live mode adds them for the case on screen: with_details)."""
    presenter = aliased(User)
    stmt = (select(Case, Patient, presenter.name).join(Patient, Patient.id == Case.patient_id)
            .outerjoin(presenter, presenter.id == Case.presenter_id)
            .where(Case.meeting_id == meeting.id).order_by(Case.position, Case.id))
    if not include_removed:
        stmt = stmt.where(Case.status != "removed")
    found = db.session.execute(stmt).all()
    rows = [CaseRow(case, patient, name, None, []) for case, patient, name in found]
    return with_details(meeting, rows, rows) if details else rows


def listed_patient_ids(meeting_id: int) -> set[int]:
    """The patients on the meeting's list (not taken off): one query."""
    return set(db.session.scalars(select(Case.patient_id).where(
        Case.meeting_id == meeting_id, Case.status != "removed")))


def with_details(meeting: Meeting, rows: list[CaseRow], wanted: list[CaseRow]) -> list[CaseRow]:
    """`rows` with the key worker, flags and open actions filled in for the `wanted` ones."""
    patient_ids = [row.patient.id for row in wanted]
    info = rows_for_patients(meeting.team_id, patient_ids)
    actions = open_actions_for_patients([meeting.team_id], patient_ids)
    keep = {row.case.id for row in wanted}
    return [CaseRow(row.case, row.patient, row.presenter_name, info.get(row.patient.id),
                    actions[row.patient.id]) if row.case.id in keep else row for row in rows]


def invitees(meeting_id: int) -> list[Invitee]:
    return list(db.session.scalars(select(Invitee).where(Invitee.meeting_id == meeting_id)
                                   .order_by(Invitee.walk_in, Invitee.name)))


def discussions(actor: Actor, patient_id: int) -> list[tuple[Case, Meeting]]:
    """The patient's timeline: every case of theirs on a meeting of the actor's teams."""
    return db.session.execute(
        select(Case, Meeting).join(Meeting, Meeting.id == Case.meeting_id)
        .where(Case.patient_id == patient_id, Meeting.team_id.in_(actor.team_ids),
               Case.status != "removed")
        .order_by(Meeting.starts_at.desc())).all()


def meeting_handovers(meeting_id: int) -> list:
    """Key worker hand-overs decided at this meeting: (handover, patient, from, to)."""
    from mdt.patients.models import KeyWorkerHandover

    before, after = aliased(User), aliased(User)
    return db.session.execute(
        select(KeyWorkerHandover, Patient, before.name, after.name)
        .join(Case, Case.id == KeyWorkerHandover.meeting_case_id)
        .join(Patient, Patient.id == KeyWorkerHandover.patient_id)
        .outerjoin(before, before.id == KeyWorkerHandover.from_user_id)
        .outerjoin(after, after.id == KeyWorkerHandover.to_user_id)
        .where(Case.meeting_id == meeting_id).order_by(KeyWorkerHandover.id)).all()


@dataclass
class MeetingActionRow:
    action: Action
    owner_name: str
    patient: Patient | None
    created_by: str


def meeting_actions(meeting_id: int) -> list[MeetingActionRow]:
    """Actions raised on this meeting's cases, in one query."""
    creator = aliased(User)
    stmt = (select(Action, User.name, Patient, creator.name)
            .join(User, User.id == Action.owner_id)
            .join(creator, creator.id == Action.created_by_id)
            .outerjoin(Patient, Patient.id == Action.patient_id)
            .join(Case, Case.id == Action.case_id)
            .where(Case.meeting_id == meeting_id).order_by(Case.position, Action.id))
    return [MeetingActionRow(*row) for row in db.session.execute(stmt)]


def overview_part(patient, actor: Actor) -> dict:
    """The patient page's discussions at meetings (patients.overview.overview_parts)."""
    return {"discussions": discussions(actor, patient.id)}


# Each case's accepted referral (the referral's text beside the case): mdt.referrals answers,
# connected by referrals.init_app, with {case id: referral}. Meetings import no referral.
case_referrals = Namespace().signal("case-referrals")


def referrals_for_cases(case_ids) -> dict:
    """{case id: the accepted referral that put it on the list} (none without referrals)."""
    found = {}
    if case_ids:
        for _, answer in case_referrals.send(None, case_ids=list(case_ids)):
            found.update(answer)
    return found
