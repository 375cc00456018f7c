"""Real parts for the reminders: a Redis server of their own (so it can be stopped), an SMTP
server on loopback (aiosmtpd) that can refuse or hold a message, and a real worker process
(worker.py, the forking RQ worker with its scheduler) that tests can SIGKILL."""

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from redis import Redis

ROOT = Path(__file__).resolve().parent.parent.parent

FAST = {  # small timeouts so recovery happens within a test
    "REMINDER_SENDING_TIMEOUT": 3,
    "REMINDER_RETRY_INTERVALS": [1, 1, 2],
    "REMINDER_RETRY_BASE": 1,
    "REMINDER_RETRY_CAP": 2,
    "REMINDER_LOST_JOB_GRACE": 1,
    "REMINDER_PLAN_INTERVAL": 3600,  # tests run the planner themselves
    "REMINDER_JOB_TIMEOUT": 60,
    "REMINDER_SMTP_TIMEOUT": 10,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(predicate, timeout=20.0, interval=0.05, message="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {message}")


# --- SMTP ------------------------------------------------------------------------------

class Sink:
    """Keeps every accepted message. `refuse` answers 451 to that many messages; `hold`
    (an address) stalls that recipient's RCPT until released, so a test can kill the
    sender mid-send: a message whose sender vanished before DATA was never accepted."""

    def __init__(self):
        self.messages = []
        self.lock = threading.Lock()
        self.refuse = 0
        self.reject = set()  # addresses answered 550
        self.hold = None
        self.holding = threading.Event()
        self.release = threading.Event()
        self.pipelining = False  # offer PIPELINING (RFC 2920), as real mail servers do
        self.closing = 0  # MAIL commands answered "421 closing" (a server's limit per connection)

    def reset(self):
        with self.lock:
            self.messages.clear()
        self.refuse, self.reject, self.hold, self.pipelining = 0, set(), None, False
        self.closing = 0
        self.holding.clear()
        self.release.set()

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        extra = ["250-PIPELINING"] if self.pipelining else []
        return [*responses[:-1], *extra, responses[-1]]  # (the last is "250 HELP")

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.closing > 0:
            self.closing -= 1
            server.transport.close()  # after the reply: the connection is gone
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.reject:
            return "550 5.1.1 No such mailbox here"
        if self.hold == address:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.02)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse > 0:
            self.refuse -= 1
            return "451 4.3.0 Try again later"
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append((tuple(envelope.rcpt_tos), message, envelope.content))
        return "250 Message accepted"

    def to(self, address: str) -> list:
        with self.lock:
            return [m for rcpts, m, _ in self.messages if address in rcpts]

    @property
    def count(self) -> int:
        with self.lock:
            return len(self.messages)

    def raw(self) -> list[bytes]:
        with self.lock:
            return [content for _, _, content in self.messages]


@pytest.fixture(scope="session")
def smtp_server():
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    sink.url = f"smtp://127.0.0.1:{port}"
    yield sink
    sink.release.set()
    controller.stop()


@pytest.fixture
def smtp(smtp_server):
    smtp_server.reset()
    yield smtp_server
    smtp_server.release.set()


# --- Redis of our own ------------------------------------------------------------------

