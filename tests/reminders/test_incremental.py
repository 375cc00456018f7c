"""The incremental planner: a pass plans only the teams a change named, and leaves the
outbox exactly as a full pass would for those teams; the clock and the hour bring full
passes."""

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from mdt.actions.service import create_action
from mdt.extensions import db
from mdt.meetings.models import Meeting
from mdt.meetings.service import MeetingDetails, cancel_meeting, schedule_meeting
from mdt.queue import redis_connection
from mdt.reminders import jobs, trigger
from mdt.reminders.models import Reminder
from mdt.reminders.planner import Due, boundary_passed, in_scope
from mdt.teams.service import get_or_create_team
from mdt.timeutil import london_today
from tests.conftest import ClientRequest
from tests.reminders.test_end_to_end import actor_for

FUTURE = london_today() + timedelta(days=10)


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize("since, now, passed", [
    (_utc(2026, 1, 15, 7, 59), _utc(2026, 1, 15, 8, 1), True),     # 08:00 digests (GMT)
    (_utc(2026, 1, 15, 8, 1), _utc(2026, 1, 15, 8, 59), False),    # nothing between
    (_utc(2026, 7, 15, 6, 59), _utc(2026, 7, 15, 7, 0), True),     # 08:00 BST is 07:00 UTC
    (_utc(2026, 7, 15, 7, 1), _utc(2026, 7, 15, 7, 59), False),    # 08:xx BST: nothing due
    (_utc(2026, 1, 15, 17, 30), _utc(2026, 1, 15, 18, 0), True),   # 18:00 visit lists
    (_utc(2026, 1, 15, 23, 30), _utc(2026, 1, 16, 0, 30), True),   # midnight: a new day
    (_utc(2026, 3, 29, 0, 30), _utc(2026, 3, 29, 6, 30), False),   # the spring gap, 01:00
    (_utc(2026, 10, 25, 0, 30), _utc(2026, 10, 25, 6, 30), False),  # the autumn repeat
])
def test_a_full_pass_follows_a_time_at_which_reminders_fall_due(since, now, passed):
    assert boundary_passed(since, now) is passed


def test_daily_digests_are_left_to_full_passes():
    due = dict(recipient="a@example.nhs.uk", occasion="x", due_at=_utc(2026, 1, 1),
               expires_at=None, payload={})
    digest = Due("action_digest", "user:1", **due)
    invitation = Due("meeting_invitation", "meeting:1", team_id=3, **due)
    assert in_scope(digest, None) and in_scope(invitation, None)
    assert not in_scope(digest, {3}) and in_scope(invitation, {3})
    assert not in_scope(invitation, {4})


def _rows(team_id):
    return sorted((r.id, r.kind, r.subject, r.recipient, r.occasion, r.status, r.payload)
                  for r in db.session.scalars(select(Reminder).where(
                      Reminder.team_id == team_id)))


def _meeting(chair, team_id, title, guest):
    _result = schedule_meeting(actor_for(chair, team_id), team_id, MeetingDetails(
        title=title, day=FUTURE, start=time(12, 30), end=time(14, 0), location="Room 2",
        chair_id=chair.id, guest_emails=guest))
    db.session.commit()
    return _result


def test_an_incremental_pass_leaves_what_a_full_pass_would(rapp, make_user):
    """Changes in two teams; a pass of one team writes that team's rows exactly as a full
    pass would, and does not touch the other's until a pass of it (or a full one) runs."""
    chair = make_user(name="Grace Okafor", role="chair", email="grace@example.nhs.uk")
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk")
    hill_chair = make_user(name="Tom Reed", role="chair", team="Hillside",
                           email="tom@example.nhs.uk")
    with rapp.app_context():  # (the teams the users were made on)
        river, hill = get_or_create_team("Riverside").id, get_or_create_team("Hillside").id
        old = _meeting(chair, river, "Riverside MDT", "gp@example.nhs.uk").id
        jobs.plan_pass()
        before = {river: _rows(river), hill: _rows(hill)}
        assert before[river] and not before[hill]
        # Changes in both teams: a meeting cancelled and one scheduled, an action given.
        cancel_meeting(actor_for(chair, river), db.session.get(Meeting, old))
        db.session.commit()
        _meeting(chair, river, "Riverside extra MDT", "gp@example.nhs.uk")
        create_action(actor_for(chair, river), team_id=river, description="Order a bed",
                      owner_id=nurse.id, due_on=FUTURE)
        db.session.commit()
        _meeting(hill_chair, hill, "Hillside MDT", "hospice@example.org.uk")

        summary = jobs.plan_pass(teams={river})
        assert summary.scope == str(river)
        assert summary.added >= 2 and summary.withdrawn >= 1
        incremental = _rows(river)
        assert _rows(hill) == []  # not this pass's team
        assert incremental != before[river]

        full = jobs.plan_pass()
        assert _rows(river) == incremental  # the full pass had nothing left to do here
        assert {row[2] for row in _rows(hill)} == {f"meeting:{m}" for m in db.session.scalars(
            select(Meeting.id).where(Meeting.team_id == hill))}
        assert full.scope == "full" and full.added == len(_rows(hill))
        # A pass with no team named plans nothing (but still rescues and hands over).
        assert jobs.plan_pass(teams=set()).planned == 0


