"""Benchmark: SQL statements and time per request for the named pages of issue 21 at 500
rows (/patients, a patient's page with 500 actions, /visits with 500 visits of the day and
merge suggestions, /referrals as chair and as member), each against a floor measured in the
same run: a bare route returning the same bytes (so load on the machine cancels out).

The data is made through the shared builder (mdt/demo/builder.py) and the services, as the
query-count test makes it (tests/test_query_counts.py). Requests to a page and to its floor
alternate; medians of N each (default 30). Statements are counted as the test counts them
(every statement on the engine, the audit row's included).

SQLite by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL (a new database,
dropped afterwards: bench/benchdb.py). Starts its own redis-server on a free port.

    .venv/bin/python bench/page_queries.py [N] [ROWS]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from benchdb import fresh_database  # noqa: E402
from feed import redis_server  # noqa: E402
from flask import Response  # noqa: E402
from sqlalchemy import event  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "correct-horse-battery-staple"


def build(app, rows: int) -> dict:
    from argon2 import PasswordHasher
    from flask_migrate import upgrade

    from mdt.demo import builder
    from mdt.patients.handover import assign_key_worker
    from mdt.patients.hna import record_hna
    from mdt.referrals.service import send_referral
    from mdt.timeutil import london_today

    quick = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with app.app_context():
        upgrade()
        chair = builder.user(email="chair@bench.nhs.uk", name="Bench Chair",
                             password_hash=quick, team="Bench team", role="chair")
        nurse = builder.user(email="nurse@bench.nhs.uk", name="Bench Nurse",
                             password_hash=quick, team="Bench team", role="member",
                             skills=["wound_care", "injections", "syringe_driver"])
        team_id = builder.team("Bench team").id
        as_chair = builder.team_actor(chair.id, team_id, "chair")
        as_nurse = builder.team_actor(nurse.id, team_id, "member")
        today, first = london_today(), None
        for n, number in enumerate(builder.nhs_numbers(rows, start=300001)):
            made = builder.patient(team=team_id, given=f"Given{n}", family=f"Family{n:04d}",
                                   nhs_number=number)
            builder.visit(as_nurse, team_id=team_id, patient_id=made.id,
                          professional_id=nurse.id, day=today,
                          window=("morning", "afternoon")[n % 2],
                          tasks=[("Dressing", "Injection")[n % 2]])
            if n % 5 == 0:
                builder.visit(as_chair, team_id=team_id, patient_id=made.id,
                              professional_id=chair.id, day=today, window="afternoon",
                              tasks=["Injection"])
            send_referral(as_nurse, team_id=team_id, patient_id=made.id,
                          question=f"Question {n}", urgency=("urgent", "routine")[n % 2])
            db.session.commit()
            if first is None:
                first = made.id
                record_hna(as_chair, made, assessed_on=today - timedelta(days=10),
                           assessed_by_id=nurse.id, concerns_text="Pain\nSleep")
                assign_key_worker(as_chair, patient_id=made.id, team_id=team_id,
                                  to_user_id=nurse.id, reason="Named at the MDT",
                                  seen_key_worker_id=None)
                db.session.commit()
            builder.action(as_chair, team_id=team_id, description=f"Action {n}",
                           owner_id=nurse.id, due_on=today + timedelta(days=n % 9),
                           patient_id=first)
        return {"chair": chair.email, "nurse": nurse.email, "patient_id": first}


def signed_in(app, email):
    client = app.test_client()
    response = client.post("/sign-in", data={"email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def statements(app, client, path) -> int:
    seen = []
    with app.app_context():
        engine = db.engine
    listener = lambda *args: seen.append(1)  # noqa: E731
    event.listen(engine, "before_cursor_execute", listener)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", listener)
    return len(seen)


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    rows = int(sys.argv[2]) if len(sys.argv) > 2 else 500
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    redis, redis_url = redis_server(folder)
    url, drop = fresh_database(folder)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": redis_url,
                          "WTF_CSRF_ENABLED": False})
        captured = {}
        app.add_url_rule("/bench-bare", "bench_bare", lambda: Response(
            captured["body"], content_type="text/html; charset=utf-8"))
        began = time.perf_counter()
        world = build(app, rows)
        built = time.perf_counter() - began
        clients = {who: signed_in(app, world[who]) for who in ("chair", "nurse")}
        floor_client = app.test_client()
        pages = (("/patients", "nurse", "patients"),
                 (f"/patients/{world['patient_id']}", "nurse", "a patient"),
                 ("/visits", "nurse", "visits"),
                 ("/referrals", "chair", "referrals (chair)"),
                 ("/referrals", "nurse", "referrals (member)"))
        load = os.getloadavg()[0]
        print(f"named pages at {rows} rows, "
              f"{'PostgreSQL' if 'postgresql' in url else 'SQLite'}, load {load:.2f} "
              f"(built in {built:.0f} s), medians of {count}")
        print(f"  {'page':<20} {'KB':>5} {'queries':>8} {'ms':>7} {'floor ms':>9} {'ratio':>6}")
        for path, who, name in pages:
            client = clients[who]
            first = client.get(path)
            assert first.status_code == 200, (path, first.status_code)
            captured["body"] = first.data
            page_times, floor_times = [], []
            for _ in range(count):  # alternately: the same load on both
                start = time.perf_counter()
                client.get(path)
                page_times.append(time.perf_counter() - start)
                start = time.perf_counter()
                floor_client.get("/bench-bare")
                floor_times.append(time.perf_counter() - start)
            page, floor = statistics.median(page_times), statistics.median(floor_times)
            print(f"  {name:<20} {len(first.data) / 1024:5.0f} "
                  f"{statements(app, client, path):8d} {page * 1000:7.1f} "
                  f"{floor * 1000:9.2f} {page / floor:5.1f}x")
        print(f"  load at the end {os.getloadavg()[0]:.2f}")
    finally:
        drop()
        redis.terminate()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
