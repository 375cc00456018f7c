"""Caseload import (chairs): upload a practice's CSV, choose its columns, preview, import.
The file's rows wait server-side (mdt.imports.models.ImportBatch) under an opaque token:
no patient data travels in a URL or a log line."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from mdt.audit import service as audit
from mdt.audit.reads import note_patients, shows_patient_data
from mdt.auth.scope import chair_required, chaired_team_ids, current_actor, current_teams
from mdt.extensions import db
from mdt.forms import apply_errors, error_list
from mdt.imports import parse, service
from mdt.imports.forms import ImportForm, UploadForm, mapping_form_class

bp = Blueprint("imports", __name__, url_prefix="/patients/import")
UPLOAD_LIMIT = parse.MAX_BYTES + 64 * 1024  # the file and the form around it
TOO_LARGE = (f"The file is larger than {parse.MAX_BYTES // (1024 * 1024)} MB: a caseload "
             "search should be far smaller. Check it is the right file. Nothing was imported")


def raise_upload_limit():
    """Run before the CSRF check reads the form: the upload may be larger than the app's
    1 MB limit for ordinary forms (registered first in create_app)."""
    if request.endpoint == "imports.upload" and request.method == "POST":
        request.max_content_length = UPLOAD_LIMIT


def _refuse(team_id, reason: str, **details) -> None:
    audit.refused(current_actor(), team_id, action="create", record_type="patient_import",
                  record_id=None, errors=[reason], **details)
    db.session.commit()  # the refusal is kept


@bp.route("", methods=["GET", "POST"])
@chair_required
def upload():
    form = UploadForm()
    form.team_id.choices = [(t.id, t.name) for t in current_teams() if t.id in
                            chaired_team_ids()]
    if not form.team_id.choices:
        abort(403)
    if form.validate_on_submit():
        team_id = form.team_id.data
        try:
            upload_file = request.files.get("file")
            raw = upload_file.read(UPLOAD_LIMIT + 1) if upload_file else b""
            if team_id not in chaired_team_ids():
                raise service.ImportRefused("Choose a team you chair")
            if not raw:
                raise parse.ImportFileError("Choose the CSV file to upload")
            batch = service.start(current_actor(), team_id, raw)
        except RequestEntityTooLarge:
            _refuse(team_id, "too_large")
            apply_errors(form, {"file": TOO_LARGE})
        except (parse.ImportFileError, service.ImportRefused) as exc:
            _refuse(team_id if team_id in chaired_team_ids() else None, "file")
            apply_errors(form, {"file": str(exc)})
        else:
            db.session.commit()
            return redirect(url_for("imports.preview", token=batch.token), code=303)
    status = 400 if form.errors or form.form_errors else 200
    return render_template("imports/upload.html", form=form, errors=error_list(form)), status


def _batch_or_404(token: str):
    batch = service.find_batch(current_actor(), token)
    if batch is None:
        abort(404)
    return batch


def _preview_page(batch, refusal: str | None = None):
    result = service.preview(batch)
    note_patients(line.patient_id for line in result.lines)
    mapping_form = mapping_form_class(batch.headers)(data=result.mapping)
    import_form = ImportForm(data={"fingerprint": result.fingerprint})
    errors = [{"text": refusal}] if refusal else []
    errors += [{"text": f"Choose the column for {name}", "href": "#columns"}
               for name in result.missing]
    return render_template("imports/preview.html", preview=result, mapping_form=mapping_form,
                           import_form=import_form, fields=parse.FIELDS, errors=errors,
                           team=next(t for t in current_teams() if t.id == batch.team_id))


@bp.get("/<token>")
@chair_required
@shows_patient_data("patient_import")
def preview(token: str):
    return _preview_page(_batch_or_404(token))


@bp.post("/<token>/columns")
@chair_required
def columns(token: str):
    batch = _batch_or_404(token)
    form = mapping_form_class(batch.headers)()
    if not form.validate():
        abort(400)
    service.save_mapping(current_actor(), batch, {f: form[f].data for f in parse.FIELDS})
    db.session.commit()
    flash("Columns saved for your team's next import")
    return redirect(url_for("imports.preview", token=token), code=303)


@bp.post("/<token>/import")
@chair_required
def run(token: str):
    batch = _batch_or_404(token)
    form = ImportForm()
    if not form.validate():
        abort(400)
    team_id = batch.team_id
    try:
        summary = service.run_import(current_actor(), batch, form.fingerprint.data or "")
    except service.ImportRefused as exc:
        _refuse(team_id, "refused")
        return _preview_page(_batch_or_404(token), refusal=str(exc)), 409
    db.session.commit()
    flash(f"Imported: {summary['added']} patients added, {summary['updated']} updated, "
          f"{summary['unchanged']} unchanged" +
          (f", {summary['skipped']} left as they are (no longer on the caseload)"
           if summary["skipped"] else ""))
    return redirect(url_for("patients.index"), code=303)
