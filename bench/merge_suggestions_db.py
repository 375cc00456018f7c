"""Benchmark: merge suggestions for one team's day of 2,000 visits THROUGH THE DATABASE, the
function the day board and "my visits" call (mdt.visits.queries.suggestions), against the
pure engine (mdt.visits.merge.suggest) on the same visits in the same run (the floor).

The day is the one bench/merge_suggestions.py times (250 professionals, about 8 visits
each, 1,000 patients), in a database holding what surrounds it: the team's other days (a
fortnight each side) and nine smaller teams' visits on the same days (80,000 visits in
all), so the query has to find its 2,000 rows among many. Each run is a fresh app context
(a fresh session, as a request has). Prints the median and best ms per run (on a loaded
machine the best run is the cost when the CPU is ours) and the median CPU time of this
process (all of it on SQLite; PostgreSQL's own work is left out), the SQL queries per run
and the ratios to the engine alone.

SQLite by default; BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres for
PostgreSQL (a new database, dropped afterwards).

    .venv/bin/python bench/merge_suggestions_db.py [runs]
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from benchdb import fresh_database  # noqa: E402
from merge_suggestions import day_of_visits  # noqa: E402
from sqlalchemy import event, insert, select  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

DAY = date(2026, 12, 1)
VISITS = 2000
OTHER_DAYS = 20  # the team's other weekdays, a fortnight each side
OTHER_TEAMS = 9  # smaller teams, visiting on the same days
OTHER_TEAM_VISITS = 200


def build(app) -> int:
    """The bench team's id, after building its day and the noise around it."""
    from flask_migrate import upgrade

    from mdt.auth.models import Membership, User
    from mdt.demo import builder
    from mdt.patients.models import Patient, PatientTeam
    from mdt.visits.models import DEFAULT_TASKS, TaskType, Visit, VisitTask

    with app.app_context():
        upgrade()
        teams = [builder.team("Bench team")]  # the shared builder (mdt/demo/builder.py)
        teams += [builder.team(f"Bench other {n}") for n in range(OTHER_TEAMS)]
        visits, professionals = day_of_visits(VISITS)
        # Bulk rows for the rest: 2,000 visits through the service would take minutes.
        db.session.execute(insert(User), [
            dict(id=p + 1, email=f"pro{p}@bench.nhs.uk", name=f"Professional {p:03d}",
                 password_hash="x", skills=sorted(skills))
            for p, skills in professionals.items()])
        db.session.execute(insert(Membership), [
            dict(team_id=teams[0].id, user_id=p + 1, role="member") for p in professionals])
        numbers = builder.nhs_numbers(VISITS // 2, start=200001)
        db.session.execute(insert(Patient), [
            dict(id=n + 1, nhs_number=number, given_name="Bench", family_name=f"Patient {n}",
                 date_of_birth=date(1940, 1, 1)) for n, number in enumerate(numbers)])
        db.session.execute(insert(PatientTeam), [
            dict(patient_id=n + 1, team_id=teams[0].id) for n in range(len(numbers))])
        task_of = {}  # (team id, skill) -> task type id
        for team in teams:
            db.session.execute(insert(TaskType), [
                dict(team_id=team.id, name=name, skill=skill, minutes=minutes, active=True)
                for name, skill, minutes in DEFAULT_TASKS])
        for task_id, team_id, skill in db.session.execute(
                select(TaskType.id, TaskType.team_id, TaskType.skill)):
            task_of[(team_id, skill)] = task_id
        on_days = [DAY]
        day = DAY
        while len(on_days) < OTHER_DAYS + 1:
            day -= timedelta(days=1)
            for other in (day, DAY + (DAY - day)):
                if other.weekday() < 5 and len(on_days) < OTHER_DAYS + 1:
                    on_days.append(other)
        # (team, day, visits, seed): the bench team's day first (ids 1 to 2,000)
        days = [(teams[0].id, DAY, VISITS, 7)]
        days += [(teams[0].id, on, VISITS, 100 + n) for n, on in enumerate(on_days[1:])]
        days += [(team.id, on, OTHER_TEAM_VISITS, 1000 * team.id + n)
                 for team in teams[1:] for n, on in enumerate(on_days)]
        next_id = 1
        for team_id, on, count, seed in days:
            day_visits, _ = day_of_visits(count, seed=seed)
            db.session.execute(insert(Visit), [
                dict(id=next_id + n, team_id=team_id, patient_id=v.patient_id + 1,
                     professional_id=v.professional_id + 1, day=on, window="morning",
                     minutes=v.minutes, status="planned" if on >= DAY else "done",
                     created_by_id=1, cancel_reason="", version=1)
                for n, v in enumerate(day_visits)])
            db.session.execute(insert(VisitTask), [
                dict(visit_id=next_id + n, task_type_id=task_of[(team_id, skill)])
                for n, v in enumerate(day_visits) for skill in sorted(v.skills)])
            next_id += len(day_visits)
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect() as conn:
                conn.exec_driver_sql("ANALYZE")  # as autovacuum would, after a bulk load
                conn.commit()
        return teams[0].id


def engine_data(team_id: int):
    """The engine's input for the day, read once (not timed)."""
    from mdt.auth.models import Membership, User
    from mdt.visits import merge
    from mdt.visits.models import TaskType, Visit, VisitTask

    skills_of = {}
    for visit_id, skill in db.session.execute(
            select(VisitTask.visit_id, TaskType.skill).join(TaskType)
            .join(Visit, Visit.id == VisitTask.visit_id)
            .where(Visit.team_id == team_id, Visit.day == DAY)):
        skills_of.setdefault(visit_id, set()).add(skill)
    visits = [merge.VisitData(id=v.id, patient_id=v.patient_id, day=v.day,
                              professional_id=v.professional_id, minutes=v.minutes,
                              skills=frozenset(skills_of.get(v.id, ())))
              for v in db.session.execute(select(Visit).where(
                  Visit.team_id == team_id, Visit.day == DAY,
                  Visit.status == "planned")).scalars()]
    skills = {uid: frozenset(s or []) for uid, s in db.session.execute(
        select(User.id, User.skills).join(Membership, Membership.user_id == User.id)
        .where(Membership.team_id == team_id))}
    return visits, skills


def main() -> None:
    from mdt.visits import merge, queries

    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    url, drop = fresh_database(folder)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url})
        began = time.perf_counter()
        team_id = build(app)
        setup = time.perf_counter() - began
        with app.app_context():
            visits, skills = engine_data(team_id)
            engine = db.engine
        expected = merge.suggest(visits, skills)
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731

        def through_db():
            with app.app_context():
                return queries.suggestions(team_id, DAY)

        found = through_db()  # warm up (and the answer must be the engine's)
        assert [s.suggestion for s in found] == expected, "the database path differs"
        engine_times, db_times, engine_cpu, db_cpu = [], [], [], []
        for _ in range(runs):  # alternately, so the machine's load falls on both alike
            t0, c0 = time.perf_counter(), time.process_time()
            merge.suggest(visits, skills)
            t1, c1 = time.perf_counter(), time.process_time()
            through_db()
            t2, c2 = time.perf_counter(), time.process_time()
            engine_times.append(t1 - t0)
            db_times.append(t2 - t1)
            engine_cpu.append(c1 - c0)
            db_cpu.append(c2 - c1)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            through_db()
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        floor, timed = statistics.median(engine_times), statistics.median(db_times)
        print(f"merge suggestions, {len(visits):,} planned visits in one team's day, "
              f"{len(expected)} suggestions, "
              f"{'PostgreSQL' if 'postgresql' in url else 'SQLite'}, "
              f"load {os.getloadavg()[0]:.2f} (setup {setup:.1f} s, {runs} runs)")
        best_floor, best = min(engine_times), min(db_times)
        cpu_floor, cpu = statistics.median(engine_cpu), statistics.median(db_cpu)
        print(f"  engine alone      median {floor * 1000:6.1f} ms   best {best_floor * 1000:6.1f} "
              f"ms   this process's CPU {cpu_floor * 1000:5.1f} ms")
        print(f"  through database  median {timed * 1000:6.1f} ms   best {best * 1000:6.1f} "
              f"ms   this process's CPU {cpu * 1000:5.1f} ms")
        print(f"  ratio to engine   median {timed / floor:4.1f}x   best {best / best_floor:4.1f}x   "
              f"CPU {cpu / cpu_floor:4.1f}x   {len(seen)} queries   (goal: <= 50 ms)")
        if os.environ.get("BENCH_SHOW_SQL"):
            for statement in seen:
                print("   ", " ".join(statement.split())[:300])
    finally:
        drop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