class RedisServer:
    def __init__(self):
        self.folder = tempfile.mkdtemp(prefix="mdt-reminders-redis-")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", self.folder],
            stdout=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        wait_for(lambda: _pings(client), 10, message="redis to start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> Redis:
        return Redis.from_url(self.url)


def _pings(client) -> bool:
    try:
        return client.ping()
    except Exception:  # noqa: BLE001 - not up yet
        return False


@pytest.fixture(scope="session")
def reminders_redis():
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    server = RedisServer()
    server.start()
    yield server
    server.stop()
    shutil.rmtree(server.folder, ignore_errors=True)


@pytest.fixture
def redis_up(reminders_redis):
    """A running Redis with an empty reminders queue (a test may have stopped it)."""
    if reminders_redis.process is None:
        reminders_redis.start()
    quiesce(reminders_redis.client())
    return reminders_redis


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
        return True
    except (ProcessLookupError, TypeError, ValueError):
        return False


def quiesce(redis: Redis) -> None:
    """No job of an earlier test left to run: waits for running ones, drops the rest."""
    from rq import Queue, Worker
    from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

    from mdt.reminders.jobs import DIRTY_KEY, LAST_PLAN_KEY
    from mdt.reminders.trigger import FULL_KEY, LAST_FULL_KEY, LEASE_KEY, TEAMS_KEY, TICK_KEY

    queue = Queue("reminders", connection=redis)
    started = StartedJobRegistry(queue=queue)
    wait_for(lambda: not any(w.get_state() == "busy" and _alive(w.pid)
                             for w in Worker.all(connection=redis)),
             30, message="running jobs to finish")
    redis.delete(started.key)  # a killed worker's job stays 'started' until RQ notices
    queue.empty()
    for registry in (ScheduledJobRegistry(queue=queue), FailedJobRegistry(queue=queue)):
        for job_id in registry.get_job_ids():
            registry.remove(job_id, delete_job=True)
    redis.delete(DIRTY_KEY, LAST_PLAN_KEY, LEASE_KEY, FULL_KEY, LAST_FULL_KEY, TEAMS_KEY)
    # The tests run the planner themselves (some at travelled times): the worker's planner
    # process plans only when a web change asks (DIRTY_KEY), not because a pass is "due".
    redis.set(TICK_KEY, "tests run the planner themselves", ex=3600)


# --- the app and the worker --------------------------------------------------------------

@pytest.fixture(scope="session")
def rapp(app, database_url, reminders_redis, smtp_server):
    """The app with our Redis and SMTP server (the same test database as `app`)."""
    from mdt import create_app

    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url,
                       "REDIS_URL": reminders_redis.url, "SMTP_URL": smtp_server.url,
                       "SERVER_NAME": "localhost", "BASE_URL": "https://mdt.example.nhs.uk",
                       **FAST})


class WorkerProcess:
    def __init__(self, env, log_path):
        self.env = env
        self.process = None
        self.log_path = log_path

    def start(self, redis: Redis):
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - kept open while it runs
        self.process = subprocess.Popen([sys.executable, str(ROOT / "worker.py")], cwd=ROOT,
                                        env=self.env, start_new_session=True,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        from rq import Worker

        wait_for(lambda: self.process.poll() is None and any(
            "reminders" in w.queue_names() for w in Worker.all(connection=redis)),
            30, message="the worker to start")

    def kill(self, sig=signal.SIGKILL):
        """The worker and every process under it (its work-horse runs in a session of its
        own, so a process-group kill would miss it), as when a machine dies."""
        if self.process is not None and self.process.poll() is None:
            for pid in [*descendants(self.process.pid), self.process.pid]:
                try:
                    os.kill(pid, sig)
                except ProcessLookupError:
                    pass
            self.process.wait(timeout=20)
        self.process = None

    def stop(self):
        self.kill(signal.SIGTERM)

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


@pytest.fixture(scope="session")
def worker_process(rapp, database_url, reminders_redis, smtp_server, tmp_path_factory):
    env = dict(os.environ)
    env.update({"DATABASE_URL": database_url, "REDIS_URL": reminders_redis.url,
                "SMTP_URL": smtp_server.url, "BASE_URL": "https://mdt.example.nhs.uk",
                "SECRET_KEY": rapp.config["SECRET_KEY"], "MDT_ENV": "development"})
    env.update({name: ",".join(map(str, value)) if isinstance(value, list) else str(value)
                for name, value in FAST.items()})
    worker = WorkerProcess(env, tmp_path_factory.mktemp("worker") / "worker.log")
    yield worker
    worker.kill()


@pytest.fixture
def worker(worker_process, redis_up):
    """A live worker (started once and reused; started again if a test killed it)."""
    if not worker_process.alive:
        worker_process.start(redis_up.client())
    yield worker_process
    if redis_up.process is not None:
        quiesce(redis_up.client())
