from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, current_team_ids, current_teams, team_member_required
from mdt.extensions import db, htmx
from mdt.forms import apply_errors, error_list
from mdt.loaders import load, not_team_scoped, register
from mdt.patients import service
from mdt.patients.forms import EditPatientForm, NewPatientForm, SearchForm
from mdt.patients.listing import (
    CASELOAD_FILTERS,
    REVIEW_FILTERS,
    SORTS,
    ListFilters,
    list_patients,
    page_number,
)
from mdt.patients.models import PATHWAY_STAGES, Patient
from mdt.patients.pages import PatientPage
from mdt.teams.service import team_members

bp = Blueprint("patients", __name__, url_prefix="/patients")

register("patient_id", "patient", lambda actor, id_, _: service.get_patient(actor, id_),
         team_of=not_team_scoped)  # on several teams: a role is checked by the view


@bp.before_request
def _read_only_after_leaving_the_caseload():
    """A patient who died, was discharged or moved away: their record here is read-only
    (nothing deleted). One check for every change on this blueprint."""
    patient_id = (request.view_args or {}).get("patient_id")
    if request.method != "POST" or patient_id is None or not current_user.is_authenticated:
        return None
    actor = current_actor()
    team_id = service.primary_team_id(actor, patient_id)
    message = service.closed_message(patient_id, team_id) if team_id else None
    if message is None:
        return None
    service.refuse(actor, team_id, "change", {"record": "read_only"}, record_id=patient_id)
    db.session.commit()  # the refusal is kept
    return render_template("errors/error.html", title="This record is read-only",
                           message=message.replace("nothing new can be planned for them",
                                                   "their record can no longer be changed")), 409




def _form_data(form) -> dict:
    return {name: form[name].data for name in service.FIELDS}


def _list_page(filters: ListFilters, form):
    actor = current_actor()
    rows = list_patients(actor, filters, page_number(
        request.form.get("page") if request.method == "POST" else request.args.get("page")))
    service.record_list_view(actor, filters, rows)
    db.session.commit()
    members = team_members(actor.team_ids)
    template = "patients/_rows.html" if htmx else "patients/index.html"
    return render_template(template, rows=rows, form=form, filters=filters,
                           members=sorted({u.id: u for _, u in members}.values(),
                                          key=lambda u: u.name),
                           stages=PATHWAY_STAGES, review_filters=REVIEW_FILTERS, sorts=SORTS,
                           caseload_filters=CASELOAD_FILTERS,
                           many_teams=len(actor.team_ids) > 1)


@bp.get("")
@team_member_required
@shows_patient_data("patient_list")
def index():
    # Filters are in the URL (bookmarkable: "my patients", "reviews overdue"); search words
    # never are (see search).
    filters = ListFilters.from_mapping(request.args)
    return _list_page(filters, SearchForm(meta={"csrf": False}))


@bp.post("/search")
@team_member_required
def search():
    # A POST so that names and NHS numbers typed into the search never appear in URLs or logs.
    form = SearchForm()
    filters = ListFilters.from_mapping(request.form)
    if not form.validate():
        filters = ListFilters.from_mapping({**request.form, "q": ""})
    return _list_page(filters, form)


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
def new():
    form = NewPatientForm()
    form.team_id.choices = [(team.id, team.name) for team in current_teams()]
    if form.validate_on_submit():
        try:
            patient = service.create_patient(current_actor(), form.team_id.data, _form_data(form))
            db.session.commit()
        except service.PatientError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
        else:
            flash("Patient added")
            return redirect(url_for("patients.show", patient_id=patient.id), code=303)
    elif form.is_submitted():
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
        service.refuse(current_actor(), form.team_id.data if form.team_id.data in current_team_ids()
                       else None, "create", errors)
        db.session.commit()
    status = 400 if form.errors or form.form_errors else 200
    return render_template("patients/new.html", form=form, errors=error_list(form)), status


@bp.get("/<int:patient_id>")
@team_member_required
@shows_patient_data("patient")
@load("patient_id")
def show(patient_id: int, patient: Patient):
    actor = current_actor()
    page = PatientPage.build(actor, patient)
    # (the page's first team is the one the audit row belongs to: no query to find it)
    service.record_view(actor, patient, team_id=page.overview.main_team.team_id)
    db.session.commit()
    return render_template("patients/show.html", **page.context())


@bp.route("/<int:patient_id>/edit", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("patient_edit_page")
@load("patient_id")
def edit(patient_id: int, patient: Patient):
    actor = current_actor()
    form = EditPatientForm(obj=patient)
    if form.validate_on_submit():
        try:
            service.update_patient(actor, patient, _form_data(form), form.seen_version())
            db.session.commit()
        except service.PatientError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
            form.version.data = str(service.get_patient(actor, patient_id).version)
        else:
            flash("Changes saved")
            return redirect(url_for("patients.show", patient_id=patient_id), code=303)
    elif form.is_submitted():
        errors = {name: field.errors[0] for name, field in form._fields.items() if field.errors}
        service.refuse(actor, service.primary_team_id(actor, patient_id), "change", errors,
                       patient_id)
        db.session.commit()
    else:
        form.version.data = str(patient.version)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("patients/edit.html", form=form, patient=patient,
                           errors=error_list(form)), status
