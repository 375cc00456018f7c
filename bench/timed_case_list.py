"""Benchmark: the meeting page with its timed case list at 10 and at 500 cases (queries and
time per request) against its floor, the same cases rendered as a bare HTML table by a
route of the bench's own in the same run (requests taken alternately, so the machine's load
falls on both; medians, in wall-clock time and in this process's CPU time, which the
other processes of a loaded machine disturb less), and the agenda arithmetic alone for 500
cases. The queries are counted for
the whole page and for the header alone (a bare page in the layout), so the page's own
are the difference. With BENCH_DATABASE_URL the bench makes a database of its own on that
server (bench/benchdb.py) and drops it afterwards.

    .venv/bin/python bench/timed_case_list.py [requests]
    BENCH_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/postgres \
        .venv/bin/python bench/timed_case_list.py [requests]
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
from bs4 import BeautifulSoup  # noqa: E402
from flask import render_template_string  # noqa: E402
from sqlalchemy import event  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "bench-password-123"
PRACTICES = ["Riverside Medical Practice", "Bridge Street Surgery", "Quay Health Centre"]


def build(app, cases: int) -> int:
    from flask_migrate import upgrade

    from mdt.auth.service import hash_password
    from mdt.demo import builder, demo_nhs_numbers
    from mdt.meetings.models import Case, Meeting
    from mdt.patients.models import Patient, PatientTeam
    from mdt.timeutil import utcnow

    with app.app_context():
        upgrade()
        team = builder.team("Bench team")  # the shared builder (mdt/demo/builder.py)
        chair = builder.user(email="bench@example.nhs.uk", name="Bench Chair", profession="gp",
                             organisation=PRACTICES[0], password_hash=hash_password(PASSWORD),
                             team=team.name, role="chair")
        meeting = Meeting(team_id=team.id, title="Bench MDT", starts_at=utcnow() + timedelta(days=7),
                          ends_at=utcnow() + timedelta(days=7, hours=2), chair_id=chair.id,
                          uid="bench@neighbourhood-mdt")
        db.session.add(meeting)
        db.session.flush()
        for position, number in enumerate(demo_nhs_numbers(cases, start=700001), 1):
            patient = Patient(nhs_number=number, given_name="Bench", family_name=number,
                              date_of_birth=date(1950, 1, 1),
                              gp_practice=PRACTICES[position % 3])
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team.id))
            db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id, position=position,
                                reason="Bench reason", urgency="routine", minutes=5))
        db.session.commit()
        return meeting.id


FLOOR = """<!doctype html><title>Cases</title><table>
<tr><th>Patient</th><th>NHS number</th><th>Urgency</th><th>Status</th><th>Reason</th>
<th>Presenting</th><th>Key worker</th></tr>
{% for row in rows %}<tr><td>{{ row.patient.full_name }}</td><td>{{ row.patient.nhs_number }}</td>
<td>{{ row.case.urgency }}</td><td>{{ row.case.status }}</td><td>{{ row.case.reason }}</td>
<td>{{ row.presenter_name or "" }}</td><td>{{ row.info.key_worker_name if row.info else "" }}</td>
</tr>{% endfor %}</table>"""


def add_bench_routes(app) -> None:
    """The floor (the same cases as a bare table, no layout) and the header alone."""
    table = app.jinja_env.from_string(FLOOR)  # compiled once, as the app's templates are

    def floor(meeting_id: int):
        from mdt.meetings import queries
        from mdt.meetings.models import Meeting
        return table.render(rows=queries.case_rows(db.session.get(Meeting, meeting_id)))

    def header():
        return render_template_string('{% extends "layout.html" %}{% block page %}'
                                      '<h1>Bench</h1>{% endblock %}')
    app.add_url_rule("/bench-floor/<int:meeting_id>", "bench_floor", floor)
    app.add_url_rule("/bench-header", "bench_header", header)


def count_queries(app, client, path) -> int:
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(path).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
    return len(statements)


def measure(cases: int, count: int) -> dict:
    """Per request: the page, its floor (alternately), their queries and the page's size."""
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    url, drop = fresh_database(folder)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
        add_bench_routes(app)
        meeting_id = build(app, cases)
        client = app.test_client()
        page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
        client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                      "csrf_token": page.select_one("input[name=csrf_token]")[
                                          "value"]})
        path, floor_path = f"/meetings/{meeting_id}", f"/bench-floor/{meeting_id}"
        size = len(client.get(path).data)  # and a warm-up
        client.get(floor_path)
        timings = {path: [], floor_path: []}
        for _ in range(count):
            for each in (path, floor_path):
                began, cpu = time.perf_counter(), time.process_time()
                assert client.get(each).status_code == 200
                timings[each].append((time.perf_counter() - began, time.process_time() - cpu))
        wall = {each: statistics.median(w for w, _ in found) for each, found in timings.items()}
        cpu = {each: statistics.median(c for _, c in found) for each, found in timings.items()}
        return {"page": wall[path], "floor": wall[floor_path], "page_cpu": cpu[path],
                "floor_cpu": cpu[floor_path],
                "queries": count_queries(app, client, path),
                "header": count_queries(app, client, "/bench-header"), "bytes": size,
                "database": "PostgreSQL" if url.startswith("postgresql") else "SQLite"}
    finally:
        drop()
        shutil.rmtree(folder, ignore_errors=True)


def arithmetic(cases: int, count: int = 200) -> float:
    from mdt.meetings import agenda
    from mdt.timeutil import utcnow

    items = [agenda.Item(i, 5, group=PRACTICES[i % 3]) for i in range(cases)]
    start = utcnow()
    began = time.perf_counter()
    for _ in range(count):
        timetable = agenda.plan(start, start + timedelta(hours=2), items, case_limit=20,
                                minutes_limit=60)
        agenda.blocks(items, timetable)
    return (time.perf_counter() - began) / count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    small = measure(10, count * 5)
    large = measure(500, count)
    print(f"{large['database']}, load {os.getloadavg()[0]:.2f}")
    for cases, found in ((10, small), (500, large)):
        print(f"meeting page, {cases} cases: {found['page'] * 1000:.1f} ms "
              f"({found['bytes'] / 1024:.0f} KB), floor {found['floor'] * 1000:.1f} ms, "
              f"ratio page / floor {found['page'] / found['floor']:.2f} "
              f"(CPU of this process: {found['page_cpu'] * 1000:.1f} / "
              f"{found['floor_cpu'] * 1000:.1f} ms = {found['page_cpu'] / found['floor_cpu']:.2f}); "
              f"{found['queries']} SQL queries ({found['queries'] - found['header']} the "
              f"page's own, {found['header']} the header's)")
    print(f"ratio 500 / 10: {large['page'] / small['page']:.1f} (50 times the cases)")
    print(f"agenda arithmetic alone, 500 cases: {arithmetic(500) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
