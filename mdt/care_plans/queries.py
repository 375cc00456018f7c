"""What a care plan is built from (the record as it is now) and its saved versions, for one
of the reader's teams; a fixed number of queries."""

from sqlalchemy import func, select

from mdt.actions.models import Action
from mdt.auth.models import User
from mdt.care_plans.content import Agreed, PlanInputs, Visiting
from mdt.care_plans.models import CarePlanVersion
from mdt.extensions import db
from mdt.patients.key_info import PLACES
from mdt.patients.models import Hna, HnaConcern, KeyInfoSection, Patient, PatientTeam
from mdt.teams.models import Team
from mdt.timeutil import london_today
from mdt.visits.models import WINDOWS, Visit


def inputs(patient: Patient, team_id: int) -> PlanInputs:
    sections = {row.section: row.data or {} for row in db.session.scalars(
        select(KeyInfoSection).where(KeyInfoSection.patient_id == patient.id))}
    link = db.session.scalar(select(PatientTeam).where(PatientTeam.patient_id == patient.id,
                                                       PatientTeam.team_id == team_id))
    worker = db.session.get(User, link.key_worker_id) if link and link.key_worker_id else None
    last_hna = db.session.scalar(select(Hna.id).where(
        Hna.patient_id == patient.id, Hna.team_id == team_id)
        .order_by(Hna.assessed_on.desc(), Hna.id.desc()).limit(1))
    concerns = list(db.session.scalars(select(HnaConcern.text).where(
        HnaConcern.hna_id == last_hna).order_by(HnaConcern.id))) if last_hna else []
    agreed = [Agreed(owner, action.description, action.due_on)
              for action, owner in db.session.execute(
                  select(Action, User.name).join(User, User.id == Action.owner_id)
                  .where(Action.patient_id == patient.id, Action.team_id == team_id,
                         Action.status == "open").order_by(Action.due_on))]
    visits = [Visiting(visit.day, user.name, user.profession_label,
                       WINDOWS.get(visit.window, visit.window))
              for visit, user in db.session.execute(
                  select(Visit, User).join(User, User.id == Visit.professional_id)
                  .where(Visit.patient_id == patient.id, Visit.team_id == team_id,
                         Visit.status == "planned", Visit.merged_into_id.is_(None),
                         Visit.day >= london_today()).order_by(Visit.day).limit(10))]
    places = dict(PLACES)
    return PlanInputs(
        first_name=patient.given_name, full_name=patient.full_name,
        nhs_number=patient.nhs_number,
        team_name=db.session.scalar(select(Team.name).where(Team.id == team_id)) or "",
        what_matters=sections.get("what_matters", {}).get("what_matters", "") or "",
        preferred_place=places.get(sections.get("wishes", {}).get("preferred_place_of_care"),
                                   ""),
        carer_name=sections.get("people", {}).get("carer_name", "") or "",
        concerns=concerns, agreed=agreed,
        key_worker_name=worker.name if worker else "",
        key_worker_role=worker.profession_label if worker else "",
        key_worker_phone=worker.phone if worker else "", visits=visits)


def versions(patient_id: int, team_id: int) -> list[CarePlanVersion]:
    return list(db.session.scalars(select(CarePlanVersion).where(
        CarePlanVersion.patient_id == patient_id, CarePlanVersion.team_id == team_id)
        .order_by(CarePlanVersion.number.desc())))


def get_version(patient_id: int, team_id: int, number: int) -> CarePlanVersion | None:
    return db.session.scalar(select(CarePlanVersion).where(
        CarePlanVersion.patient_id == patient_id, CarePlanVersion.team_id == team_id,
        CarePlanVersion.number == number))


def next_number(patient_id: int, team_id: int) -> int:
    return (db.session.scalar(select(func.max(CarePlanVersion.number)).where(
        CarePlanVersion.patient_id == patient_id, CarePlanVersion.team_id == team_id)) or 0) + 1
