"""Patient page actions: key worker, key information sections, pathway stage, HNAs, and the
printable summary. Thin: parse, authorise (team scope), call a service, render."""

from flask import abort, flash, redirect, render_template, request, url_for

from mdt.audit.reads import shows_patient_data
from mdt.auth.oidc import assurance
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.forms import apply_errors, error_list
from mdt.loaders import load
from mdt.patients import hna as hna_service
from mdt.patients import key_info, service
from mdt.patients.forms import HnaForm, KeyWorkerForm, StageForm, section_form_class
from mdt.patients.handover import assign_key_worker
from mdt.patients.key_info_queries import load_sections
from mdt.patients.key_info_service import SectionConflict, save_section
from mdt.patients.models import Patient
from mdt.patients.overview import load_overview, team_links
from mdt.patients.views import bp
from mdt.teams.service import member_choices, team_members
from mdt.timeutil import london_today


def _back_to(patient_id, message, anchor=""):
    flash(message)
    return redirect(url_for("patients.show", patient_id=patient_id) + anchor, code=303)


def _render(template, form, status_ok=200, **context):
    status = 400 if form.errors or form.form_errors else status_ok
    return render_template(template, form=form, errors=error_list(form), **context), status


@bp.route("/<int:patient_id>/key-worker", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("key_worker_page")
@load("patient_id")
def key_worker(patient_id: int, patient: Patient):
    actor = current_actor()
    link = team_links(actor, patient_id)[0]
    form = KeyWorkerForm()
    form.key_worker_id.choices = [("", "No key worker")] + [
        (user.id, f"{user.name} ({user.profession_label}, {user.organisation})")
        for team_id, user in team_members([link.team_id])]
    current_id = link.key_worker.id if link.key_worker else None
    if form.validate_on_submit():
        try:
            assign_key_worker(actor, patient_id=patient_id, team_id=link.team_id,
                              to_user_id=form.key_worker_id.data, reason=form.reason.data,
                              seen_key_worker_id=form.key_worker_id.coerce(
                                  form.seen_key_worker_id.data))
            db.session.commit()
        except service.PatientError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
            latest = team_links(actor, patient_id)[0].key_worker
            form.seen_key_worker_id.data = str(latest.id) if latest else ""
        else:
            return _back_to(patient_id, "Key worker changed", "#key-worker")
    elif not form.is_submitted():
        form.key_worker_id.data = current_id
        form.seen_key_worker_id.data = str(current_id or "")
    return _render("patients/key_worker.html", form, patient=patient, link=link)


@bp.route("/<int:patient_id>/key-information/<section_name>", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("key_information_page")
@assurance.require("KEY_INFORMATION_MIN_ASSURANCE", "Key information")
@load("patient_id")
def key_information(patient_id: int, section_name: str, patient: Patient):
    actor = current_actor()
    section = key_info.BY_NAME.get(section_name) or abort(404)
    if section_name == "death":
        # A death is recorded once, with everything that follows it (issue 17): saving a
        # date here used to change nothing else.
        return redirect(url_for("lifecycle.change", patient_id=patient.id, kind="died"), 303)
    row = load_sections(patient_id).get(section_name, (None, ""))[0]
    form_class = section_form_class(section)
    conflict = None
    if row is not None and request.method == "GET":
        form = form_class(data={**key_info.as_form_values(section, row.data),
                                "version": str(row.version)})
    else:
        form = form_class()
    if form.validate_on_submit():
        values = {item.name: form[item.name].data for item in section.items}
        try:
            save_section(actor, patient, section_name, values, _int(form.version.data))
            db.session.commit()
        except key_info.KeyInfoError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
        except SectionConflict as exc:
            db.session.commit()  # the refusal's audit row
            conflict = exc
            form.form_errors.append(exc.message())
            form.version.data = str(load_sections(patient_id)[section_name][0].version)
        else:
            return _back_to(patient_id, f"{section.title} saved", f"#section-{section_name}")
    elif not form.is_submitted() and row is None:
        form.version.data = "0"
    return _render("patients/key_info_edit.html", form, patient=patient, section=section,
                   conflict=conflict)


@bp.route("/<int:patient_id>/stage", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("pathway_stage_page")
@load("patient_id")
def stage(patient_id: int, patient: Patient):
    actor = current_actor()
    form = StageForm()
    if form.validate_on_submit():
        try:
            hna_service.change_stage(actor, patient, stage=form.stage.data,
                                     changed_on=form.changed_on.data,
                                     seen_version=_int(form.version.data))
            db.session.commit()
        except service.PatientError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
            form.version.data = str(service.get_patient(actor, patient_id).version)
        else:
            return _back_to(patient_id, "Pathway stage changed: a review is now due")
    elif not form.is_submitted():
        form.stage.data = patient.pathway_stage
        form.changed_on.process(None, london_today())
        form.version.data = str(patient.version)
    return _render("patients/stage.html", form, patient=patient)


@bp.route("/<int:patient_id>/hnas/new", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("hna_page")
@load("patient_id")
def new_hna(patient_id: int, patient: Patient):
    actor = current_actor()
    link = team_links(actor, patient_id)[0]
    form = HnaForm()
    form.assessed_by_id.choices = member_choices(link.team_id, "Choose a person")
    if form.validate_on_submit():
        try:
            hna_service.record_hna(actor, patient, assessed_on=form.assessed_on.data,
                                   assessed_by_id=form.assessed_by_id.data,
                                   concerns_text=form.concerns.data)
            db.session.commit()
        except service.PatientError as exc:
            db.session.commit()  # the refusal's audit row
            apply_errors(form, exc.errors)
        else:
            return _back_to(patient_id, "Holistic Needs Assessment recorded", "#hnas")
    elif not form.is_submitted():
        form.assessed_on.process(None, london_today())
        form.assessed_by_id.data = actor.user_id
    return _render("patients/hna_new.html", form, patient=patient)


@bp.get("/<int:patient_id>/summary")
@team_member_required
@shows_patient_data("patient_summary")
@load("patient_id")
def summary(patient_id: int, patient: Patient):
    """One printable A4 page for the patient's home folder or a care home's red bag."""
    actor = current_actor()
    service.record_view(actor, patient)
    db.session.commit()
    return render_template("patients/summary.html", overview=load_overview(actor, patient),
                           sections=key_info.SECTIONS, today=london_today())


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return -1
