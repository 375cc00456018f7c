"""The plain data a patient's FHIR Bundle is built from, for one of the reader's teams, in a
fixed number of queries."""

from sqlalchemy import select
from sqlalchemy.orm import aliased

from mdt.actions.models import Action
from mdt.auth.models import User
from mdt.extensions import db
from mdt.fhir.bundle import Discussion, Record, TaskItem
from mdt.meetings.models import Case, Meeting
from mdt.patients.models import Patient, PatientTeam
from mdt.teams.models import Team


def record(patient: Patient, team_id: int) -> Record:
    link = db.session.scalar(select(PatientTeam).where(PatientTeam.patient_id == patient.id,
                                                       PatientTeam.team_id == team_id))
    team_name = db.session.scalar(select(Team.name).where(Team.id == team_id)) or ""
    worker = db.session.get(User, link.key_worker_id) if link and link.key_worker_id else None
    chair = aliased(User)
    discussions = [Discussion(case.id, meeting.title, meeting.starts_at, meeting.ends_at,
                              case.reason or "", case.outcome or "", case.decisions or "",
                              chair_name or "")
                   for case, meeting, chair_name in db.session.execute(
                       select(Case, Meeting, chair.name)
                       .join(Meeting, Meeting.id == Case.meeting_id)
                       .outerjoin(chair, chair.id == Meeting.chair_id)
                       .where(Case.patient_id == patient.id, Meeting.team_id == team_id,
                              Case.status == "discussed")
                       .order_by(Meeting.starts_at))]
    tasks = [TaskItem(action.id, action.case_id, action.description, owner, action.due_on,
                      action.status, action.created_at, action.completed_on)
             for action, owner in db.session.execute(
                 select(Action, User.name).join(User, User.id == Action.owner_id)
                 .where(Action.patient_id == patient.id, Action.team_id == team_id)
                 .order_by(Action.created_at, Action.id))]
    return Record(patient_id=patient.id, nhs_number=patient.nhs_number, title=patient.title,
                  given_name=patient.given_name, family_name=patient.family_name,
                  date_of_birth=patient.date_of_birth, address=patient.address or "",
                  postcode=patient.postcode or "", gp_practice=patient.gp_practice or "",
                  team_name=team_name, key_worker=worker.name if worker else None,
                  key_worker_role=worker.profession_label if worker else "",
                  key_worker_phone=worker.phone if worker else "",
                  discussions=discussions, tasks=tasks)
