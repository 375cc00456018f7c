"""A patient's place on a team's caseload, as data: the statuses, the one transition table,
and the pure rules the pages and services share. The effects of a change (visits, cases,
actions, reminders) are applied in mdt/lifecycle/service.py, the one place that does."""

from enum import StrEnum

from mdt.patients.key_info import PLACES as KEY_INFO_PLACES


class PathwayStage(StrEnum):
    """Where the patient is on the cancer pathway (the stage moves either way)."""

    LIVING_WITH_CANCER = "living_with_cancer"
    PALLIATIVE = "palliative"
    END_OF_LIFE = "end_of_life"


class Status(StrEnum):
    ON_CASELOAD = "on_caseload"
    DIED = "died"
    DISCHARGED = "discharged"
    TRANSFERRED = "transferred"


LABELS = {
    Status.ON_CASELOAD: "On the caseload",
    Status.DIED: "Died",
    Status.DISCHARGED: "Discharged from the caseload",
    Status.TRANSFERRED: "Moved to another team",
}

# (from, to) -> the name of the transition. Nothing else is allowed: a death is final (a
# death recorded in error is corrected by an administrator, not by a button), and a
# discharged or transferred patient comes back only by being re-referred.
TRANSITIONS = {
    (Status.ON_CASELOAD, Status.DIED): "died",
    (Status.ON_CASELOAD, Status.DISCHARGED): "discharged",
    (Status.ON_CASELOAD, Status.TRANSFERRED): "transferred",
    (Status.DISCHARGED, Status.ON_CASELOAD): "re_referred",
    (Status.TRANSFERRED, Status.ON_CASELOAD): "re_referred",
    (Status.DISCHARGED, Status.DIED): "died",
    (Status.TRANSFERRED, Status.DIED): "died",
}

DISCHARGE_REASONS = {
    "no_longer_needs": "No longer needs the team's support",
    "moved_away": "Moved out of the area",
    "declined": "Declined the service",
    "long_term_care": "Moved into a care home with its own support",
    "other": "Other",
}

# Places of death (the key information's words, from the EPaCCS list).
PLACES = tuple(value for value, _ in KEY_INFO_PLACES[:5])
PLACE_LABELS = dict(KEY_INFO_PLACES)


class TransitionRefused(ValueError):
    def __init__(self, errors: dict):
        super().__init__(errors)
        self.errors = errors


def check(current: str, target: str) -> str:
    """The transition's name, or TransitionRefused with a message for the user."""
    name = TRANSITIONS.get((Status(current), Status(target)))
    if name is None:
        raise TransitionRefused({"form": f"A patient who is '{LABELS[Status(current)].lower()}' "
                                         f"cannot be marked '{LABELS[Status(target)].lower()}'"})
    return name


def label(status: str) -> str:
    try:
        return LABELS[Status(status)]
    except ValueError:
        return status


def preferred_place_met(preferred: str | None, actual: str | None) -> bool | None:
    """Whether the patient died where they wished; None when no wish was recorded (or
    the place is unknown), so the figure counts only what is known."""
    known = set(PLACES) - {"other"}
    if preferred not in known or actual not in known:
        return None
    return preferred == actual
