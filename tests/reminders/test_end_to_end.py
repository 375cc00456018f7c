"""End to end with real parts: the planner, a real worker process (worker.py), a real Redis
and a real SMTP server. Each reminder arrives exactly once, whatever breaks on the way."""

from collections import Counter
from datetime import time, timedelta

import pytest
from icalendar import Calendar
from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings.models import Case, Meeting
from mdt.meetings.service import MeetingDetails, cancel_meeting, move_meeting, schedule_meeting
from mdt.notifications.models import Notification
from mdt.queue import redis_connection
from mdt.reminders import jobs
from mdt.reminders.models import Reminder
from mdt.teams.service import get_or_create_team
from mdt.timeutil import london_to_utc, london_today, utcnow
from tests.reminders.conftest import wait_for

FUTURE = london_today() + timedelta(days=14)
PATIENT = ("Margaret", "Ellis")


@pytest.fixture
def people(make_user, make_patient):
    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk",
                      is_admin=True)
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk")
    patient = make_patient(given=PATIENT[0], family=PATIENT[1])
    return type("People", (), dict(chair=chair, nurse=nurse, patient=patient))


def actor_for(user, team_id):
    return Actor(user.id, (team_id,), {team_id: "chair"})


def schedule(rapp, people, day=FUTURE, guests="guest@council.gov.uk", with_case=True):
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
        meeting = schedule_meeting(actor_for(people.chair, team_id), team_id, MeetingDetails(
            title="Riverside MDT", day=day, start=time(12, 30), end=time(14, 0),
            location="Room 2", chair_id=people.chair.id, guest_emails=guests))
        db.session.commit()
        if with_case:
            db.session.add(Case(meeting_id=meeting.id, patient_id=people.patient.id,
                                reason="Pain not controlled", position=1))
            db.session.commit()
        return meeting.id


def run_planner(rapp, now=None):
    with rapp.app_context():
        summary = jobs.plan_pass(now=now, redis=redis_connection())
        db.session.remove()
        return summary


def statuses(rapp) -> Counter:
    with rapp.app_context():
        found = Counter(db.session.scalars(select(Reminder.status)))
        db.session.remove()
        return found


def calendar_of(message):
    for part in message.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), Calendar.from_ical(part.get_content())
    return None, None


def assert_no_patient_data(smtp, patient):
    for raw in smtp.raw():
        text = raw.decode("utf-8", "replace")
        for secret in (*PATIENT, patient.nhs_number, "Pain not controlled"):
            assert secret not in text


EMAILS = ("chair@example.nhs.uk", "priya@example.nhs.uk", "guest@council.gov.uk")


def test_a_scheduled_meeting_sends_invitations_with_a_calendar_part(rapp, people, smtp,
                                                                    worker):
    meeting_id = schedule(rapp, people)
    summary = run_planner(rapp)
    # Three due; whether this pass or the one the scheduling commit asked for queued them,
    # they must arrive exactly once each (checked below).
    assert summary.planned == 3
    wait_for(lambda: smtp.count == 3, message="three invitations")
    with rapp.app_context():
        meeting = db.session.get(Meeting, meeting_id)
        uid = meeting.uid
    for address in EMAILS:
        [message] = smtp.to(address)
        assert message["Subject"].startswith("Invitation: Riverside MDT")
        method, calendar = calendar_of(message)
        assert method == "REQUEST" and calendar["METHOD"] == "REQUEST"
        [event] = calendar.walk("VEVENT")
        assert str(event["UID"]) == uid and int(event["SEQUENCE"]) == 0
        assert event["DTSTART"].params["TZID"] == "Europe/London"
        assert calendar.walk("VTIMEZONE")
        assert "/reminders/unsubscribe/" in message["List-Unsubscribe"]
        assert message.get_body(("html",)) is not None
    assert_no_patient_data(smtp, people.patient)
    wait_for(lambda: statuses(rapp) == Counter(sent=3), message="rows marked sent")
    with rapp.app_context():  # the same news in the app, for the two users (not the guest)
        notes = db.session.scalars(select(Notification)).all()
        assert sorted(n.user_id for n in notes) == sorted([people.chair.id, people.nurse.id])
        assert all(n.kind == "meeting_invitation" and n.read_at is None for n in notes)
    assert run_planner(rapp).added == 0  # planning again queues nothing twice
    assert statuses(rapp) == Counter(sent=3)


