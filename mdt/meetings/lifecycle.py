"""A meeting's and a case's lifecycle, as data: the statuses and the transition tables the
services check (mdt/transitions.py). The columns stay strings: a StrEnum member equals its
string, so `meeting.status == MeetingStatus.FINISHED` reads a plain row."""

from enum import StrEnum


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_PROGRESS = "in_progress"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class CaseStatus(StrEnum):
    LISTED = "listed"
    DISCUSSED = "discussed"
    DEFERRED = "deferred"
    REMOVED = "removed"
    CARRIED_FORWARD = "carried_forward"


# Started, finished (a meeting never run can still be finished: its list moves on) or
# cancelled; finishing can be undone for a few minutes; a cancelled meeting is final.
MEETING_TRANSITIONS = {
    MeetingStatus.SCHEDULED: {MeetingStatus.IN_PROGRESS, MeetingStatus.FINISHED,
                              MeetingStatus.CANCELLED},
    MeetingStatus.IN_PROGRESS: {MeetingStatus.FINISHED, MeetingStatus.CANCELLED},
    MeetingStatus.FINISHED: {MeetingStatus.IN_PROGRESS},
    MeetingStatus.CANCELLED: set(),
}

# A case is discussed or deferred (and may be recorded again), taken off the list, or moved
# to the next meeting when this one finishes (and back, when finishing is undone). A removed
# case comes back only by being added again, as listed.
CASE_TRANSITIONS = {
    CaseStatus.LISTED: {CaseStatus.DISCUSSED, CaseStatus.DEFERRED, CaseStatus.REMOVED,
                        CaseStatus.CARRIED_FORWARD},
    CaseStatus.DISCUSSED: {CaseStatus.DEFERRED, CaseStatus.REMOVED},
    CaseStatus.DEFERRED: {CaseStatus.DISCUSSED, CaseStatus.REMOVED},
    CaseStatus.CARRIED_FORWARD: {CaseStatus.LISTED, CaseStatus.DISCUSSED, CaseStatus.DEFERRED,
                                 CaseStatus.REMOVED},
    CaseStatus.REMOVED: {CaseStatus.LISTED},
}

# Where the case list can still change, where a meeting counts as still to come.
OPEN_MEETING = frozenset({MeetingStatus.SCHEDULED, MeetingStatus.IN_PROGRESS})
