"""Care plan versions: made from the record as it is now, given to the patient on a date.
Plain functions; they add and flush, the view commits."""

from datetime import date

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.care_plans import content, queries
from mdt.care_plans.models import CarePlanVersion
from mdt.errors import Refused
from mdt.extensions import db
from mdt.patients.models import Patient
from mdt.timeutil import london_today


class CarePlanError(Refused):
    """A care plan change refused: {field: message} for the form."""


def draft(patient: Patient, team_id: int) -> tuple[dict, float]:
    plan = content.build(queries.inputs(patient, team_id))
    return plan, content.reading_grade(content.plain_text(plan))


def hard_lines(plan: dict) -> list[str]:
    return content.hard_lines(plan)


def save_version(actor: Actor, patient: Patient, team_id: int) -> CarePlanVersion | None:
    """A new version when the plan differs from the last one; None when nothing changed."""
    plan, grade = draft(patient, team_id)
    latest = next(iter(queries.versions(patient.id, team_id)), None)
    if latest is not None and latest.content == plan:
        return None
    version = CarePlanVersion(patient_id=patient.id, team_id=team_id,
                              number=queries.next_number(patient.id, team_id), content=plan,
                              reading_grade=grade, created_by_id=actor.user_id)
    db.session.add(version)
    db.session.flush()
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="create", record_type="care_plan", record_id=version.id,
                 patient_id=patient.id, changes={"version": version.number,
                                                 "reading_grade": grade})
    return version


def record_given(actor: Actor, version: CarePlanVersion, given_on: date | None) -> None:
    if given_on is None:
        raise CarePlanError({"given_on": "Enter the date the plan was given"})
    if given_on > london_today():
        raise CarePlanError({"given_on": "The date given must be today or in the past"})
    if given_on < version.created_at.date():
        raise CarePlanError({"given_on": "The date given must be on or after the day this "
                                         "version was made"})
    before = version.given_on
    version.given_on, version.given_by_id = given_on, actor.user_id
    audit.record(user_id=actor.user_id, role=actor.role(version.team_id),
                 team_id=version.team_id, action="change", record_type="care_plan",
                 record_id=version.id, patient_id=version.patient_id,
                 changes={"given_on": [str(before or ""), str(given_on)],
                          "version": version.number})
    db.session.flush()
