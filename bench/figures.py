"""Benchmark: the team figures page (follow-through and attendance) at scale.

Builds a fresh database (SQLite by default; set BENCH_DATABASE_URL for PostgreSQL) with one
team of 15 members, 100 finished meetings over 24 months (10 cases and 15 invitees each)
and N actions (default 20,000) due over the same 24 months, half raised at a meeting. A new
database is made for each run (on PostgreSQL: a new database on that server, dropped afterwards). Times
each figures query and the whole page through the Flask test client (median of 5), then
does the same with N/10 actions and prints the ratio: SQL aggregation should grow far less
than tenfold, and the page's query count should not change at all.

    .venv/bin/python bench/figures.py [N]
"""

import os
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from datetime import time as clock

os.environ.setdefault("SECRET_KEY", "bench")

from bs4 import BeautifulSoup  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.actions.models import Action  # noqa: E402
from mdt.auth.models import User  # noqa: E402
from mdt.auth.service import hash_password  # noqa: E402
from mdt.extensions import db  # noqa: E402
from mdt.meetings.models import Case, Invitee, Meeting  # noqa: E402
from mdt.patients.models import Patient, PatientTeam  # noqa: E402
from mdt.reports import queries  # noqa: E402
from mdt.teams.models import Membership, Team  # noqa: E402
from mdt.timeutil import london_to_utc, london_today  # noqa: E402

PASSWORD = "bench-password-123"
MEMBERS, MEETINGS, CASES = 15, 100, 10
ATTENDANCE = ("present", "present", "present", "apologies", "absent", "invited")


def build(app, actions: int) -> int:
    from flask_migrate import upgrade

    today = london_today()
    first = today - timedelta(days=730)
    with app.app_context():
        upgrade()
        team = Team(name="Bench team")
        users = [User(email=f"bench{n}@example.nhs.uk", name=f"Member {n:02}",
                      password_hash=hash_password(PASSWORD) if n == 0 else "x")
                 for n in range(MEMBERS)]
        patients = [Patient(nhs_number=f"{9000000000 + n}", given_name="Bench",
                            family_name=f"Patient {n}", date_of_birth=date(1950, 1, 1))
                    for n in range(CASES * 5)]
        db.session.add_all([team, *users, *patients])
        db.session.flush()
        db.session.add_all([Membership(team_id=team.id, user_id=u.id,
                                       role="chair" if n == 0 else "member")
                            for n, u in enumerate(users)])
        db.session.add_all([PatientTeam(patient_id=p.id, team_id=team.id) for p in patients])
        days = [first + timedelta(days=730 * k // MEETINGS) for k in range(MEETINGS)]
        meetings = [Meeting(team_id=team.id, title="Bench MDT", chair_id=users[0].id,
                            status="finished", uid=f"bench-{k}@test",
                            starts_at=london_to_utc(day, clock(12, 30)),
                            ends_at=london_to_utc(day, clock(14))) for k, day in enumerate(days)]
        db.session.add_all(meetings)
        db.session.flush()
        db.session.execute(insert(Invitee), [
            {"meeting_id": m.id, "user_id": u.id, "email": u.email, "name": u.name,
             "attendance": ATTENDANCE[(k + n) % len(ATTENDANCE)]}
            for k, m in enumerate(meetings) for n, u in enumerate(users)])
        db.session.execute(insert(Case), [
            {"meeting_id": m.id, "patient_id": patients[(k + c) % len(patients)].id,
             "reason": "Bench"} for k, m in enumerate(meetings) for c in range(CASES)])
        case_ids = db.session.scalars(select(Case.id).order_by(Case.id)).all()
        rows = []
        for n in range(actions):
            due = first + timedelta(days=(n * 7919) % 760)
            status = ("open", "done", "done", "cancelled")[n % 4]
            done_on = due + timedelta(days=(n % 7) - 4) if status == "done" else None
            rows.append({"team_id": team.id, "owner_id": users[n % MEMBERS].id,
                         "created_by_id": users[0].id, "description": f"Bench action {n}",
                         "due_on": due, "status": status, "completed_on": done_on,
                         "case_id": case_ids[n % len(case_ids)] if n % 2 else None})
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Action), rows[chunk:chunk + 5000])
        db.session.commit()
        return team.id


def _median_ms(fn, repeat=5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        fn()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def measure(app, team_id: int) -> dict:
    today = london_today()
    results = {}
    with app.app_context():
        for name in ("team_follow_through", "follow_through_by_month",
                     "follow_through_by_meeting", "attendance"):
            function = getattr(queries, name)
            results[name] = _median_ms(lambda f=function: f(team_id, today))
    client = app.test_client()
    token = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser") \
        .select_one("input[name=csrf_token]")["value"]
    client.post("/sign-in", data={"email": "bench0@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": token})
    path = f"/teams/{team_id}/figures"
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        response = client.get(path)
        event.remove(db.engine, "before_cursor_execute", listener)
    assert response.status_code == 200, response.status_code
    results["page"] = _median_ms(lambda: client.get(path).close())
    results["queries"] = len(statements)
    return results


def _database_url() -> str:
    """A fresh database per run: a new SQLite file, or a new database on the PostgreSQL
    server BENCH_DATABASE_URL names (e.g. postgresql://postgres@127.0.0.1:5432/postgres)."""
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        return f"sqlite:///{tempfile.mkdtemp(prefix='mdt-bench-')}/bench.sqlite3"
    import uuid

    import psycopg
    from sqlalchemy.engine import make_url

    name = f"mdt_bench_{uuid.uuid4().hex[:12]}"
    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return make_url(server).set(drivername="postgresql+psycopg", database=name) \
        .render_as_string(hide_password=False)


def _drop(url: str) -> None:
    server = os.environ.get("BENCH_DATABASE_URL")
    if not server:
        return
    import psycopg
    from sqlalchemy.engine import make_url

    admin = make_url(server).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def run(actions: int) -> dict:
    url = _database_url()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    try:
        results = measure(app, build(app, actions))
    finally:
        with app.app_context():
            db.engine.dispose()
        _drop(url)
    return results


def main() -> None:
    actions = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    small, large = run(actions // 10), run(actions)
    print(f"{MEETINGS} finished meetings, {MEMBERS} members; actions {actions // 10:,} vs "
          f"{actions:,}")
    print(f"{'':32}{actions // 10:>10,}{actions:>10,}   ratio")
    for key in ("team_follow_through", "follow_through_by_month", "follow_through_by_meeting",
                "attendance", "page"):
        print(f"{key + ' (ms)':32}{small[key]:>10.1f}{large[key]:>10.1f}"
              f"{large[key] / small[key]:>8.2f}")
    print(f"{'SQL queries for the page':32}{small['queries']:>10}{large['queries']:>10}")
    assert small["queries"] == large["queries"]


if __name__ == "__main__":
    main()
