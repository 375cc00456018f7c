"""Issue 19: the audit trail is tamper-evident. Edited, deleted or slipped-in rows (by a
superuser who lifts the triggers) are named by `flask --app wsgi audit verify`; on
PostgreSQL the app's own role cannot change, empty or unprotect the table."""

import threading
import uuid

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from mdt.audit.append_only import statements
from mdt.audit.chain import verify
from mdt.audit.service import record
from mdt.extensions import db


def _write(app, user_id, count, action="view"):
    with app.app_context():
        for n in range(count):
            record(user_id=user_id, role="member", team_id=None, action=action,
                   record_type="patient", record_id=n + 1, changes={"n": n, "pair": [1, None]})
        db.session.commit()


def _as_owner(app, *sql):
    """Run SQL with the append-only triggers lifted, as a superuser could."""
    with app.app_context(), db.engine.begin() as conn:
        dialect = db.engine.dialect.name
        for statement in statements(dialect, up=False):
            conn.exec_driver_sql(statement)
        for statement in sql:
            conn.exec_driver_sql(statement)
        for statement in statements(dialect, up=True):
            conn.exec_driver_sql(statement)


def _verify_cli(app):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    return result.exit_code, result.output.strip()


def test_an_intact_chain_verifies(app, make_user):
    user = make_user()
    _write(app, user.id, 5)
    _write(app, user.id, 3, action="change")
    code, output = _verify_cli(app)
    assert code == 0 and output.startswith("OK: 8 audit events")


def test_an_altered_row_is_named(app, make_user):
    user = make_user()
    _write(app, user.id, 6)
    with app.app_context():
        target = db.session.execute(text("SELECT id FROM audit_events ORDER BY id "
                                         "LIMIT 1 OFFSET 3")).scalar()
    _as_owner(app, f"UPDATE audit_events SET action = 'nothing' WHERE id = {target}")
    code, output = _verify_cli(app)
    print(f"verify on an altered table: {output}")
    assert code == 1 and f"BROKEN at audit event {target}" in output and "altered" in output


def test_a_deleted_row_is_named_by_the_one_after_it(app, make_user):
    user = make_user()
    _write(app, user.id, 6)
    with app.app_context():
        ids = db.session.execute(text("SELECT id FROM audit_events ORDER BY id")).scalars().all()
    _as_owner(app, f"DELETE FROM audit_events WHERE id = {ids[2]}")
    code, output = _verify_cli(app)
    print(f"verify after a deletion: {output}")
    assert code == 1 and f"BROKEN at audit event {ids[3]}" in output and "deleted" in output


def test_the_newest_rows_deleted_are_noticed(app, make_user):
    user = make_user()
    _write(app, user.id, 4)
    with app.app_context():
        last = db.session.execute(text("SELECT max(id) FROM audit_events")).scalar()
    _as_owner(app, f"DELETE FROM audit_events WHERE id = {last}")
    code, output = _verify_cli(app)
    assert code == 1 and "newest events were removed" in output


def test_a_row_slipped_in_is_named(app, make_user):
    user = make_user()
    _write(app, user.id, 3)
    with app.app_context():
        prev, = db.session.execute(text("SELECT hash FROM audit_events ORDER BY id "
                                        "LIMIT 1")).one()
        count = db.session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    assert count == 3
    # A forged row that claims to follow the first event, appended at the end.
    _as_owner(app, "INSERT INTO audit_events (at, user_id, role, action, record_type, "
                   "outcome, changes, prev_hash, hash) VALUES (CURRENT_TIMESTAMP, "
                   f"{user.id}, 'member', 'view', 'patient', 'ok', '{{}}', '{prev}', "
                   f"'{'0' * 64}')")
    code, output = _verify_cli(app)
    assert code == 1 and "does not follow" in output


def test_concurrent_writers_keep_one_chain(app, make_user):
    users = [make_user() for _ in range(4)]
    barrier = threading.Barrier(4)
    errors = []

    def work(user):
        barrier.wait()
        try:
            for _ in range(5):
                _write(app, user.id, 2)
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(repr(exc))

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with app.app_context():
        verdict = verify()
    assert verdict.ok and verdict.checked == 40, str(verdict)


def test_the_apps_role_cannot_change_empty_or_unprotect_the_trail(app, make_user,
                                                                  database_url):
    """PostgreSQL: a role with the grants `flask audit grants` prints may add and read
    events only. SQLite has no roles: its triggers refuse UPDATE and DELETE."""
    user = make_user()
    _write(app, user.id, 2)
    with app.app_context():
        dialect = db.engine.dialect.name
    if dialect != "postgresql":
        with app.app_context():
            for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"):
                with pytest.raises(DBAPIError, match="append-only"):
                    db.session.execute(text(sql))
                db.session.rollback()
        return
    from sqlalchemy import create_engine

    from mdt.audit.cli import grant_statements

    role, password = f"mdt_app_{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    with app.app_context(), db.engine.begin() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
        for statement in grant_statements(role):
            conn.exec_driver_sql(statement)
    url = make_url(database_url).set(username=role, password=password)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:  # the app's work: add an event, read them
            conn.exec_driver_sql("INSERT INTO audit_events (at, role, action, record_type, "
                                 "outcome, changes) VALUES (now(), '', 'view', 'x', 'ok', "
                                 "'{}')")
            assert conn.exec_driver_sql("SELECT count(*) FROM audit_events").scalar() == 3
        for sql in ("UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events",
                    "TRUNCATE audit_events",
                    "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
                    "DROP TRIGGER audit_events_no_truncate ON audit_events",
                    "DROP TABLE audit_events"):
            with pytest.raises(DBAPIError, match="permission denied|must be owner"), \
                    engine.begin() as conn:
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()
        with app.app_context(), db.engine.begin() as conn:
            conn.exec_driver_sql(f"DROP OWNED BY {role}")
            conn.exec_driver_sql(f"DROP ROLE {role}")
