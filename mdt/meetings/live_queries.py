"""Live mode's reads: a light outline of the whole list (ids, names, statuses, minutes: for
the case navigation, "case 3 of 60", previous and next, the timetable and the clock) and the
one case on screen with everything it shows. An htmx swap reads the case on screen alone,
never every case's details."""

from dataclasses import dataclass
from functools import cache

from sqlalchemy import and_, bindparam, func, select
from sqlalchemy.orm import aliased

from mdt.actions.queries import open_actions_for_patients
from mdt.auth.models import PROFESSIONS, User
from mdt.extensions import db
from mdt.meetings.agenda import Item
from mdt.meetings.drafts import Others
from mdt.meetings.models import CASE_STATUSES, Case, CaseDraft, Meeting
from mdt.meetings.queries import CaseRow
from mdt.patients.listing import PatientRow
from mdt.patients.models import Hna, Patient, PatientTeam
from mdt.patients.review import review_status
from mdt.teams.models import Membership, Team
from mdt.timeutil import london_today


@dataclass(frozen=True)
class NavItem:
    """One case in the live navigation: plain values, no ORM objects."""
    case_id: int
    name: str
    status: str
    minutes: int
    break_after: int

    @property
    def status_label(self) -> str:
        return CASE_STATUSES[self.status]

    @property
    def is_listed(self) -> bool:
        return self.status == "listed"

    @property
    def item(self) -> Item:
        """For the timetable and the clock (meetings.agenda)."""
        return Item(self.case_id, self.minutes, self.status, self.break_after)


def _outline_query():
    return (select(Case.id, Patient.given_name, Patient.family_name, Case.status, Case.minutes,
                   Case.break_after)
            .join(Patient, Patient.id == Case.patient_id)
            .where(Case.meeting_id == bindparam("meeting_id"), Case.status != "removed")
            .order_by(Case.position, Case.id))


def _case_query():
    """The case, its patient, presenter, the patient's place on the meeting's team (key
    worker, stage, last HNA for the review flag) and a row for each draft of it (a case has
    few: whoever is writing on it)."""
    presenter, key_worker, writer = aliased(User), aliased(User), aliased(User)
    last_hna = (select(func.max(Hna.assessed_on))
                .where(Hna.patient_id == Case.patient_id, Hna.team_id == Meeting.team_id)
                .correlate(Case, Meeting).scalar_subquery())
    return (select(Case, Patient, presenter.name, PatientTeam.team_id, PatientTeam.listed_on,
                   PatientTeam.key_worker_id, Team.name, Team.review_interval_months,
                   key_worker.name, last_hna, PatientTeam.status, CaseDraft, writer.name)
            .join(Meeting, Meeting.id == Case.meeting_id)
            .join(Patient, Patient.id == Case.patient_id)
            .outerjoin(presenter, presenter.id == Case.presenter_id)
            .outerjoin(PatientTeam, and_(PatientTeam.patient_id == Case.patient_id,
                                         PatientTeam.team_id == Meeting.team_id))
            .outerjoin(Team, Team.id == PatientTeam.team_id)
            .outerjoin(key_worker, key_worker.id == PatientTeam.key_worker_id)
            .outerjoin(CaseDraft, CaseDraft.case_id == Case.id)
            .outerjoin(writer, writer.id == CaseDraft.user_id)
            .where(Case.id == bindparam("case_id"), Case.meeting_id == bindparam("meeting_id"))
            .order_by(CaseDraft.updated_at))


def _members_query():
    return (select(User.id, User.name, User.profession)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == bindparam("team_id"), User.is_active.is_(True))
            .order_by(User.name))


@cache
def _statement(name: str):
    """Built once: a live request pays for running its queries, not for composing them."""
    return {"outline": _outline_query, "case": _case_query, "members": _members_query}[name]()


def member_choices(team_id: int) -> list[tuple]:
    """(id, "Name (profession)") of the team's members, as teams.service.member_choices,
    from plain columns."""
    return [(user_id, f"{name} ({PROFESSIONS.get(profession, profession)})")
            for user_id, name, profession in db.session.execute(_statement("members"),
                                                                {"team_id": team_id})]


def outline(meeting_id: int) -> list[NavItem]:
    """The meeting's cases in order (taken-off ones left out): one narrow query."""
    return [NavItem(case_id, f"{given} {family}", status, minutes, break_after)
            for case_id, given, family, status, minutes, break_after in db.session.execute(
                _statement("outline"), {"meeting_id": meeting_id})]


@dataclass
class OnScreen:
    row: CaseRow
    draft: CaseDraft | None  # hers, as kept (drafts.unsaved: if it says anything new)
    writing: list[Others]  # colleagues with unsaved text on it


def case_on_screen(meeting: Meeting, case_id: int, user_id: int) -> OnScreen | None:
    """The one case with its patient, presenter, key worker, flags, drafts and open actions:
    two queries whatever the length of the list."""
    found = db.session.execute(_statement("case"), {"case_id": case_id,
                                                    "meeting_id": meeting.id}).all()
    if not found:
        return None
    case, patient, presenter_name, team_id, listed_on, key_worker_id, team_name, interval, \
        key_worker_name, last_hna, status, _, _ = found[0]
    info = None if team_id is None else PatientRow(
        patient, team_id, team_name, key_worker_id, key_worker_name,
        review_status(last_hna=last_hna, stage_changed_on=patient.pathway_stage_changed_on,
                      listed_on=listed_on, interval_months=interval, today=london_today()),
        status)
    mine, writing = None, []
    for *_, draft, name in found:
        if draft is None:
            continue
        if draft.user_id == user_id:
            mine = draft
        else:
            writing.append(Others(name, draft.updated_at))
    actions = open_actions_for_patients([meeting.team_id], [patient.id])[patient.id]
    return OnScreen(CaseRow(case, patient, presenter_name, info, actions), mine, writing)
