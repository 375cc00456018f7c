"""Benchmark: the live-mode case view at 60 cases, against a bare route that returns the
same bytes (so the ratio is the cost of our queries and templates over Flask itself); then
the live-mode requests a chair makes in the room, each case in turn, p50 and p95: the next
case (an htmx swap), one save (outcome and an action, the whole case form) and a draft kept
as she types.

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

    from mdt.auth.service import hash_password
    from mdt.demo import builder, demo_nhs_numbers
    from mdt.meetings.models import Case, Meeting
    from mdt.patients.models import Patient, PatientTeam
    from mdt.timeutil import utcnow

    with app.app_context():
        upgrade()
        team = builder.team("Bench team")  # the shared builder (mdt/demo/builder.py)
        chair = builder.user(email="bench@example.nhs.uk", name="Bench Chair",
                             password_hash=hash_password(PASSWORD), team=team.name, role="chair")
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
    room(client, meeting_id)


def room(client, meeting_id) -> None:
    """Each of the 60 cases: next case, a draft, one save. Server time per request."""
    from mdt.meetings.models import Case
    from mdt.timeutil import london_today

    htmx = {"HX-Request": "true"}
    page = BeautifulSoup(client.get(f"/meetings/{meeting_id}/live").get_data(as_text=True),
                         "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    owner = page.select_one("select[name='actions-0-owner_id'] option[value!='']")["value"]
    due = london_today() + timedelta(days=7)
    with client.application.app_context():
        ids = [c.id for c in db.session.scalars(db.select(Case).where(
            Case.meeting_id == meeting_id).order_by(Case.position))]
    times = {"next case": [], "draft": [], "save": []}
    for case_id in ids:
        began = time.perf_counter()
        panel = client.get(f"/meetings/{meeting_id}/live?case={case_id}", headers=htmx)
        times["next case"].append(time.perf_counter() - began)
        version = BeautifulSoup(panel.get_data(as_text=True), "html.parser").select_one(
            "input[name=version]")["value"]
        began = time.perf_counter()
        client.post(f"/meetings/{meeting_id}/live/{case_id}/draft", headers=htmx,
                    data={"csrf_token": token, "notes": "Typed in the room"})
        times["draft"].append(time.perf_counter() - began)
        began = time.perf_counter()
        saved = client.post(f"/meetings/{meeting_id}/live/{case_id}/record", headers=htmx, data={
            "csrf_token": token, "version": version, "outcome": "Continue the plan",
            "notes": "Typed in the room", "action_rows": "1", "seen_key_worker_id": "",
            "key_worker_id": "", "actions-0-description": "Review in a week",
            "actions-0-owner_id": owner, "actions-0-due_on[day]": str(due.day),
            "actions-0-due_on[month]": str(due.month), "actions-0-due_on[year]": str(due.year)})
        times["save"].append(time.perf_counter() - began)
        assert saved.status_code == 200 and b"Saved" in saved.data, saved.status_code
    for name, found in times.items():
        found.sort()
        p50, p95 = found[len(found) // 2], found[int(len(found) * 0.95) - 1]
        print(f"{name}: p50 {p50 * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms over {len(found)}")


if __name__ == "__main__":
    main()
