"""Issue 18: reminders outlast an outage. A mail server away for 30 minutes (time-travelled,
in-process): no row fails, each is delivered once when it is back. A planner killed while
holding its lease: the next change is emailed within one interval, by a fresh worker.
(Redis restarted empty is test_end_to_end.test_redis_down_nothing_lost_nothing_doubled.)"""

import time
from collections import Counter
from datetime import timedelta

import time_machine
from sqlalchemy import select

from mdt.extensions import db
from mdt.queue import redis_connection
from mdt.reminders import jobs
from mdt.reminders.models import Reminder
from mdt.timeutil import utcnow
from tests.reminders.conftest import WorkerProcess, free_port, wait_for
from tests.reminders.test_end_to_end import EMAILS, people, schedule, statuses  # noqa: F401


def _to_send(rapp) -> list[int]:
    with rapp.app_context():
        ids = list(db.session.scalars(select(Reminder.id).where(
            Reminder.status.in_(("pending", "queued")))))
        db.session.remove()
        return ids


def test_a_thirty_minute_mail_outage_fails_nothing_and_sends_each_once(rapp, people, smtp):  # noqa: F811
    schedule(rapp, people)
    start = utcnow()
    saved = {k: rapp.config[k] for k in ("SMTP_URL", "REMINDER_RETRY_BASE",
                                          "REMINDER_RETRY_CAP")}
    rapp.config.update(REMINDER_RETRY_BASE=30, REMINDER_RETRY_CAP=600,  # the defaults
                       SMTP_URL=f"smtp://127.0.0.1:{free_port()}")  # nobody listening
    tries = 0
    try:
        for minute in range(0, 31):  # the planner and a send job every minute, for 30 minutes
            with time_machine.travel(start + timedelta(minutes=minute), tick=False):
                with rapp.app_context():
                    jobs.plan_pass()
                    ids = _to_send(rapp)
                    if ids:
                        tries += 1
                        try:
                            jobs.send_batch(ids)
                        except Exception:  # noqa: BLE001, S110 - the job would be retried
                            pass
                assert "failed" not in statuses(rapp), statuses(rapp)
    finally:
        rapp.config.update(saved)
    assert smtp.count == 0 and statuses(rapp) == Counter(queued=3)
    with rapp.app_context():
        attempts = sorted(db.session.scalars(select(Reminder.attempts)))
        waits = [r.next_attempt_at for r in db.session.scalars(select(Reminder))]
        db.session.remove()
    with time_machine.travel(max(w for w in waits) + timedelta(seconds=1), tick=False):
        with rapp.app_context():  # the mail server is back
            jobs.send_batch(_to_send(rapp))
    assert statuses(rapp) == Counter(sent=3)
    for address in EMAILS:
        assert len(smtp.to(address)) == 1
    print(f"mail outage: 30 minutes, {tries} send jobs, attempts per row {attempts}, "
          "0 failed, each delivered once")
    assert max(attempts) <= 8  # backing off: a handful of tries, not one a minute


def test_a_row_gives_up_only_when_its_news_is_no_longer_useful(rapp, people, smtp):  # noqa: F811
    schedule(rapp, people)
    with rapp.app_context():
        jobs.plan_pass()
        row = db.session.scalars(select(Reminder)).first()
        now = utcnow()
        assert jobs.give_up_reason(row, now) is None
        assert jobs.give_up_reason(row, now + timedelta(hours=6)) is None
        assert "24 hours" in jobs.give_up_reason(row, now + timedelta(hours=25))
        row.expires_at = now + timedelta(minutes=5)
        assert "no longer useful" in jobs.give_up_reason(row, now + timedelta(minutes=6))
        db.session.rollback()
        db.session.remove()


def test_a_killed_planner_delays_the_next_email_by_at_most_one_interval(
        rapp, people, smtp, worker_process, redis_up, tmp_path):  # noqa: F811
    from mdt.reminders.trigger import LEASE_KEY

    interval = 4
    worker_process.kill()  # the suite's worker plans only on request: use one of our own
    env = {**worker_process.env, "REMINDER_PLAN_INTERVAL": str(interval)}
    first = WorkerProcess(env, tmp_path / "first.log")
    first.start(redis_up.client())
    with rapp.app_context():  # a planner in the middle of a pass when its worker dies
        redis_connection().set(LEASE_KEY, "a planner that was killed", ex=interval)
    first.kill()
    killed_at = time.monotonic()
    second = WorkerProcess(env, tmp_path / "second.log")
    second.start(redis_up.client())
    try:
        schedule(rapp, people, guests="")  # a change: the commit asks for a plan
        with rapp.app_context():
            from mdt.reminders.trigger import plan_soon
            plan_soon(rapp)
        wait_for(lambda: smtp.count >= 2, interval + 20, message="the invitations")
        seconds = time.monotonic() - killed_at
    finally:
        second.kill()
    print(f"planner killed holding its lease: first email {seconds:.1f} s later "
          f"(interval {interval} s)")
    # Worker start-up (imports, the app, the planner's own process) is part of the figure:
    # the old fixed-id planner job stayed "started" for RQ's 90-second heartbeat and more.
    assert seconds <= interval + 20


def test_a_worker_waits_for_redis_instead_of_exiting(rapp, people, smtp, worker, redis_up):  # noqa: F811
    redis_up.stop()
    time.sleep(4)  # longer than RQ's own reconnect tries
    assert worker.alive  # still there, waiting
    redis_up.start()
    schedule(rapp, people, guests="")
    with rapp.app_context():
        jobs.plan_pass(redis=redis_connection())
        db.session.remove()
    wait_for(lambda: smtp.count >= 2, 40, message="the worker to send again")
    assert worker.alive
