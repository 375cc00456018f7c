"""The development outbox, the admin page, a team's settings and unsubscribing: an app with
no SMTP_URL, sending in-process on a queue of its own."""

from datetime import time, timedelta

import pytest
from rq import Queue, SimpleWorker
from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings.service import MeetingDetails, schedule_meeting
from mdt.queue import redis_connection
from mdt.reminders import jobs, tokens
from mdt.reminders.models import Reminder, ReminderOptOut
from mdt.reminders.trigger import plan_soon
from mdt.teams.service import get_or_create_team
from mdt.timeutil import london_today
from tests.conftest import ClientRequest

FUTURE = london_today() + timedelta(days=14)


@pytest.fixture(scope="module")
def dapp(app, database_url, reminders_redis):
    from mdt import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "REDIS_URL": reminders_redis.url, "SMTP_URL": "",
                       "SERVER_NAME": "localhost", "REMINDER_QUEUE": "reminders-dev",
                       "REMINDER_PLAN_ON_COMMIT": False})


@pytest.fixture
def people(make_user):
    admin = make_user(name="Ada Admin", email="admin@example.nhs.uk", team=None, is_admin=True)
    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk")
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk")
    return type("People", (), dict(admin=admin, chair=chair, nurse=nurse))


def schedule(dapp, people):
    with dapp.app_context():
        team_id = get_or_create_team("Riverside").id
        schedule_meeting(Actor(people.chair.id, (team_id,), {team_id: "chair"}), team_id,
                         MeetingDetails(title="Riverside MDT", day=FUTURE, start=time(12, 30),
                                        end=time(14, 0), chair_id=people.chair.id))
        db.session.commit()
        return team_id


def send_all(dapp):
    with dapp.app_context():
        redis = redis_connection()
        redis.ping()
        jobs.plan_pass(redis=redis)
        SimpleWorker([Queue("reminders-dev", connection=redis)],
                     connection=redis).work(burst=True)
        db.session.remove()


def test_with_no_smtp_url_emails_go_to_the_development_outbox(dapp, people, redis_up):
    schedule(dapp, people)
    send_all(dapp)
    admin = ClientRequest(dapp).sign_in(people.admin)
    page = admin.get("reminders.dev_outbox")
    rows = page.select("#outbox tbody tr")
    assert len(rows) == 2 and "Invitation: Riverside MDT" in rows[0].get_text()
    with dapp.app_context():
        row = db.session.scalar(select(Reminder).where(
            Reminder.recipient == "priya@example.nhs.uk"))
        assert row.status == "sent" and row.transport == "outbox"
    page = admin.get("reminders.dev_message", reminder_id=row.id)
    assert "METHOD:REQUEST" in page.select_one("#calendar-part").get_text()
    assert "You are invited to this meeting." in page.select_one("#text-part").get_text()
    preview = admin.client.get(f"/reminders/outbox/{row.id}/html")
    assert preview.status_code == 200 and b"#005eb8" in preview.data
    assert "sandbox" in preview.headers["Content-Security-Policy"]
    # Someone who is not an admin sees only their own.
    nurse = ClientRequest(dapp).sign_in(people.nurse)
    assert len(nurse.get("reminders.dev_outbox").select("#outbox tbody tr")) == 1
    with dapp.app_context():
        chair_row = db.session.scalar(select(Reminder.id).where(
            Reminder.recipient == "chair@example.nhs.uk"))
    nurse.get("reminders.dev_message", reminder_id=chair_row, _expected_status=404)


def test_the_admin_page_lists_by_status_and_shows_the_queue(dapp, people, redis_up):
    schedule(dapp, people)
    send_all(dapp)
    admin = ClientRequest(dapp).sign_in(people.admin)
    page = admin.get("reminders.admin", status="sent")
    assert len(page.select("tr.reminder[data-status=sent]")) == 2
    assert "Sent (2)" in page.select_one("#status-filter").get_text()
    assert "Workers alive" in page.get_text() and "Failed jobs" in page.get_text()
    ClientRequest(dapp).sign_in(people.chair).get("reminders.admin", _expected_status=403)


