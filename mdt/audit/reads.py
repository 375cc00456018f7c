"""Audit by construction: a route that shows patient data says so with @shows_patient_data,
and every successful read of it writes one audit row (who, which patients, what, when, from
where) without the view having to remember. Refusals on a record id are audited app-wide
(mdt/__init__.py). A test walks the URL map and fails a route that shows a patient's name or
NHS number without the declaration (tests/audit/test_reads.py).

Which patients: every Patient row loaded while the request ran (an ORM load event that
mdt.patients.models installs), plus any a view names with note_patients() when it reads
columns rather than rows."""

from functools import wraps

from flask import current_app, g, has_request_context, make_response, request
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from mdt.audit import service as audit
from mdt.extensions import db


def shows_patient_data(record_type: str):
    def wrap(view):
        @wraps(view)
        def audited(*args, **kwargs):
            response = make_response(view(*args, **kwargs))
            if request.method in ("GET", "HEAD") and response.status_code < 400 \
                    and current_user.is_authenticated and not g.get("audited_read"):
                record_read(record_type, kwargs)
                db.session.commit()
            return response
        audited.patient_data = record_type
        return audited
    return wrap


def note_patients(ids) -> None:
    if has_request_context():
        g.setdefault("patients_seen", set()).update(i for i in ids if i is not None)


def _scope() -> tuple[list[int], dict[int, str]]:
    """(team ids, {team id: role}) of the signed-in user. Team scoping (mdt.auth.scope) sits
    above the audit, so auth.init_app tells it how: the audit imports no feature."""
    return current_app.extensions["mdt_audit_scope"]()


def record_read(record_type: str, view_args: dict) -> None:
    team_ids, roles = _scope()
    team_id = team_ids[0] if len(team_ids) == 1 else None
    seen = g.get("patients_seen", set())
    ids = [v for k, v in view_args.items() if k.endswith("_id") and isinstance(v, int)]
    # audit.record adds the patients loaded (the "patients" list) to every read it writes.
    audit.record(user_id=current_user.id, role=roles.get(team_id, ""), team_id=team_id,
                 action="view", record_type=record_type, record_id=ids[0] if ids else None,
                 patient_id=next(iter(seen)) if len(seen) == 1 else None,
                 changes={"route": request.endpoint})


def audit_refusal(status: int) -> None:
    """A 403 or 404 on a route that names a record id (another team's, or none): who tried
    which id, unless the view already audited its own refusal."""
    ids = {k: v for k, v in (request.view_args or {}).items() if k.endswith("_id")}
    if not ids or not current_user.is_authenticated or g.get("audited_refusal"):
        return
    db.session.rollback()
    view = request.url_rule and request.url_rule.endpoint
    team_ids, _ = _scope()
    first = next(iter(ids.values()))
    audit.record(user_id=current_user.id, role="", team_id=team_ids[0] if team_ids else None,
                 action="view" if request.method in ("GET", "HEAD") else "change",
                 record_type=(view or "unknown")[:40], record_id=first
                 if isinstance(first, int) else None, outcome="refused",
                 patient_id=ids.get("patient_id"),
                 changes={"status": status, **{k: str(v)[:20] for k, v in ids.items()}})
    db.session.commit()


REFUSED_CHANGE = (400, 403, 409)


def audit_refused_change(response):
    """after_request: a change (a POST by a signed-in user) answered with a refusal (400, 403,
    409) that nothing audited yet (a form re-shown with a service's refusal, a chair's
    button pressed by a member) is written to the audit log: every refused change leaves
    a trace, not only those of the features that remember to (patients, referrals)."""
    if request.method != "POST" or response.status_code not in REFUSED_CHANGE \
            or not current_user.is_authenticated or g.get("audited_refusal"):
        return response
    ids = {k: v for k, v in (request.view_args or {}).items() if k.endswith("_id")}
    first = next(iter(ids.values()), None)
    team_ids, _ = _scope()
    try:
        db.session.rollback()
        audit.record(user_id=current_user.id, role="", team_id=team_ids[0] if len(team_ids) == 1
                     else None, action="change",
                     record_type=(request.endpoint or "unknown")[:40],
                     record_id=first if isinstance(first, int) else None, outcome="refused",
                     patient_id=ids.get("patient_id"),
                     changes={"status": response.status_code,
                              **{k: str(v)[:20] for k, v in ids.items()}})
        db.session.commit()
    except SQLAlchemyError:  # the refusal stands; a busy database only loses its trace
        db.session.rollback()
    return response
