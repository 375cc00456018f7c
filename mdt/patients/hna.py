"""Holistic Needs Assessments and the pathway stage: the two things that set review dates."""

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.patients.models import PATHWAY_STAGES, Hna, HnaConcern, Patient
from mdt.patients.service import PatientError, primary_team_id
from mdt.teams.service import is_member
from mdt.timeutil import london_today

CONCERN_LIMIT = 200
MAX_CONCERNS = 30


def parse_concerns(text: str) -> list[str]:
    """One concern per line; blank lines dropped. Raises PatientError when too long."""
    concerns = [line.strip(" -*•\t") for line in (text or "").splitlines()]
    concerns = [c for c in concerns if c]
    if len(concerns) > MAX_CONCERNS:
        raise PatientError({"concerns": f"Enter {MAX_CONCERNS} concerns or fewer"})
    for number, concern in enumerate(concerns, 1):
        if len(concern) > CONCERN_LIMIT:
            raise PatientError({"concerns": f"Concern {number} must be {CONCERN_LIMIT} "
                                            "characters or fewer"})
    return concerns


def _past_date_errors(field: str, label: str, value: date | None, patient: Patient) -> dict:
    if value is None:
        return {field: f"Enter the {label}"}
    if value > london_today():
        return {field: f"The {label} must be today or in the past"}
    if value < patient.date_of_birth:
        return {field: f"The {label} must be after the patient's date of birth"}
    return {}


def record_hna(actor: Actor, patient: Patient, *, assessed_on: date | None,
               assessed_by_id: int | None, concerns_text: str) -> Hna:
    team_id = primary_team_id(actor, patient.id)
    errors = _past_date_errors("assessed_on", "date of the assessment", assessed_on, patient)
    if not is_member(team_id, assessed_by_id):
        errors["assessed_by_id"] = "Choose who carried out the assessment"
    try:
        concerns = parse_concerns(concerns_text)
    except PatientError as exc:
        errors.update(exc.errors)
    if not errors and db.session.scalar(select(Hna.id).where(
            Hna.patient_id == patient.id, Hna.assessed_on == assessed_on,
            Hna.assessed_by_id == assessed_by_id)):
        errors["assessed_on"] = "This assessment is already recorded (same date and person)"
    if errors:
        _refuse(actor, team_id, patient.id, "create", "hna", errors)
        raise PatientError(errors)
    hna = Hna(patient_id=patient.id, team_id=team_id, assessed_on=assessed_on,
              assessed_by_id=assessed_by_id, recorded_by_id=actor.user_id)
    db.session.add(hna)
    db.session.flush()
    db.session.add_all(HnaConcern(hna_id=hna.id, text=text) for text in concerns)
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="create", record_type="hna", record_id=patient.id,
                 changes={"hna_id": hna.id, "assessed_on": assessed_on.isoformat(),
                          "concerns": len(concerns)})
    db.session.flush()
    return hna


def change_stage(actor: Actor, patient: Patient, *, stage: str, changed_on: date | None,
                 seen_version: int) -> None:
    """A new pathway stage; its date makes a review due (see review.review_status)."""
    team_id = primary_team_id(actor, patient.id)
    errors = {}
    if stage not in PATHWAY_STAGES:
        errors["stage"] = "Choose a pathway stage"
    elif stage == patient.pathway_stage:
        errors["stage"] = f"The patient is already at the stage: {PATHWAY_STAGES[stage]}"
    errors.update(_past_date_errors("changed_on", "date of the change", changed_on, patient))
    if not errors and seen_version != patient.version:
        errors["form"] = ("Someone else changed this patient's record while you were editing. "
                          "Check the stage, then try again.")
    if errors:
        _refuse(actor, team_id, patient.id, "change", "pathway_stage", errors)
        raise PatientError(errors)
    try:
        with db.session.begin_nested():  # a collision undoes this change only
            audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                         action="change", record_type="pathway_stage", record_id=patient.id,
                         changes={"pathway_stage": [patient.pathway_stage, stage],
                                  "changed_on": [str(patient.pathway_stage_changed_on or ""),
                                                 changed_on.isoformat()]})
            patient.pathway_stage = stage
            patient.pathway_stage_changed_on = changed_on
    except StaleDataError:  # a colleague's save landed between our read and our write
        errors = {"form": "Someone else changed this patient's record at the same moment. "
                          "Check the stage, then try again."}
        _refuse(actor, team_id, patient.id, "change", "pathway_stage", errors)
        raise PatientError(errors) from None


def _refuse(actor, team_id, patient_id, action, record_type, errors):
    audit.refused(actor, team_id, action=action, record_type=record_type,
                  record_id=patient_id, errors=errors)
