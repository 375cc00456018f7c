"""Benchmark: a personal calendar feed of 1,000 events (500 meetings the reader is invited
to, 500 open actions she owns), through the app with a real Redis:

- cold: no body stored for the version, so the feed is built and written;
- cached: the body stored for the current version;
- 304: the calendar app already has this version (If-None-Match);
- the floor: a bare route returning the same bytes, in the same run.

Medians of N requests (default 20), the SQL queries of each, and ratios to the floor.
SQLite by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL (a new database,
dropped afterwards). Starts its own redis-server on a free port.

    .venv/bin/python bench/feed.py [N]
"""

import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from benchdb import fresh_database  # noqa: E402
from flask import Response  # noqa: E402
from sqlalchemy import event, insert  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

MEETINGS = ACTIONS = 500


def redis_server(folder: str):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen([shutil.which("redis-server"), "--port", str(port), "--save", "",
                                "--appendonly", "no", "--dir", folder],
                               stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    return process, f"redis://127.0.0.1:{port}/0"


def build(app) -> str:
    from flask_migrate import upgrade

    from mdt.actions.models import Action
    from mdt.auth.models import User
    from mdt.calendar import service
    from mdt.meetings.models import Invitee, Meeting
    from mdt.teams.models import Membership, Team
    from mdt.timeutil import london_today, utcnow

    with app.app_context():
        upgrade()
        team = Team(name="Bench team")
        nurse = User(email="nurse@bench.nhs.uk", name="Bench Nurse", password_hash="x")
        chair = User(email="chair@bench.nhs.uk", name="Bench Chair", password_hash="x")
        db.session.add_all([team, nurse, chair])
        db.session.flush()
        db.session.add_all([Membership(team_id=team.id, user_id=nurse.id, role="member"),
                            Membership(team_id=team.id, user_id=chair.id, role="chair")])
        start = utcnow().replace(hour=13, minute=0, second=0, microsecond=0)
        db.session.execute(insert(Meeting), [dict(
            team_id=team.id, title=f"Bench MDT {i}", chair_id=chair.id, status="scheduled",
            starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=1),
            uid=f"bench-{i}@neighbourhood-mdt", location="Room 1") for i in range(MEETINGS)])
        ids = [m.id for m in db.session.scalars(db.select(Meeting))]
        db.session.execute(insert(Invitee), [dict(meeting_id=i, user_id=nurse.id, email=nurse.email, name=nurse.name)
                                             for i in ids])
        db.session.execute(insert(Action), [dict(
            team_id=team.id, description="Bench action", owner_id=nurse.id,
            created_by_id=chair.id, status="open",
            due_on=london_today() + timedelta(days=i % 90)) for i in range(ACTIONS)])
        db.session.commit()
        token = service.issue(nurse.id)
        db.session.commit()  # services leave the commit to their caller
        return token


def measure(client, path, count, headers=None, before=None):
    times, status = [], None
    for _ in range(count):
        if before:
            before()
        began = time.perf_counter()
        response = client.get(path, headers=headers or {})
        times.append(time.perf_counter() - began)
        status = response.status_code
    return statistics.median(times), status, response


def queries(app, client, path, headers=None) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path, headers=headers or {})
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    redis, redis_url = redis_server(folder)
    url, drop = fresh_database(folder)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url})
        captured = {}
        app.add_url_rule("/bench-bare", "bench_bare", lambda: Response(
            captured["body"], content_type="text/calendar; charset=utf-8"))
        token = build(app)
        path = f"/calendar/{token}.ics"
        client = app.test_client()
        first = client.get(path)
        assert first.status_code == 200, first.status_code
        captured["body"] = first.data
        events = first.data.count(b"BEGIN:VEVENT")

        def forget():
            with app.app_context():
                from mdt.queue import redis_connection
                redis_connection().flushdb()

        cold, _, _ = measure(client, path, count, before=forget)
        cached, _, response = measure(client, path, count)
        etag = response.headers["ETag"]
        unchanged, status, _ = measure(client, path, count, {"If-None-Match": etag})
        assert status == 304, status
        floor, _, _ = measure(client, "/bench-bare", count)
        forget()
        q_cold = queries(app, client, path)
        q_cached = queries(app, client, path)
        q_304 = queries(app, client, path, {"If-None-Match": etag})
        load = os.getloadavg()[0]
        print(f"personal feed, {events} events, {len(first.data) / 1024:.0f} KB, "
              f"{'PostgreSQL' if 'postgresql' in url else 'SQLite'}, load {load:.2f}")
        print(f"  floor (same bytes)  {floor * 1000:7.1f} ms")
        for name, value, sql in (("cold (built)", cold, q_cold), ("cached body", cached,
                                                                  q_cached),
                                 ("304", unchanged, q_304)):
            print(f"  {name:<19} {value * 1000:7.1f} ms  {value / floor:5.1f}x floor  "
                  f"{sql} queries")
    finally:
        drop()
        redis.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