def test_moved_then_cancelled_meeting_sends_an_update_then_a_cancellation(rapp, people, smtp,
                                                                          worker):
    meeting_id = schedule(rapp, people, guests="")
    run_planner(rapp)
    wait_for(lambda: smtp.count == 2, message="invitations")
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
        meeting = db.session.get(Meeting, meeting_id)
        move_meeting(actor_for(people.chair, team_id), meeting, MeetingDetails(
            title="Riverside MDT", day=FUTURE + timedelta(days=2), start=time(9, 0),
            end=time(10, 30), location="Room 2", chair_id=people.chair.id))
        db.session.commit()
    run_planner(rapp)
    wait_for(lambda: smtp.count == 4, message="updates")
    [first, update] = smtp.to("priya@example.nhs.uk")
    assert update["Subject"].startswith("Updated invitation: Riverside MDT")
    method, calendar = calendar_of(update)
    [event] = calendar.walk("VEVENT")
    assert method == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt.time() == time(9, 0)
    with rapp.app_context():
        cancel_meeting(actor_for(people.chair, team_id), db.session.get(Meeting, meeting_id))
        db.session.commit()
    run_planner(rapp)
    # Cancelling moves the case list to a new meeting four weeks on: its invitations go too.
    wait_for(lambda: smtp.count == 8, message="cancellations")
    [cancellation] = [m for m in smtp.to("priya@example.nhs.uk")
                      if m["Subject"].startswith("Cancelled: Riverside MDT")]
    method, calendar = calendar_of(cancellation)
    assert method == "CANCEL" and calendar["METHOD"] == "CANCEL"
    [event] = calendar.walk("VEVENT")
    assert int(event["SEQUENCE"]) == 2
    wait_for(lambda: statuses(rapp) == Counter(sent=8), message="rows marked sent")
    run_planner(rapp)
    assert smtp.count == 8 and statuses(rapp) == Counter(sent=8)


def test_a_meeting_cancelled_before_its_reminders_went_gets_none(rapp, people, smtp, worker):
    tomorrow = london_today() + timedelta(days=1)
    meeting_id = schedule(rapp, people, day=tomorrow, guests="")
    now = max(utcnow(), london_to_utc(london_today(), time(9, 5)))  # its reminder is due
    with rapp.app_context():  # plan while the queue is unreachable: rows wait, pending
        summary = jobs.plan_pass(now=now, redis=None)
        db.session.remove()
    assert summary.added == 4 and statuses(rapp) == Counter(pending=4)
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
        cancel_meeting(actor_for(people.chair, team_id), db.session.get(Meeting, meeting_id))
        db.session.commit()
    summary = run_planner(rapp, now=now)
    assert summary.withdrawn == 4
    with rapp.app_context():
        mine = Counter(db.session.scalars(select(Reminder.status).where(
            Reminder.subject == f"meeting:{meeting_id}")))
        db.session.remove()
    assert mine == Counter(withdrawn=4)  # nobody had an invitation: no CANCEL either
    # (Its cases moved to a new meeting four weeks on, whose invitations do go.)
    wait_for(lambda: smtp.count == 2, message="the new meeting's invitations")
    assert all(m["Subject"].startswith("Invitation:") for _, m, _ in smtp.messages)


PIPELINING = pytest.mark.parametrize("pipelining", [False, True],
                                     ids=["one command at a time", "pipelining"])


