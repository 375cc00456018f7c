"""The action log and meeting actions as CSV rows, and the export link's filters."""

from mdt.csvfile import BOM, safe_cell, stream  # noqa: F401 - the exports' CSV writer
from mdt.timeutil import to_london

# Documented columns (README "Exports"); order and names are part of the stable interface.
LOG_COLUMNS = ("at", "action_id", "change", "old_value", "new_value", "changed_by",
               "description", "owner", "status", "due_on", "nhs_number", "patient")
ACTION_COLUMNS = ("action_id", "description", "owner", "due_on", "priority", "status",
                  "nhs_number", "patient", "created_by", "created_at", "completed_at")


def log_row(row) -> tuple:
    patient = f"{row.given_name} {row.family_name}" if row.nhs_number else ""
    return (to_london(row.at).isoformat(timespec="seconds"), row.action_id, row.kind,
            row.old_value, row.new_value, row.by, row.description, row.owner, row.status,
            row.due_on.isoformat(), row.nhs_number or "", patient)


LOG_FILTERS = ("from", "to", "team_id", "owner_id", "patient_id")
MAX_DAYS = 3660


class BadExportRequest(ValueError):
    pass


def parse_log_filters(args, today=None) -> dict:
    """`from`/`to` (YYYY-MM-DD; left out: the last 3 months to `today`) and optional numeric
    team / owner / patient ids; anything else is refused with a message for the user (400),
    never a 500."""
    from datetime import date

    from dateutil.relativedelta import relativedelta

    unknown = sorted(set(args) - set(LOG_FILTERS))
    if unknown:
        raise BadExportRequest(f"Unknown filter: {', '.join(unknown)}. Use "
                               f"{', '.join(LOG_FILTERS)}.")
    out = {}
    defaults = {"to": today, "from": today - relativedelta(months=3)} if today else {}
    for name in ("from", "to"):
        raw = (args.get(name) or "").strip()
        if not raw and name in defaults:
            out[name] = defaults[name]
            continue
        if not raw:
            raise BadExportRequest(f"Give '{name}' as a date, YYYY-MM-DD")
        try:
            out[name] = date.fromisoformat(raw)
        except ValueError:
            raise BadExportRequest(f"'{name}' must be a real date written YYYY-MM-DD, "
                                   f"not {raw[:20]!r}") from None
    if out["to"] < out["from"]:
        raise BadExportRequest("'to' must be on or after 'from'")
    if (out["to"] - out["from"]).days > MAX_DAYS:
        raise BadExportRequest("Export at most ten years at a time")
    for name in ("team_id", "owner_id", "patient_id"):
        raw = (args.get(name) or "").strip()
        if raw and not raw.isdigit():
            raise BadExportRequest(f"'{name}' must be a number")
        out[name] = int(raw) if raw else None
    return out


def action_row(row) -> tuple:
    action, patient = row.action, row.patient
    return (action.id, action.description, row.owner_name, action.due_on.isoformat(),
            action.priority, action.status, patient.nhs_number if patient else "",
            patient.full_name if patient else "", row.created_by,
            to_london(action.created_at).isoformat(timespec="seconds"),
            to_london(action.completed_at).isoformat(timespec="seconds")
            if action.completed_at else "")