def test_the_admin_page_and_plan_soon_survive_redis_being_down(dapp, people, reminders_redis):
    admin = ClientRequest(dapp).sign_in(people.admin)
    reminders_redis.stop()
    try:
        assert plan_soon(dapp) is False  # never raises
        page = admin.get("reminders.admin")
        assert "Redis is down" in page.get_text()
        admin.post("reminders.plan_now")
    finally:
        reminders_redis.start()


def test_a_chair_turns_a_topic_off_for_the_team(dapp, people, redis_up):
    team_id = schedule(dapp, people)
    chair = ClientRequest(dapp).sign_in(people.chair)
    page = chair.get("reminders.team_settings", team_id=team_id)
    boxes = page.select("input[name=topics]")
    assert len(boxes) == 8 and all(box.has_attr("checked") for box in boxes)
    keep = [box["value"] for box in boxes if box["value"] != "invitations"]
    chair.post("reminders.team_settings", team_id=team_id, _data={"topics": keep})
    page = chair.get("reminders.team_settings", team_id=team_id)
    assert not page.select_one("input[value=invitations]").has_attr("checked")
    with dapp.app_context():
        assert jobs.plan_pass(redis=None).added == 0  # no invitations for this team now
    ClientRequest(dapp).sign_in(people.nurse).get("reminders.team_settings", team_id=team_id,
                                                  _expected_status=403)


def test_the_unsubscribe_link_stops_that_topic_for_that_person(dapp, people, redis_up):
    schedule(dapp, people)
    token = tokens.make(dapp.config["SECRET_KEY"], "priya@example.nhs.uk", "invitations")
    visitor = ClientRequest(dapp)  # no sign-in needed
    page = visitor.get("reminders.unsubscribe", token=token)
    assert "Stop these emails?" in page.get_text()
    form = {"csrf_token": page.select_one("input[name=csrf_token]")["value"]}
    page = visitor.post("reminders.unsubscribe", form, token=token, _expected_status=200,
                        _csrf=False)
    assert "You will not get these emails" in page.get_text()
    visitor.post("reminders.unsubscribe", form, token=token, _expected_status=200, _csrf=False)
    with dapp.app_context():
        assert db.session.scalars(select(ReminderOptOut.email)).all() == ["priya@example.nhs.uk"]
        jobs.plan_pass(redis=None)
        assert db.session.scalars(select(Reminder.recipient)).all() == ["chair@example.nhs.uk"]
    visitor.get("reminders.unsubscribe", token=token + "x", _expected_status=404)


def test_a_series_is_invited_once_with_its_rule_until_it_changes(dapp, people, redis_up):
    from email import message_from_string, policy

    from icalendar import Calendar

    from mdt.meetings.recurrence import weekly_rule
    from mdt.meetings.service import create_series

    with dapp.app_context():
        team_id = get_or_create_team("Riverside").id
        create_series(Actor(people.chair.id, (team_id,), {team_id: "chair"}), team_id,
                      MeetingDetails(title="Monthly MDT", day=FUTURE, start=time(12, 30),
                                     end=time(14, 0), chair_id=people.chair.id),
                      weekly_rule(1, FUTURE.weekday()))
        db.session.commit()
    send_all(dapp)
    send_all(dapp)  # planning again sends nothing again
    with dapp.app_context():
        rows = db.session.scalars(select(Reminder).where(
            Reminder.kind == "series_invitation")).all()
        assert sorted(r.recipient for r in rows) == ["chair@example.nhs.uk",
                                                     "priya@example.nhs.uk"]
        assert {r.status for r in rows} == {"sent"} and rows[0].expires_at is None
        message = message_from_string(rows[0].message, policy=policy.default)
    [part] = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    calendar = Calendar.from_ical(part.get_content())
    [master] = calendar.walk("VEVENT")
    assert part.get_param("method") == "REQUEST" and "RRULE" in master
