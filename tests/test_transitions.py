"""The transition tables, without Flask: every aggregate's allowed and refused moves."""

import pytest

from mdt.actions.lifecycle import TRANSITIONS as ACTION
from mdt.actions.lifecycle import ActionStatus
from mdt.actions.models import STATUSES as ACTION_LABELS
from mdt.meetings.lifecycle import (
    CASE_TRANSITIONS,
    MEETING_TRANSITIONS,
    CaseStatus,
    MeetingStatus,
)
from mdt.meetings.models import CASE_STATUSES, MEETING_STATUSES
from mdt.referrals.lifecycle import TRANSITIONS as REFERRAL
from mdt.referrals.lifecycle import ReferralStatus
from mdt.referrals.models import STATUSES as REFERRAL_LABELS
from mdt.reminders.lifecycle import TRANSITIONS as REMINDER
from mdt.reminders.lifecycle import ReminderStatus
from mdt.transitions import TransitionRefused, allowed, check_transition, sources
from mdt.visits.lifecycle import TRANSITIONS as VISIT
from mdt.visits.lifecycle import VisitStatus
from mdt.visits.models import VISIT_STATUSES

TABLES = [(MEETING_TRANSITIONS, MeetingStatus, MEETING_STATUSES),
          (CASE_TRANSITIONS, CaseStatus, CASE_STATUSES),
          (ACTION, ActionStatus, ACTION_LABELS),
          (REFERRAL, ReferralStatus, REFERRAL_LABELS),
          (VISIT, VisitStatus, VISIT_STATUSES),
          (REMINDER, ReminderStatus, None)]


@pytest.mark.parametrize(("table", "enum", "labels"), TABLES)
def test_every_status_has_a_row_and_a_label(table, enum, labels):
    assert set(table) == set(enum)
    assert all(target in set(enum) for targets in table.values() for target in targets)
    if labels is not None:
        assert set(labels) == {str(s) for s in enum}


def test_a_status_equals_its_string():
    assert MeetingStatus.FINISHED == "finished" and "finished" == MeetingStatus.FINISHED
    assert f"{CaseStatus.CARRIED_FORWARD}" == "carried_forward"


class Refused(Exception):
    def __init__(self, errors):
        super().__init__(errors)
        self.errors = errors


@pytest.mark.parametrize(("table", "old", "new"), [
    (MEETING_TRANSITIONS, "scheduled", "in_progress"),
    (MEETING_TRANSITIONS, "scheduled", "cancelled"),
    (MEETING_TRANSITIONS, "in_progress", "finished"),
    (MEETING_TRANSITIONS, "finished", "in_progress"),  # finishing undone
    (CASE_TRANSITIONS, "listed", "discussed"),
    (CASE_TRANSITIONS, "listed", "carried_forward"),
    (CASE_TRANSITIONS, "carried_forward", "listed"),
    (CASE_TRANSITIONS, "discussed", "discussed"),  # recorded again
    (CASE_TRANSITIONS, "removed", "listed"),  # added again
    (ACTION, "open", "done"), (ACTION, "done", "open"), (ACTION, "cancelled", "open"),
    (ACTION, "done", "cancelled"),
    (REFERRAL, "sent", "more_info"), (REFERRAL, "more_info", "sent"),
    (REFERRAL, "more_info", "accepted"), (REFERRAL, "sent", "withdrawn"),
    (VISIT, "planned", "merged"), (VISIT, "merged", "planned"), (VISIT, "planned", "cancelled"),
    (REMINDER, "pending", "queued"), (REMINDER, "sending", "sent"),
    (REMINDER, "failed", "pending"), (REMINDER, "queued", "withdrawn"),
])
def test_allowed_moves(table, old, new):
    assert allowed(table, old, new)
    check_transition(table, old, new, Refused)


@pytest.mark.parametrize(("table", "old", "new"), [
    (MEETING_TRANSITIONS, "cancelled", "scheduled"),
    (MEETING_TRANSITIONS, "cancelled", "in_progress"),
    (MEETING_TRANSITIONS, "finished", "cancelled"),
    (MEETING_TRANSITIONS, "in_progress", "scheduled"),
    (CASE_TRANSITIONS, "removed", "discussed"),
    (CASE_TRANSITIONS, "discussed", "listed"),
    (CASE_TRANSITIONS, "deferred", "carried_forward"),
    (REFERRAL, "accepted", "sent"), (REFERRAL, "declined", "accepted"),
    (REFERRAL, "withdrawn", "more_info"), (REFERRAL, "accepted", "withdrawn"),
    (VISIT, "cancelled", "planned"), (VISIT, "done", "merged"), (VISIT, "merged", "cancelled"),
    (REMINDER, "sent", "pending"), (REMINDER, "withdrawn", "pending"),
    (REMINDER, "pending", "sent"), (REMINDER, "pending", "failed"),
])
def test_refused_moves(table, old, new):
    assert not allowed(table, old, new)
    with pytest.raises(Refused) as raised:
        check_transition(table, old, new, Refused)
    assert set(raised.value.errors) == {"form"}


def test_the_refusal_carries_the_features_message_and_defaults_to_transition_refused():
    with pytest.raises(TransitionRefused, match="final"):
        check_transition(MEETING_TRANSITIONS, "cancelled", "finished", message="final")
    with pytest.raises(TransitionRefused):
        check_transition(ACTION, "lost", "open")  # an unknown status is refused too


def test_sources_names_every_status_that_may_reach_a_target():
    assert sources(REMINDER, "pending") == {"queued", "sending", "failed"}
    assert sources(ACTION, "open") == {"done", "cancelled"}


def test_pathway_stages_are_the_enum():
    from mdt.patients.lifecycle import PathwayStage
    from mdt.patients.models import PATHWAY_STAGES
    assert set(PATHWAY_STAGES) == {str(s) for s in PathwayStage}
