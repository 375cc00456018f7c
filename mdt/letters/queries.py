"""Reading outcome letters, always within the reader's teams; each page in a fixed number
of queries however many letters it holds."""

from dataclasses import dataclass

from sqlalchemy import func, select

from mdt.actions.models import Action
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.letters.content import KeyWorker, Letter, LetterAction, practice_key
from mdt.letters.models import OutcomeLetter
from mdt.meetings.models import Case, Meeting
from mdt.patients.listing import rows_for_patients
from mdt.patients.models import Patient
from mdt.referrals.models import Referral
from mdt.teams.models import Team

LIMIT = 500


def get_letter(actor: Actor, letter_id: int) -> OutcomeLetter | None:
    return db.session.scalar(select(OutcomeLetter).where(
        OutcomeLetter.id == letter_id, OutcomeLetter.team_id.in_(actor.team_ids)))


def meeting_letters(actor: Actor, meeting_id: int, practice: str | None = None
                    ) -> list[OutcomeLetter]:
    stmt = select(OutcomeLetter).where(OutcomeLetter.meeting_id == meeting_id,
                                       OutcomeLetter.team_id.in_(actor.team_ids))
    if practice is not None:
        stmt = stmt.where(func.lower(OutcomeLetter.practice) == practice_key(practice))
    return list(db.session.scalars(stmt.order_by(OutcomeLetter.id)))


@dataclass
class LetterRow:
    letter: OutcomeLetter
    patient: Patient
    meeting: Meeting
    filed_by: str
    mine: bool  # the reader's own practice's letter


def listing(actor: Actor, organisation: str, only_mine: bool) -> list[LetterRow]:
    """Letters of the reader's teams, newest meeting first; the reader's practice only when
    asked (GPs and practice staff see theirs first)."""
    stmt = (select(OutcomeLetter, Patient, Meeting, User.name)
            .join(Patient, Patient.id == OutcomeLetter.patient_id)
            .join(Meeting, Meeting.id == OutcomeLetter.meeting_id)
            .outerjoin(User, User.id == OutcomeLetter.filed_by_id)
            .where(OutcomeLetter.team_id.in_(actor.team_ids)))
    mine = practice_key(organisation)
    if only_mine:
        stmt = stmt.where(func.lower(OutcomeLetter.practice) == mine)
    rows = db.session.execute(stmt.order_by(Meeting.starts_at.desc(), OutcomeLetter.practice,
                                            Patient.family_name).limit(LIMIT))
    return [LetterRow(letter, patient, meeting, filed_by or "",
                      bool(mine) and practice_key(letter.practice) == mine)
            for letter, patient, meeting, filed_by in rows]


def ready_count(user_id: int, team_ids, organisation: str) -> int:
    """Letters for the user's practice not yet marked filed (the front door's count)."""
    if not organisation or not team_ids:
        return 0
    return db.session.scalar(select(func.count(OutcomeLetter.id)).where(
        OutcomeLetter.team_id.in_(list(team_ids)), OutcomeLetter.filed_at.is_(None),
        func.lower(OutcomeLetter.practice) == practice_key(organisation))) or 0


def contents(letters: list[OutcomeLetter]) -> list[Letter]:
    """Each letter's text, from the meeting's record as it is now, in a fixed number of
    queries."""
    if not letters:
        return []
    case_ids = [x.case_id for x in letters]
    patient_ids = {x.patient_id for x in letters}
    cases = {c.id: c for c in db.session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    patients = {p.id: p for p in db.session.scalars(select(Patient).where(
        Patient.id.in_(patient_ids)))}
    meetings = {m.id: m for m in db.session.scalars(select(Meeting).where(
        Meeting.id.in_({x.meeting_id for x in letters})))}
    teams = dict(db.session.execute(select(Team.id, Team.name).where(
        Team.id.in_({x.team_id for x in letters}))).all())
    questions = dict(db.session.execute(select(Referral.case_id, Referral.question).where(
        Referral.case_id.in_(case_ids))).all())
    actions: dict[int, list[LetterAction]] = {}
    for action, owner in db.session.execute(
            select(Action, User.name).join(User, User.id == Action.owner_id)
            .where(Action.case_id.in_(case_ids)).order_by(Action.due_on, Action.id)):
        actions.setdefault(action.case_id, []).append(
            LetterAction(action.description, owner, action.due_on, action.status))
    rows = {}
    for team_id in {x.team_id for x in letters}:
        rows[team_id] = rows_for_patients(
            team_id, [x.patient_id for x in letters if x.team_id == team_id])
    kw_ids = {row.key_worker_id for by in rows.values() for row in by.values()
              if row.key_worker_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(
        User.id.in_(kw_ids | {m.chair_id for m in meetings.values()})))}
    later = {}
    for patient_id, starts_at in db.session.execute(
            select(Case.patient_id, func.min(Meeting.starts_at))
            .join(Meeting, Meeting.id == Case.meeting_id)
            .where(Case.patient_id.in_(patient_ids), Case.status == "listed",
                   Meeting.status.in_(("scheduled", "in_progress")))
            .group_by(Case.patient_id)):
        later[patient_id] = starts_at
    from mdt.timeutil import to_london

    out = []
    for letter in letters:
        case, patient, meeting = cases[letter.case_id], patients[letter.patient_id], \
            meetings[letter.meeting_id]
        row = rows[letter.team_id].get(patient.id)
        worker = users.get(row.key_worker_id) if row and row.key_worker_id else None
        next_at = later.get(patient.id)
        out.append(Letter(
            letter_id=letter.id, team_name=teams.get(letter.team_id, ""),
            meeting_title=meeting.title, meeting_day=to_london(meeting.starts_at).date(),
            practice=letter.practice, usual_gp=patient.usual_gp or "",
            patient_name=f"{patient.title + ' ' if patient.title else ''}{patient.full_name}",
            nhs_number=patient.nhs_number, date_of_birth=patient.date_of_birth,
            address=patient.address or "", postcode=patient.postcode or "",
            question=questions.get(case.id) or case.reason or "", summary=case.notes or "",
            outcome=case.outcome or "", decisions=case.decisions or "",
            actions=actions.get(case.id, []),
            key_worker=KeyWorker(worker.name, worker.profession_label, worker.organisation,
                                 worker.phone, worker.email) if worker else None,
            review_due=row.review.due_on if row else None,
            next_meeting=to_london(next_at).date() if next_at and next_at > meeting.starts_at
            else None,
            chair_name=users[meeting.chair_id].name if meeting.chair_id in users else "",
            filed=letter.filed_at is not None))
    return out
