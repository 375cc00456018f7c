"""Issue 17: a recorded death withdraws the reminders planned about the patient, through the
real outbox, Redis, worker and SMTP server: the nurse gets no 'tomorrow's visits' email."""

from datetime import time, timedelta

from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.lifecycle import service as lifecycle
from mdt.patients.models import Patient
from mdt.queue import redis_connection
from mdt.reminders import jobs, outbox
from mdt.reminders.models import Reminder
from mdt.timeutil import london_to_utc
from tests.lifecycle.fixtures import TODAY, caseload  # noqa: F401
from tests.reminders.conftest import wait_for

AT_SIX = london_to_utc(TODAY, time(18, 5))  # tomorrow's visit lists go out at 18:00


def _rows(rapp, kind):
    with rapp.app_context():
        found = {(r.recipient, r.status) for r in db.session.scalars(
            select(Reminder).where(Reminder.kind == kind))}
        db.session.remove()
        return found


def _open(rapp) -> int:
    with rapp.app_context():
        count = db.session.scalar(select(db.func.count(Reminder.id)).where(
            Reminder.status.in_(outbox.OPEN)))
        db.session.remove()
        return count


def test_a_death_withdraws_the_visit_reminder_before_it_is_sent(rapp, caseload, smtp,  # noqa: F811
                                                                 worker):
    with rapp.app_context():  # planned, but not yet handed to the worker (no Redis here)
        jobs.plan_pass(now=AT_SIX)
        db.session.remove()
    assert _rows(rapp, "visits_tomorrow") == {("yusuf@example.nhs.uk", "pending")}
    with rapp.app_context():
        actor = Actor(caseload.chair.id, (caseload.team_id,), {caseload.team_id: "chair"})
        patient = db.session.get(Patient, caseload.irene.id)
        lifecycle.apply(actor, patient, lifecycle.Change(
            target="died", team_id=caseload.team_id, happened_on=TODAY - timedelta(days=1),
            place="hospice"), patient.version)
        db.session.commit()
        db.session.remove()
    with rapp.app_context():
        summary = jobs.plan_pass(now=AT_SIX, redis=redis_connection())
        db.session.remove()
    assert summary.withdrawn >= 1
    assert _rows(rapp, "visits_tomorrow") == {("yusuf@example.nhs.uk", "withdrawn")}
    # Everything still due is sent by the worker; the withdrawn one never is.
    wait_for(lambda: not _open(rapp), message="the worker to finish")
    subjects = [m["Subject"] for m in smtp.to("yusuf@example.nhs.uk")]
    assert not any("Tomorrow" in s for s in subjects), subjects
    for raw in smtp.raw():
        assert b"Fletcher" not in raw and caseload.irene.nhs_number.encode() not in raw
