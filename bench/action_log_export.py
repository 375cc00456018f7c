"""Benchmark: stream the action log as CSV through the real app.

Generates N action-log entries (default 100,000) in a fresh database (SQLite by default;
set BENCH_DATABASE_URL for PostgreSQL), then downloads /actions/log.csv through the Flask
test client, reading the streamed body chunk by chunk. Reports rows per second, and the
peak Python memory at N and at N/10: constant memory means the two peaks are close.

    .venv/bin/python bench/action_log_export.py [N]
"""

import os
import sys
import tempfile
import time
import tracemalloc
from datetime import date, datetime, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from benchdb import fresh_database  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import insert  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.actions.models import Action, ActionLogEntry  # noqa: E402
from mdt.auth.service import hash_password  # noqa: E402
from mdt.demo import builder  # noqa: E402
from mdt.extensions import db  # noqa: E402
from mdt.timeutil import utcnow  # noqa: E402

PASSWORD = "bench-password-123"


def build(app, entries: int) -> None:
    from flask_migrate import upgrade
    with app.app_context():
        upgrade()
        team = builder.team("Bench team")  # the shared builder (mdt/demo/builder.py)
        user = builder.user(email="bench@example.nhs.uk", name="Bench User",
                            password_hash=hash_password(PASSWORD), team=team.name, role="chair")
        actions = max(1, entries // 5)
        db.session.execute(insert(Action), [
            {"team_id": team.id, "owner_id": user.id, "created_by_id": user.id,
             "description": f"Bench action {n} =1+1", "due_on": date(2026, 6, 1),
             "priority": "normal", "status": "open", "cancel_reason": "", "version": 1,
             "created_at": utcnow()} for n in range(actions)])
        start = datetime(2026, 1, 1, 9)
        base_id = db.session.query(db.func.min(Action.id)).scalar()
        for chunk in range(0, entries, 10000):
            db.session.execute(insert(ActionLogEntry), [
                {"action_id": base_id + n % actions, "team_id": team.id, "user_id": user.id,
                 "kind": "note_added", "old_value": "", "new_value": f"note {n}",
                 "at": (start + timedelta(minutes=n)).astimezone()}
                for n in range(chunk, min(entries, chunk + 10000))])
        db.session.commit()


def export(app) -> tuple[int, float, int]:
    client = app.test_client()
    token_page = client.get("/sign-in").get_data(as_text=True)

    token = BeautifulSoup(token_page, "html.parser").select_one("input[name=csrf_token]")["value"]
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": token})
    tracemalloc.start()
    began = time.perf_counter()
    response = client.get("/actions/log.csv?from=2025-12-01&to=2030-12-31", buffered=False)
    lines = 0
    for chunk in response.response:
        lines += chunk.count("\r\n") if isinstance(chunk, str) else chunk.count(b"\r\n")
    elapsed = time.perf_counter() - began
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return lines - 1, elapsed, peak


def run(entries: int) -> tuple[int, float, int]:
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    url, drop = fresh_database(folder)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
        build(app, entries)
        found = export(app)
        with app.app_context():
            db.engine.dispose()
        return found
    finally:
        drop()


def main() -> None:
    entries = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    small_rows, small_time, small_peak = run(entries // 10)
    rows, elapsed, peak = run(entries)
    assert rows == entries, (rows, entries)
    print(f"exported {rows} log entries in {elapsed:.2f} s: {rows / elapsed:,.0f} rows/s")
    print(f"peak traced memory: {peak / 1e6:.1f} MB at {rows} rows, "
          f"{small_peak / 1e6:.1f} MB at {small_rows} rows (ratio {peak / small_peak:.2f})")


if __name__ == "__main__":
    main()
