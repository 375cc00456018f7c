"""Time travel across the clock changes, and the web app asking for a plan on its own."""

from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from mdt.actions.models import Action
from mdt.actions.service import complete, create_action
from mdt.extensions import db
from mdt.reminders.models import Reminder
from mdt.teams.service import get_or_create_team
from mdt.timeutil import london_today
from tests.conftest import ClientRequest
from tests.reminders.conftest import wait_for
from tests.reminders.test_end_to_end import actor_for, run_planner, statuses

FUTURE = london_today() + timedelta(days=14)


@pytest.fixture
def people(make_user):
    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk")
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk")
    return type("People", (), dict(chair=chair, nurse=nurse))


def digests(smtp, address):
    return [m for m in smtp.to(address) if m["Subject"].startswith("You have")]


@pytest.mark.parametrize("day, utc_hour", [
    (date(2026, 1, 15), 8),   # winter: GMT, 08:00 UK is 08:00 UTC
    (date(2026, 7, 15), 7),   # summer: BST, 08:00 UK is 07:00 UTC
    (date(2026, 3, 29), 7),   # the morning the clocks went forward (01:00 UTC)
    (date(2026, 10, 25), 8),  # the morning they went back (01:00 UTC)
])
def test_the_morning_digest_goes_at_eight_uk_time(rapp, people, smtp, worker, time_machine,
                                                  day, utc_hour):
    eight = datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
    time_machine.move_to(eight - timedelta(hours=2), tick=False)
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
        chair = actor_for(people.chair, team_id)
        for owner in (people.chair, people.nurse):
            create_action(chair, team_id=team_id, description="Order a bed", owner_id=owner.id,
                          due_on=day)
            db.session.commit()
        done = create_action(chair, team_id=team_id, description="Phone the GP",
                             owner_id=people.nurse.id, due_on=day)
        db.session.commit()
        # The nurse's first action is done before the digest: only one is left for her.
        complete(actor_for(people.nurse, team_id), db.session.get(Action, done.id))
        db.session.commit()
        nurse_first = db.session.scalar(select(Action).where(
            Action.owner_id == people.nurse.id, Action.status == "open"))
        complete(actor_for(people.nurse, team_id), nurse_first)
        db.session.commit()
    time_machine.move_to(eight - timedelta(minutes=1), tick=False)
    run_planner(rapp)
    time_machine.move_to(eight, tick=False)
    summary = run_planner(rapp)
    with rapp.app_context():
        rows = db.session.scalars(select(Reminder).where(Reminder.kind == "action_digest")).all()
        assert [(r.recipient, r.due_at) for r in rows] == [("chair@example.nhs.uk", eight)]
        db.session.remove()
    assert summary.queued >= 1
    wait_for(lambda: digests(smtp, "chair@example.nhs.uk"), message="the digest")
    [digest] = digests(smtp, "chair@example.nhs.uk")
    assert digest["Subject"] == "You have 1 action due today"
    assert digests(smtp, "priya@example.nhs.uk") == []  # her actions were all done


def test_web_changes_plan_and_send_without_anyone_pressing_a_button(rapp, people, smtp,
                                                                   worker):
    """Scheduling a meeting and giving someone an action in the web app: the commit asks
    for a planner run (plan_soon); the worker plans and sends. Nothing else is run."""
    client = ClientRequest(rapp)
    client.sign_in(people.chair)
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
    client.post("meetings.new", _data={
        "title": "Riverside MDT", "day[day]": str(FUTURE.day), "day[month]": str(FUTURE.month),
        "day[year]": str(FUTURE.year), "start": "12:30", "end": "14:00", "location": "Room 2",
        "video_url": "", "guest_emails": "", "repeat": "none", "nth": "2", "weekday": "1",
        "interval": "1", "chair_id": people.chair.id, "team_id": team_id})
    client.post("actions.new", _data={
        "description": "Order a hospital bed", "owner_id": people.nurse.id,
        "priority": "normal", "due_on[day]": str(FUTURE.day),
        "due_on[month]": str(FUTURE.month), "due_on[year]": str(FUTURE.year),
        "team_id": team_id})
    wait_for(lambda: len(smtp.to("priya@example.nhs.uk")) == 2, 30,
             message="invitation and action note")
    subjects = sorted(m["Subject"] for m in smtp.to("priya@example.nhs.uk"))
    assert subjects[0].startswith("Invitation: Riverside MDT")
    assert subjects[1].startswith("You have a new action, due")
    wait_for(lambda: statuses(rapp) == Counter(sent=3), message="rows marked sent")

    nurse = ClientRequest(rapp)
    nurse.sign_in(people.nurse)
    page = nurse.get("reminders.notifications")
    assert "2 unread" in page.select_one("header").get_text()
    items = page.select("#notifications li")
    assert len(items) == 2 and "You have a new action" in page.get_text()
    nurse.post("reminders.mark_read")
    page = nurse.get("reminders.notifications")
    assert "unread" not in page.select_one("header").get_text()
