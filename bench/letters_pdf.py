"""Benchmark: outcome letters as PDF. A finished meeting with N patients discussed at one
practice (each with notes, an outcome, decisions and two actions); the practice's PDF is
downloaded through the web app, and a single letter too. Prints seconds per page.

    .venv/bin/python bench/letters_pdf.py [patients]
"""

import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from bs4 import BeautifulSoup  # noqa: E402
from pypdf import PdfReader  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "bench-password-123"
PRACTICE = "Riverside Medical Practice"
NOTES = ("Pain is worse at night despite the current patch. Lives alone; daughter visits "
         "twice a week. Wants to stay at home. Discussed anticipatory medicines and a "
         "referral to the hospice community team. ") * 2


def build(app, count: int) -> int:
    from flask_migrate import upgrade

    from mdt.actions.models import Action
    from mdt.auth.actor import Actor
    from mdt.auth.service import hash_password
    from mdt.demo import builder, demo_nhs_numbers
    from mdt.meetings.models import Case, Meeting
    from mdt.meetings.service import finish_meeting
    from mdt.patients.models import Patient, PatientTeam
    from mdt.timeutil import utcnow

    with app.app_context():
        upgrade()
        team = builder.team("Bench team")  # the shared builder (mdt/demo/builder.py)
        gp = builder.user(email="bench@example.nhs.uk", name="Dr Bench", organisation=PRACTICE,
                          password_hash=hash_password(PASSWORD), team=team.name, role="chair")
        meeting = Meeting(team_id=team.id, title="Bench MDT", starts_at=utcnow(),
                          ends_at=utcnow() + timedelta(hours=2), chair_id=gp.id,
                          uid="bench@neighbourhood-mdt", status="in_progress")
        db.session.add(meeting)
        db.session.flush()
        for position, number in enumerate(demo_nhs_numbers(count, start=900001), 1):
            patient = Patient(nhs_number=number, given_name="Bench", family_name=f"P{number}",
                              date_of_birth=date(1945, 5, 5), gp_practice=PRACTICE,
                              address="1 Long Road\nRiverside", postcode="RV1 1AA",
                              usual_gp="Dr Bench")
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team.id,
                                       key_worker_id=gp.id))
            case = Case(meeting_id=meeting.id, patient_id=patient.id, position=position,
                        reason="Increasing pain and breathlessness: what next?",
                        status="discussed", notes=NOTES, outcome="Refer to hospice team",
                        decisions="Start anticipatory medicines")
            db.session.add(case)
            db.session.flush()
            for n in range(2):
                db.session.add(Action(team_id=team.id, patient_id=patient.id, case_id=case.id,
                                      description=f"Action {n + 1} for this patient",
                                      owner_id=gp.id, due_on=date.today() + timedelta(days=7),
                                      created_by_id=gp.id))
        db.session.commit()
        finish_meeting(Actor(gp.id, (team.id,), {team.id: "chair"}), meeting)
        db.session.commit()
        return meeting.id


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                      "REDIS_URL": "redis://127.0.0.1:1/0"})
    meeting_id = build(app, count)
    client = app.test_client()
    page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": page.select_one("input[name=csrf_token]")["value"]})
    client.get("/letters/1.pdf")  # the first PDF loads Pango and the fonts: not counted
    for label, path in ((f"practice PDF, {count} letters", f"/letters/meetings/{meeting_id}.pdf"),
                        ("one letter", "/letters/2.pdf")):
        began = time.perf_counter()
        response = client.get(path)
        spent = time.perf_counter() - began
        assert response.status_code == 200, response.status_code
        pages = len(PdfReader(io.BytesIO(response.get_data())).pages)
        print(f"{label}: {pages} pages, {len(response.get_data()) / 1024:.0f} KB, "
              f"{spent:.2f} s, {spent / pages * 1000:.0f} ms per page")


if __name__ == "__main__":
    main()
