"""An audit event's details as plain text, whatever JSON they hold: the trail is append-only,
so one event the page cannot show would break the page for good (issue 24)."""

import json

TEXT_LIMIT = 300
ITEMS_LIMIT = 20


def describe(changes) -> list[tuple[str, str]]:
    """[(label, text)] for the details of one event: a mapping gives one pair per key (in
    order), anything else (a list, a number, text, None) one pair with no label."""
    if isinstance(changes, dict):
        return [(_clip(str(key), 60), value_text(value)) for key, value in
                list(changes.items())[:ITEMS_LIMIT]]
    if changes in (None, "", [], {}):
        return []
    return [("", value_text(changes))]


def value_text(value) -> str:
    """None as "none", an [old, new] pair as "old → new", other lists joined, mappings as
    compact JSON; text clipped so one huge event cannot swamp the page."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float | str):
        return _clip(str(value))
    if isinstance(value, list | tuple):
        parts = [_scalar(item) for item in value[:ITEMS_LIMIT]]
        more = len(value) - ITEMS_LIMIT
        sep = " → " if len(value) == 2 else ", "
        return _clip(sep.join(parts) + (f" (and {more} more)" if more > 0 else ""))
    return _clip(json.dumps(value, ensure_ascii=False, default=str, sort_keys=True))


def _scalar(value) -> str:
    if value is None:
        return "(blank)"
    if value == "":
        return "(blank)"
    if isinstance(value, list | tuple | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _clip(text: str, limit: int = TEXT_LIMIT) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"



# Details that never identify a patient: shown to anyone who may see the event. Every other
# value (names, NHS numbers, dates of birth, key information, notes) is shown only to users
# on the event's team; an administrator on no team sees the patient by internal id only.
SAFE_KEYS = frozenset({
    "status", "transition", "format", "errors", "route", "patients", "more_patients",
    "patient_id", "shown", "kind", "from_team_id", "to_team_id", "on", "urgency",
    "section", "from", "to", "team_id", "owner_id", "user_id", "action",
    "record", "merged", "unmerged", "for_everyone", "preferred_place_met", "replaced",
    "went_well", "would_change", "search_hmac", "key_worker", "stage", "created", "completed",
    "reopened", "cancelled", "reassigned", "due_date_changed", "priority_changed"})
WITHHELD = "(withheld: not your team)"


def redact(changes):
    """The details with every value that might identify a patient withheld."""
    if not isinstance(changes, dict):
        return WITHHELD if changes not in (None, "", [], {}) else changes
    return {key: value if key in SAFE_KEYS else WITHHELD for key, value in changes.items()}
