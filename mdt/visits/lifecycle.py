"""A visit's lifecycle, as data (checked by mdt/transitions.py)."""

from enum import StrEnum


class VisitStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"
    MERGED = "merged"


# Only a planned visit changes: done, cancelled, or folded into another visit (and back,
# when the merge is undone).
TRANSITIONS = {
    VisitStatus.PLANNED: {VisitStatus.DONE, VisitStatus.CANCELLED, VisitStatus.MERGED},
    VisitStatus.MERGED: {VisitStatus.PLANNED},
    VisitStatus.DONE: set(),
    VisitStatus.CANCELLED: set(),
}
