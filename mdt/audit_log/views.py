"""The audit trail for chairs (their teams) and administrators (every team): filters by
who, which patient, what and when; a page of events with a count; the same events as CSV.

Finding a patient is a POST (a name or NHS number never goes in a URL); it redirects to the
filtered view, whose address holds only ids and dates, so it can be bookmarked."""

import json

from flask import (
    Blueprint,
    Response,
    abort,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_login import current_user

from mdt.audit import service
from mdt.audit.details import describe, redact
from mdt.audit.reads import shows_patient_data
from mdt.audit_log import queries
from mdt.auth.scope import chair_required, chaired_team_ids, current_actor, current_team_ids
from mdt.csvfile import stream
from mdt.extensions import db
from mdt.timeutil import to_london

bp = Blueprint("audit", __name__, url_prefix="/audit")

CSV_COLUMNS = ("at", "event_id", "user", "role", "address", "team_id", "action",
               "record_type", "record_id", "patient_id", "outcome", "details")
SEARCH_LIMIT = 100


def _scope():
    return chaired_team_ids(), bool(current_user.is_admin)


def _audit_view(filters, kind, team_ids):
    actor = current_actor()
    service.record(user_id=actor.user_id, role="admin" if current_user.is_admin else "chair",
                   team_id=team_ids[0] if len(team_ids) == 1 else None,
                   action="export" if kind == "csv" else "view", record_type="audit_log",
                   patient_id=filters.patient_id,
                   changes={"format": kind, **{k: str(v) for k, v in
                                              filters.as_args(page=None).items()}})


def _patient(filters, team_ids, is_admin):
    """The filtered patient if the user may name them, else None; a chair naming a patient
    of no team they chair gets a 404 (audited), like any other forged id."""
    if not filters.patient_id:
        return None
    patient = queries.patient_on_teams(filters.patient_id, team_ids) if team_ids else None
    if patient is None and not is_admin:
        actor = current_actor()
        service.refused(actor, team_ids[0], action="view", record_type="audit_log",
                        record_id=None, errors=["patient_id"], patient_id=filters.patient_id)
        db.session.commit()  # the refusal is kept
        abort(404)
    return patient


@bp.get("")
@chair_required
@shows_patient_data("audit_log")
def index():
    team_ids, is_admin = _scope()
    filters = queries.parse_filters(request.args)
    return _render(filters, team_ids, is_admin, errors=filters.errors)


def _render(filters, team_ids, is_admin, *, errors=None, words="", matches=None, status=200):
    patient = _patient(filters, team_ids, is_admin)
    page = queries.event_page(filters, team_ids, all_teams=is_admin)
    _audit_view(filters, "html", team_ids)
    db.session.commit()
    error_list = [{"text": text, "href": f"#filter-{name}"} for name, text in
                  (errors or {}).items()]
    return render_template("audit/index.html", page=page, filters=filters, patient=patient,
                           shown_changes=_shown_changes(),
                           people=queries.people(team_ids, all_teams=is_admin),
                           actions=queries.ACTIONS, describe=describe, errors=error_list,
                           field_errors=errors or {}, words=words, matches=matches or [],
                           can_find_patients=bool(team_ids)), status


def _shown_changes():
    """The details as this viewer may see them: in full for an event of one of their
    teams, otherwise with anything identifying withheld (an administrator on no team)."""
    mine = set(current_team_ids())
    return lambda event: event.changes if event.team_id in mine else redact(event.changes)


@bp.post("")
@chair_required
def find():
    """The filter form: resolve the patient words (if any) to one patient on the user's
    teams, then redirect to the filtered view. Several matches: the user picks one."""
    team_ids, is_admin = _scope()
    form = request.form
    filters = queries.parse_filters({k: form.get(k, "") for k in queries.FILTERS
                                     if k != "page"})
    words = (form.get("patient") or "").strip()[:SEARCH_LIMIT]
    if filters.errors:
        return _render(filters, team_ids, is_admin, errors=filters.errors, words=words,
                       status=400)
    if not words:
        keep = filters.patient_id if form.get("keep_patient") else None
        return redirect(url_for("audit.index", **filters.as_args(patient_id=keep)), 303)
    found = queries.find_patients(words, team_ids)
    if len(found) == 1:
        return redirect(url_for("audit.index", **filters.as_args(patient_id=found[0].id)), 303)
    filters = queries.AuditFilters(**{**filters.__dict__, "patient_id": None})
    if not found:
        message = ("No patient on the teams you chair matches that name or NHS number"
                   if team_ids else "Administrators can filter by patient only from a link")
        return _render(filters, team_ids, is_admin, errors={"patient": message}, words=words,
                       status=400)
    return _render(filters, team_ids, is_admin, words=words, matches=found)


@bp.get("/events.csv")
@chair_required
@shows_patient_data("audit_log")
def events_csv():
    team_ids, is_admin = _scope()
    filters = queries.parse_filters(request.args)
    if filters.errors:
        abort(Response(render_template("errors/error.html", title="Check the export link",
                                       message="; ".join(filters.errors.values())),
                       status=400))
    _patient(filters, team_ids, is_admin)
    _audit_view(filters, "csv", team_ids)
    db.session.commit()
    stmt = queries.filtered(filters, team_ids, all_teams=is_admin).execution_options(
        yield_per=1000)

    shown = _shown_changes()

    def rows():
        for event, name in db.session.execute(stmt):
            yield (to_london(event.at).isoformat(timespec="seconds"), event.id, name or "",
                   event.role, event.address or "", event.team_id or "", event.action,
                   event.record_type,
                   event.record_id or "", event.patient_id or "", event.outcome,
                   json.dumps(shown(event), ensure_ascii=False, default=str, sort_keys=True))

    return Response(stream_with_context(stream(CSV_COLUMNS, rows())), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-events.csv"'})
