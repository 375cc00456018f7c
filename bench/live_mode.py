"""Benchmark: the live-mode case view at 60 cases, against a bare route that returns the
same bytes (so the ratio is the cost of our queries and templates over Flask itself).

    .venv/bin/python bench/live_mode.py [requests]
"""

import os
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from bs4 import BeautifulSoup  # noqa: E402
from flask import Response  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "bench-password-123"


def build(app) -> int:
    from flask_migrate import upgrade

    from mdt.auth.models import User
    from mdt.auth.service import hash_password
    from mdt.demo import demo_nhs_numbers
    from mdt.meetings.models import Case, Meeting
    from mdt.patients.models import Patient, PatientTeam
    from mdt.teams.models import Membership, Team
    from mdt.timeutil import utcnow

    with app.app_context():
        upgrade()
        team = Team(name="Bench team")
        chair = User(email="bench@example.nhs.uk", name="Bench Chair",
                     password_hash=hash_password(PASSWORD))
        db.session.add_all([team, chair])
        db.session.flush()
        db.session.add(Membership(team_id=team.id, user_id=chair.id, role="chair"))
        meeting = Meeting(team_id=team.id, title="Bench MDT", starts_at=utcnow() + timedelta(days=7),
                          ends_at=utcnow() + timedelta(days=7, hours=2), chair_id=chair.id,
                          uid="bench@neighbourhood-mdt", status="in_progress")
        db.session.add(meeting)
        db.session.flush()
        for position, number in enumerate(demo_nhs_numbers(60, start=700001), 1):
            patient = Patient(nhs_number=number, given_name="Bench", family_name=number,
                              date_of_birth=date(1950, 1, 1))
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team.id))
            db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id, position=position,
                                reason="Bench reason", urgency="routine"))
        db.session.commit()
        return meeting.id


def timed(client, path, count) -> float:
    client.get(path)  # warm up
    began = time.perf_counter()
    for _ in range(count):
        response = client.get(path)
        assert response.status_code == 200, response.status_code
    return (time.perf_counter() - began) / count


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 50
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    captured = {}
    app.add_url_rule("/bench-bare", "bench_bare",
                     lambda: Response(captured["body"], mimetype="text/html"))
    meeting_id = build(app)
    client = app.test_client()
    page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": page.select_one("input[name=csrf_token]")["value"]})
    live_path = f"/meetings/{meeting_id}/live"
    body = captured["body"] = client.get(live_path).get_data()
    live = timed(client, live_path, count)
    bare = timed(client, "/bench-bare", count)
    print(f"live mode, 60 cases: {live * 1000:.1f} ms per request ({len(body):,} bytes)")
    print(f"bare route, same bytes: {bare * 1000:.2f} ms per request")
    print(f"ratio live / bare: {live / bare:.1f}")


if __name__ == "__main__":
    main()