@pytest.fixture
def planner_paused(rapp):
    """A worker's planner process (if a test before started one) takes no scope meanwhile:
    this test holds the lease."""
    with rapp.app_context():
        redis = redis_connection()
    redis.set(trigger.LEASE_KEY, "held by a test", ex=60)
    yield redis
    redis.delete(trigger.LEASE_KEY)


def test_web_changes_name_their_team_and_sign_ins_name_none(rapp, make_user, planner_paused):
    chair = make_user(name="Grace Okafor", role="chair", email="grace@example.nhs.uk")
    with rapp.app_context():
        redis = redis_connection()
        team_id = get_or_create_team("Riverside").id
        redis.delete(trigger.TEAMS_KEY, trigger.FULL_KEY)
    client = ClientRequest(rapp)
    client.sign_in(chair)  # a sign-in changes the user row: no plan wanted
    assert redis.smembers(trigger.TEAMS_KEY) == set()
    assert not redis.exists(trigger.FULL_KEY)
    client.post("meetings.new", _data={
        "title": "Riverside MDT", "day[day]": str(FUTURE.day),
        "day[month]": str(FUTURE.month), "day[year]": str(FUTURE.year), "start": "12:30",
        "end": "14:00", "chair_id": chair.id, "guest_emails": ""})
    assert redis.smembers(trigger.TEAMS_KEY) == {str(team_id).encode()}
    assert not redis.exists(trigger.FULL_KEY)


def test_the_scope_of_a_pass(rapp, planner_paused):
    with rapp.app_context():
        redis = redis_connection()
        now = _utc(2026, 1, 15, 10, 30)
        for key in (trigger.TEAMS_KEY, trigger.FULL_KEY, trigger.LAST_FULL_KEY):
            redis.delete(key)
        trigger.plan_soon(rapp, {3, 5})
        assert trigger.take_scope(redis, now) is None  # no full pass yet: the first is one
        redis.set(trigger.LAST_FULL_KEY, (now - timedelta(minutes=10)).isoformat())
        trigger.plan_soon(rapp, {3, 5})
        assert trigger.take_scope(redis, now) == {3, 5}
        assert trigger.take_scope(redis, now) == set()  # taken: the next pass has none
        redis.set(trigger.LAST_FULL_KEY, _utc(2026, 1, 15, 7, 55).isoformat())
        assert trigger.take_scope(redis, _utc(2026, 1, 15, 8, 5)) is None  # the digests
        redis.set(trigger.LAST_FULL_KEY, (now - timedelta(minutes=10)).isoformat())
        trigger.plan_soon(rapp)  # a change that names no team
        assert trigger.take_scope(redis, now) is None
        redis.set(trigger.LAST_FULL_KEY, (now - timedelta(minutes=61)).isoformat())
        assert trigger.take_scope(redis, now) is None  # the hourly safety net


def test_a_chairs_invitation_to_join_the_team_is_emailed_and_withdrawn_with_it(
        rapp, make_user, smtp, worker):
    """Issue 23: the invited colleague gets an email saying who invited her, to which team,
    how to sign in and until when; an invitation withdrawn before it is sent is not sent."""
    from mdt.auth.oidc import service as oidc
    from mdt.reminders.models import Reminder
    from tests.reminders.conftest import wait_for
    from tests.reminders.test_end_to_end import run_planner, statuses

    chair = make_user(name="Grace Okafor", role="chair", email="grace@example.nhs.uk")
    with rapp.app_context():
        team = get_or_create_team("Riverside").id
        actor = actor_for(chair, team)
        oidc.invite(actor, team, email="Nia.Jones@Example.NHS.uk", name="Nia Jones",
                    role="member", days=14)
        withdrawn = oidc.invite(actor, team, email="sam@example.nhs.uk", name="Sam Hill",
                                role="member", days=14)
        oidc.withdraw(actor, withdrawn)
        db.session.commit()
    run_planner(rapp)
    wait_for(lambda: smtp.to("nia.jones@example.nhs.uk"), message="the invitation email")
    [email] = smtp.to("nia.jones@example.nhs.uk")
    assert email["Subject"] == "Grace Okafor invites you to the Riverside team's MDT"
    body = email.get_body(("plain",)).get_content()
    assert "/sign-in" in body and "Invitation ends" in body and "No password" in body
    assert smtp.to("sam@example.nhs.uk") == []
    with rapp.app_context():
        kinds = {r.kind for r in db.session.scalars(select(Reminder))}
    assert kinds == {"team_invitation"}
    assert statuses(rapp)["sent"] == 1
