from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from mdt.auth.scope import current_team_ids, current_teams, team_member_required, team_roles
from mdt.extensions import htmx
from mdt.forms import error_list
from mdt.patients import service
from mdt.patients.forms import EditPatientForm, NewPatientForm, SearchForm

bp = Blueprint("patients", __name__, url_prefix="/patients")


def _actor() -> service.Actor:
    return service.Actor(user_id=current_user.id, team_ids=tuple(current_team_ids()),
                         roles=team_roles())


def _apply_errors(form, errors: dict) -> None:
    for name, message in errors.items():
        if name in form:
            form[name].errors = [message]
        else:
            form.form_errors.append(message)


def _form_data(form) -> dict:
    return {name: form[name].data for name in service.FIELDS}


@bp.get("")
@team_member_required
def index():
    form = SearchForm(meta={"csrf": False})
    patients = service.list_patients(_actor())
    return render_template("patients/index.html", patients=patients, form=form, query="")


@bp.post("/search")
@team_member_required
def search():
    # A POST so that names and NHS numbers typed into the search never appear in URLs or logs.
    form = SearchForm()
    query = form.q.data if form.validate() else ""
    patients = service.list_patients(_actor(), query)
    template = "patients/_rows.html" if htmx else "patients/index.html"
    return render_template(template, patients=patients, form=form, query=query)


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
def new():
    form = NewPatientForm()
    form.team_id.choices = [(team.id, team.name) for team in current_teams()]
    if form.validate_on_submit():
        try:
            patient = service.create_patient(_actor(), form.team_id.data, _form_data(form))
        except service.PatientError as exc:
            _apply_errors(form, exc.errors)
        else:
            flash(f"{patient.full_name} added")
            return redirect(url_for("patients.show", patient_id=patient.id), code=303)
    elif form.is_submitted():
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
        service.refuse(_actor(), form.team_id.data if form.team_id.data in current_team_ids()
                       else None, "create", errors)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("patients/new.html", form=form, errors=error_list(form)), status


@bp.get("/<int:patient_id>")
@team_member_required
def show(patient_id: int):
    found = service.view_patient(_actor(), patient_id)
    if found is None:
        abort(404)
    patient, teams = found
    return render_template("patients/show.html", patient=patient, teams=teams)


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@team_member_required
def edit(patient_id: int):
    actor = _actor()
    patient = service.get_patient(actor, patient_id)
    if patient is None:
        abort(404)
    form = EditPatientForm(obj=patient)
    if form.validate_on_submit():
        try:
            service.update_patient(actor, patient, _form_data(form), form.seen_version())
        except service.PatientError as exc:
            _apply_errors(form, exc.errors)
            form.version.data = str(service.get_patient(actor, patient_id).version)
        else:
            flash("Changes saved")
            return redirect(url_for("patients.show", patient_id=patient_id), code=303)
    elif form.is_submitted():
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
        service.refuse(actor, service.primary_team_id(actor, patient_id), "change", errors,
                       patient_id)
    else:
        form.version.data = str(patient.version)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("patients/edit.html", form=form, patient=patient,
                           errors=error_list(form)), status
