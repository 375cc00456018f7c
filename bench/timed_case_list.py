"""Benchmark: the meeting page with its timed case list at 10 and at 500 cases (queries and
time per request), and the agenda arithmetic alone for 500 cases.

    .venv/bin/python bench/timed_case_list.py [requests]
"""

import os
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from bs4 import BeautifulSoup  # noqa: E402
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


def measure(cases: int, count: int) -> tuple[float, int]:
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    meeting_id = build(app, cases)
    client = app.test_client()
    page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": page.select_one("input[name=csrf_token]")["value"]})
    path = f"/meetings/{meeting_id}"
    client.get(path)  # warm up
    statements = []
    with app.app_context():
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        client.get(path)
        event.remove(db.engine, "before_cursor_execute", listener)
    began = time.perf_counter()
    for _ in range(count):
        assert client.get(path).status_code == 200
    return (time.perf_counter() - began) / count, len(statements)


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
    small, small_queries = measure(10, count * 5)
    large, large_queries = measure(500, count)
    print(f"meeting page, 10 cases: {small * 1000:.1f} ms, {small_queries} SQL queries")
    print(f"meeting page, 500 cases: {large * 1000:.1f} ms, {large_queries} SQL queries")
    print(f"ratio 500 / 10: {large / small:.1f} (50 times the cases)")
    print(f"agenda arithmetic alone, 500 cases: {arithmetic(500) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
