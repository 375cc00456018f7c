"""Benchmark: the planner with 10,000 open reminders, and sending while it runs.

1. A planner pass with N open rows (the steady state: everything planned, nothing sent yet),
   spread over TEAMS teams: a full pass, and an incremental pass of the one team a change
   named (what runs after a web change between the hourly full passes).
2. Emails per second from one worker, (a) with no planner running and (b) with the worker's
   planner thread passing every PLAN_INTERVAL seconds (5, as in the issue), over the same
   number of messages. The ratio b/a is the figure: the planner used to run as a job at the
   front of the worker's one queue, so sending stopped while it planned.

    .venv/bin/python bench/planner_pass.py [N]
"""

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("SECRET_KEY", "bench")

from aiosmtpd.controller import Controller  # noqa: E402
from benchdb import fresh_database  # noqa: E402
from reminders import Counter, build, free_port, start_redis  # noqa: E402
from sqlalchemy import func, select, update  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402
from mdt.queue import connect  # noqa: E402
from mdt.reminders import jobs, outbox  # noqa: E402
from mdt.reminders.models import Reminder  # noqa: E402
from mdt.reminders.trigger import TICK_KEY  # noqa: E402

PLAN_INTERVAL = 5
TEAMS = int(os.environ.get("BENCH_TEAMS", "40"))  # an ICB: dozens of neighbourhood teams


SAMPLE = int(os.environ.get("BENCH_SAMPLE", "3000"))  # emails timed in each sending run


def send_all(app, env, sink, redis_url, interval) -> float:
    """Emails/s over the first SAMPLE emails, one worker, planner thread every `interval` s."""
    with app.app_context():
        db.session.execute(update(Reminder).values(status="pending", sent_at=None,
                                                   attempts=0, claim_token=None))
        db.session.commit()
        expected = min(SAMPLE, db.session.scalar(select(func.count(Reminder.id))))
    sink.ids.clear()
    redis = connect(redis_url, "")
    redis.flushdb()
    if interval >= 86400:
        redis.set(TICK_KEY, "bench", ex=86400)  # the planner thread stays quiet
    worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT,
                              env={**env, "REMINDER_PLAN_INTERVAL": str(interval)},
                              stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                              start_new_session=True)
    try:
        from rq import Worker
        while not any("reminders" in w.queue_names() for w in Worker.all(connection=redis)):
            time.sleep(0.1)
        with app.app_context():
            start = time.perf_counter()
            outbox.dispatch(outbox.utcnow(), redis)
            db.session.remove()
        while len(sink.ids) < expected:
            time.sleep(0.05)
            if time.perf_counter() - start > 900:
                raise SystemExit("timed out")
        return expected / (time.perf_counter() - start)
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    folder = tempfile.mkdtemp(prefix="mdt-bench-planner-")
    database, drop_database = fresh_database(folder)
    redis_url, stop_redis = start_redis(folder)
    sink = Counter()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    smtp_url = f"smtp://127.0.0.1:{port}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
                      "SMTP_URL": smtp_url, "REMINDER_PLAN_INTERVAL": 86400})
    env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis_url, SMTP_URL=smtp_url)
    try:
        build(app, total // 2, TEAMS)
        with app.app_context():
            jobs.plan_pass()  # the first pass writes every row
            db.session.remove()
            one_team = db.session.scalar(select(func.min(Reminder.team_id)))
            full, incremental = [], []
            for _ in range(3):  # alternately, so load on the machine falls on both
                start = time.perf_counter()
                summary = jobs.plan_pass()
                full.append(time.perf_counter() - start)
                db.session.remove()
                start = time.perf_counter()
                jobs.plan_pass(teams={one_team})
                incremental.append(time.perf_counter() - start)
                db.session.remove()
            open_rows = summary.planned
        print(f"planner pass with {open_rows} open reminders in {TEAMS} teams: full "
              f"{min(full):.3f} s, incremental (one team) {min(incremental):.3f} s, ratio "
              f"{min(incremental) / min(full):.3f} (best of 3; full "
              f"{', '.join(f'{t:.2f}' for t in full)})", flush=True)
        quiet = send_all(app, env, sink, redis_url, 86400)
        busy = send_all(app, env, sink, redis_url, PLAN_INTERVAL)
        print(f"sending, one worker: {quiet:.0f} emails/s with no planner; {busy:.0f} "
              f"emails/s with the planner every {PLAN_INTERVAL} s (ratio {busy / quiet:.2f})")
        return 0
    finally:
        controller.stop()
        drop_database()
        stop_redis()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
