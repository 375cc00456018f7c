"""The patient's own care and support plan: the draft from the record as it is now, saved
versions, each printable (large print too) and as PDF, and the date each was given."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.care_plans import content, queries, service
from mdt.care_plans.forms import GivenForm
from mdt.care_plans.models import CarePlanVersion
from mdt.extensions import db
from mdt.forms import apply_errors, error_list
from mdt.loaders import load, register
from mdt.patients.models import Patient
from mdt.patients.service import closed_message, primary_team_id, refuse
from mdt.pdf import render_pdf

bp = Blueprint("care_plans", __name__, url_prefix="/patients/<int:patient_id>/care-plan")



def _version(actor, number, loaded):
    patient = loaded["patient"]
    return queries.get_version(patient.id, primary_team_id(actor, patient.id), number)


register("number", "version", _version)


def _actor_and_team(patient):
    actor = current_actor()
    return actor, primary_team_id(actor, patient.id)


def _refuse_if_closed(actor, patient_id, team_id):
    message = closed_message(patient_id, team_id)
    if message:
        refuse(actor, team_id, "change", {"record": "read_only"}, record_id=patient_id)
        db.session.commit()  # the refusal is kept
        abort(409)


def _page(actor, patient, team_id, form=None, status=200):
    plan, grade = service.draft(patient, team_id)
    form = form or GivenForm()
    return render_template("care_plans/show.html", patient=patient, plan=plan, grade=grade,
                           target=content.TARGET_GRADE, form=form, errors=error_list(form),
                           versions=queries.versions(patient.id, team_id),
                           hard=service.hard_lines(plan),
                           closed=closed_message(patient.id, team_id)), status


@bp.get("")
@team_member_required
@shows_patient_data("care_plan")
@load("patient_id")
def show(patient_id: int, patient: Patient):
    actor, team_id = _actor_and_team(patient)
    return _page(actor, patient, team_id)


@bp.post("")
@team_member_required
@load("patient_id")
def save(patient_id: int, patient: Patient):
    actor, team_id = _actor_and_team(patient)
    _refuse_if_closed(actor, patient_id, team_id)
    version = service.save_version(actor, patient, team_id)
    db.session.commit()
    flash(f"Version {version.number} saved: print it or download the PDF to give to "
          f"{patient.given_name}" if version else
          "Nothing has changed since the last version: no new version made")
    return redirect(url_for("care_plans.show", patient_id=patient_id), code=303)


def _document(version, large: bool, pdf: bool) -> str:
    return render_template("care_plans/document.html", plan=version.content, version=version,
                           large=large, pdf=pdf)


@bp.get("/<int:number>")
@team_member_required
@shows_patient_data("care_plan_print")
@load("patient_id", "number")
def printable(patient_id: int, number: int, patient: Patient, version: CarePlanVersion):
    return _document(version, request.args.get("large") == "1", pdf=False)


@bp.get("/<int:number>.pdf")
@team_member_required
@shows_patient_data("care_plan_pdf")
@load("patient_id", "number")
def pdf(patient_id: int, number: int, patient: Patient, version: CarePlanVersion):
    actor = current_actor()
    large = request.args.get("large") == "1"
    body = render_pdf(_document(version, large, pdf=True), stylesheet="care-plan.css")
    audit.record(user_id=actor.user_id, role=actor.role(version.team_id),
                 team_id=version.team_id, action="export", record_type="care_plan",
                 record_id=version.id, patient_id=patient_id,
                 changes={"format": "pdf", "large_print": large, "version": number,
                          "patients": [patient_id]})
    db.session.commit()
    from flask import Response

    response = Response(body, mimetype="application/pdf")
    response.headers["Content-Disposition"] = \
        f'attachment; filename="care-plan-{patient_id}-v{number}{"-large" if large else ""}.pdf"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/<int:number>/given")
@team_member_required
@load("patient_id", "number")
def given(patient_id: int, number: int, patient: Patient, version: CarePlanVersion):
    actor = current_actor()
    _refuse_if_closed(actor, patient_id, version.team_id)
    form = GivenForm()
    if form.validate_on_submit():
        try:
            service.record_given(actor, version, form.given_on.data)
        except service.CarePlanError as exc:
            apply_errors(form, exc.errors)
        else:
            db.session.commit()
            flash(f"Recorded: version {number} given on {form.given_on.data:%-d %B %Y}")
            return redirect(url_for("care_plans.show", patient_id=patient_id), code=303)
    return _page(actor, patient, version.team_id, form, 400)
