"""An action's lifecycle, as data (checked by mdt/transitions.py)."""

from enum import StrEnum


class ActionStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


# Done or cancelled, and reopened from either; a done action may still be cancelled (a
# chair's bulk cancel, or a patient leaving the caseload).
TRANSITIONS = {
    ActionStatus.OPEN: {ActionStatus.DONE, ActionStatus.CANCELLED},
    ActionStatus.DONE: {ActionStatus.OPEN, ActionStatus.CANCELLED},
    ActionStatus.CANCELLED: {ActionStatus.OPEN},
}