@PIPELINING
def test_worker_killed_mid_send_each_reminder_arrives_exactly_once(rapp, people, smtp, worker,
                                                                   redis_up, pipelining):
    smtp.pipelining = pipelining
    smtp.hold, smtp.release = "priya@example.nhs.uk", __import__("threading").Event()
    schedule(rapp, people)
    run_planner(rapp)
    assert smtp.holding.wait(20), "the worker never reached the held recipient"
    worker.kill()  # SIGKILL: worker, work-horse and scheduler, mid-conversation
    smtp.release.set()
    sending = statuses(rapp)
    assert sending["sending"] >= 1
    worker.start(redis_up.client())
    # Past REMINDER_SENDING_TIMEOUT the planner (or RQ's own retry of the dead job) takes
    # the stuck rows again.
    wait_for(lambda: (run_planner(rapp), statuses(rapp) == Counter(sent=3))[1], 30,
             interval=1, message="every row sent")
    wait_for(lambda: smtp.count >= 3, message="mail")
    for address in EMAILS:
        assert len(smtp.to(address)) == 1, address


def test_redis_down_nothing_lost_nothing_doubled(rapp, people, smtp, worker, redis_up):
    from tests.conftest import ClientRequest

    first_id = schedule(rapp, people, guests="")  # queued while no worker runs, then lost
    worker.stop()
    assert run_planner(rapp).planned == 2
    redis_up.stop()
    client = ClientRequest(rapp)
    client.sign_in(people.chair)
    # The web app keeps working: a change commits (asking for a plan fails quietly) ...
    with rapp.app_context():
        team_id = get_or_create_team("Riverside").id
        action_form = {"description": "Order a hospital bed", "owner_id": people.nurse.id,
                       "priority": "normal", "due_on[day]": str(FUTURE.day),
                       "due_on[month]": str(FUTURE.month), "due_on[year]": str(FUTURE.year),
                       "team_id": team_id}
    client.post("actions.new", _data=action_form)
    second_id = schedule(rapp, people, day=FUTURE + timedelta(days=7), guests="",
                         with_case=False)
    summary = run_planner(rapp)  # ... the planner writes the outbox but cannot queue ...
    assert summary.redis_error and summary.added == 3
    page = client.get("reminders.admin")  # ... and the admin page says so, no 500
    assert "Redis is down" in page.get_text()
    redis_up.start()  # an empty Redis: the two queued jobs are gone
    worker.start(redis_up.client())
    wait_for(lambda: (run_planner(rapp), statuses(rapp) == Counter(sent=5))[1], 30,
             interval=1, message="every reminder sent")
    assert len(smtp.to("priya@example.nhs.uk")) == 3  # two invitations, one action note
    assert len(smtp.to("chair@example.nhs.uk")) == 2
    assert first_id != second_id


@PIPELINING
def test_smtp_refusing_then_accepting_retries_and_delivers_once(rapp, people, smtp, worker,
                                                                pipelining):
    smtp.pipelining = pipelining
    smtp.refuse = 2  # "451 try again later" to the first two messages
    schedule(rapp, people)
    run_planner(rapp)
    wait_for(lambda: statuses(rapp) == Counter(sent=3), 30, message="all sent after retries")
    for address in EMAILS:
        assert len(smtp.to(address)) == 1
    with rapp.app_context():
        attempts = sorted(db.session.scalars(select(Reminder.attempts)))
        db.session.remove()
    assert attempts[-1] >= 2 and attempts[0] == 1


@PIPELINING
def test_a_refused_address_fails_with_its_reason_and_an_admin_can_retry(rapp, people, smtp,
                                                                        worker, pipelining):
    from tests.conftest import ClientRequest

    smtp.pipelining = pipelining
    smtp.reject = {"guest@council.gov.uk"}
    schedule(rapp, people)
    run_planner(rapp)
    wait_for(lambda: statuses(rapp) == Counter(sent=2, failed=1), 30, message="one failed")
    client = ClientRequest(rapp)
    client.sign_in(people.chair)
    page = client.get("reminders.admin", status="failed")
    [row] = page.select("tr.reminder")
    assert "550" in row.get_text() and "guest@council.gov.uk" in row.get_text()
    smtp.reject = set()
    with rapp.app_context():
        failed_id = db.session.scalar(select(Reminder.id).where(Reminder.status == "failed"))
    client.post("reminders.retry", reminder_id=failed_id)
    # The retry asks for a planner run: the worker's planner job queues it and it goes.
    wait_for(lambda: statuses(rapp) == Counter(sent=3), 30, message="retried and sent")
    assert len(smtp.to("guest@council.gov.uk")) == 1
