"""Lifecycles as data: the one pure rule every aggregate's transition table is read by.

A table is a plain dict `{from_status: {allowed to_statuses}}`, kept beside the aggregate
(`mdt/<feature>/lifecycle.py`). Staying where it is is never a move, so it is always allowed:
the services' idempotent steps (completing a done action, re-recording a discussed case)
pass through unchanged. No Flask, no database."""

from collections.abc import Mapping


class TransitionRefused(ValueError):
    """A move the table does not allow; `errors` is shaped like the features' own errors."""

    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def allowed(table: Mapping, old: str, new: str) -> bool:
    return old == new or new in table.get(old, ())


def check_transition(table: Mapping, old: str, new: str, refusal=TransitionRefused,
                     message: str | None = None) -> None:
    """Nothing when `old` may become `new`; else `refusal({"form": message})`, the
    feature's own refusal error (any class taking an errors dict)."""
    if old not in table:
        raise refusal({"form": message or f"Unknown status '{old}'"})
    if not allowed(table, old, new):
        raise refusal({"form": message or f"Cannot go from '{old}' to '{new}'"})


def sources(table: Mapping, new: str) -> frozenset:
    """Every status that may move to `new` (for a bulk UPDATE's WHERE clause)."""
    return frozenset(old for old, targets in table.items() if new in targets)
