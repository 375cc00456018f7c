"""Exports: the action log as CSV (streamed) and as a printable page, both audited."""

from flask import Response, abort, render_template, request, stream_with_context

from mdt.actions import export, queries
from mdt.actions.views import bp
from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.timeutil import london_today

PRINT_LIMIT = 2000


def _filters(actor):
    try:
        filters = export.parse_log_filters(request.args, london_today())
    except export.BadExportRequest as exc:
        abort(Response(render_template("errors/error.html", title="Check the export link",
                                       message=str(exc)), status=400))
    if filters["team_id"] and filters["team_id"] not in actor.team_ids:
        abort(404)
    return filters


def _statement(actor, filters):
    return queries.log_entries(actor, start=filters["from"], end=filters["to"],
                               team_id=filters["team_id"], owner_id=filters["owner_id"],
                               patient_id=filters["patient_id"])


def _audit(actor, filters, kind):
    audit.record(user_id=actor.user_id, role="", team_id=filters["team_id"] or actor.team_ids[0],
                 action="export", record_type="action_log",
                 changes={"format": kind, **{k: str(v) for k, v in filters.items() if v}})
    db.session.commit()


@bp.get("/log.csv")
@team_member_required
@shows_patient_data("action_log")
def log_csv():
    actor = current_actor()
    filters = _filters(actor)
    _audit(actor, filters, "csv")
    stmt = _statement(actor, filters).execution_options(yield_per=1000)

    def rows():
        for row in db.session.execute(stmt):
            yield export.log_row(row)

    name = f"action-log-{filters['from']}-to-{filters['to']}.csv"
    return Response(stream_with_context(export.stream(export.LOG_COLUMNS, rows())),
                    mimetype="text/csv", headers={
                        "Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/log")
@team_member_required
@shows_patient_data("action_log")
def log_page():
    actor = current_actor()
    filters = _filters(actor)
    _audit(actor, filters, "html")
    rows = [export.log_row(row) for row in
            db.session.execute(_statement(actor, filters).limit(PRINT_LIMIT + 1))]
    return render_template("actions/log.html", rows=rows[:PRINT_LIMIT],
                           truncated=len(rows) > PRINT_LIMIT, filters=filters,
                           columns=export.LOG_COLUMNS,
                           csv_args={**request.args.to_dict(), "from": filters["from"].isoformat(),
                                     "to": filters["to"].isoformat()})
