"""Recording a death, a discharge, a move to another team, or a re-referral: a form, then a
summary of everything that will follow, then one confirmed change (mdt/lifecycle/service)."""

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from sqlalchemy import select

from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.forms import apply_errors, error_list
from mdt.lifecycle import service
from mdt.lifecycle.forms import ChangeForm
from mdt.loaders import load
from mdt.patients import service as patients
from mdt.patients.lifecycle import PLACE_LABELS, Status, TransitionRefused, check, label
from mdt.patients.models import Patient, PatientTeam
from mdt.teams.models import Team
from mdt.timeutil import london_today

bp = Blueprint("lifecycle", __name__, url_prefix="/patients")

KINDS = {  # url word -> (target status, page title, who may)
    "died": (Status.DIED, "Record a death", "member"),
    "discharge": (Status.DISCHARGED, "Discharge from the caseload", "member"),
    "transfer": (Status.TRANSFERRED, "Move to another neighbourhood team", "chair"),
    "re-refer": (Status.ON_CASELOAD, "Put back on the caseload", "chair"),
}


def _change(kind, team_id, form) -> service.Change:
    target = KINDS[kind][0]
    return service.Change(
        target=target, team_id=team_id, happened_on=form.happened_on.data,
        place=form.place.data or "", reason=form.reason.data or "", notes=form.notes.data or "",
        to_team_id=form.to_team_id.data, keep_action_ids=frozenset(form.keep_action_ids.data or ()),
        bereavement="yes" in (form.bereavement.data or ()) if form.step.data == "confirm"
        else True)


@bp.route("/<int:patient_id>/caseload/<kind>", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("lifecycle_page")
@load("patient_id")
def change(patient_id: int, kind: str, patient: Patient):
    if kind not in KINDS:
        abort(404)
    target, title, who = KINDS[kind]
    actor = current_actor()
    team_id = patients.primary_team_id(actor, patient.id)
    if who == "chair" and not actor.is_chair(team_id):
        audit.refused(actor, team_id, action="change", record_type="lifecycle",
                      record_id=patient.id, errors=["not_chair"])
        db.session.commit()  # the refusal is kept
        abort(403)
    link = db.session.scalar(select(PatientTeam).where(PatientTeam.patient_id == patient.id,
                                                       PatientTeam.team_id == team_id))
    form = ChangeForm()
    form.to_team_id.choices = [("", "Choose a team")] + [
        (team.id, team.name) for team in db.session.scalars(
            select(Team).where(Team.id != team_id).order_by(Team.name))]
    status = 200
    if not form.is_submitted():
        form.version.data = str(patient.version)
        if target == Status.DIED:
            form.place.data = ""
    elif form.validate():
        change = _change(kind, team_id, form)
        seen = int(form.version.data) if (form.version.data or "").isdigit() else None
        try:
            if form.step.data == "confirm":
                service.apply(actor, patient, change, seen)
                db.session.commit()
                flash(_done_message(patient, target))
                return redirect(url_for("patients.show", patient_id=patient.id), code=303)
            check(link.status, target)
            errors = service.validate(change, patient, london_today())
            if errors:
                raise TransitionRefused(errors)
        except TransitionRefused as exc:
            audit.refused(actor, team_id, action="change", record_type="lifecycle",
                          record_id=patient.id, errors=list(exc.errors))
            db.session.commit()  # the refusal is kept
            apply_errors(form, exc.errors)
            if "form" in exc.errors:
                form.form_errors[:] = [exc.errors["form"]]
            status = 409 if exc.errors.get("form") == service.CONFLICT else 400
        else:
            effects = service.preview(patient, change)
            form.keep_action_ids.choices = [(a.id, a.description) for a, _ in effects.actions]
            return render_template("lifecycle/confirm.html", patient=patient, form=form,
                                   effects=effects, kind=kind, title=title, target=target,
                                   place_labels=PLACE_LABELS, status_label=label)
    else:
        status = 400
    return render_template("lifecycle/form.html", patient=patient, form=form, kind=kind,
                           title=title, target=target, current=link.status,
                           status_label=label, errors=error_list(form)), status


def _done_message(patient, target) -> str:
    # No name: a flash message travels in the session cookie, on the user's machine.
    return {Status.DIED: "The death is recorded",
            Status.DISCHARGED: "Discharged from the caseload",
            Status.TRANSFERRED: "Moved to the other team",
            Status.ON_CASELOAD: "Back on the caseload"}[target]
