"""Benchmark: a 5,000-line practice caseload CSV through the web app: upload (parse and keep
server-side), preview (every line checked against the records), import (one transaction,
each patient audited). 1,000 of the patients are already on the team (half of them have
moved), 4,000 are new. Then the same search again (5,000 matched, none new).
Target (issue 22): preview and import under 10 s.

    .venv/bin/python bench/caseload_import.py [lines]      (DATABASE_URL for PostgreSQL)
"""

import csv
import io
import os
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from bs4 import BeautifulSoup  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "bench-password-123"
HEAD = ["NHS Number", "Title", "Forename", "Surname", "Date of Birth", "House Name/Flat Number",
        "Number and Street", "Village", "Town", "Postcode", "Registered Practice", "Usual GP"]


def build(app, numbers, existing: int) -> None:
    from flask_migrate import upgrade

    from mdt.auth.service import hash_password
    from mdt.demo import builder
    from mdt.patients.models import Patient, PatientTeam

    with app.app_context():
        upgrade()
        team = builder.team("Bench team")  # the shared builder (mdt/demo/builder.py)
        builder.user(email="bench@example.nhs.uk", name="Bench Chair",
                     password_hash=hash_password(PASSWORD), team=team.name, role="chair")
        patients = [Patient(nhs_number=n, given_name="Bench", family_name=f"Person{i}",
                            date_of_birth=_dob(i), address="Old Road\nRiverside",
                            postcode="RV1 1AA") for i, n in enumerate(numbers[:existing])]
        db.session.add_all(patients)
        db.session.flush()
        db.session.add_all([PatientTeam(patient_id=p.id, team_id=team.id) for p in patients])
        db.session.commit()


def _dob(i: int) -> date:
    return date(1930, 1, 1) + timedelta(days=i * 7 % 20000)


def csv_bytes(numbers, moved: int) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(HEAD)
    for i, number in enumerate(numbers):
        street = "New Road" if i < moved else "Old Road"
        writer.writerow([f"{number[:3]} {number[3:6]} {number[6:]}", "Mx", "Bench",
                         f"Person{i}", _dob(i).strftime("%d-%b-%Y"), "", street, "",
                         "Riverside", "RV1 1AA", "Riverside Medical Practice",
                         "Dr Alys Hughes"])
    return buffer.getvalue().encode("utf-8-sig")


def timed(label, call):
    began = time.perf_counter()
    result = call()
    spent = time.perf_counter() - began
    print(f"  {label}: {spent:.2f} s")
    return result, spent


def run_once(client, raw, label) -> float:
    print(f"{label} ({len(raw) / 1024:.0f} KB)")
    page = BeautifulSoup(client.get("/patients/import").get_data(as_text=True), "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    response, upload = timed("upload and parse", lambda: client.post(
        "/patients/import", data={"csrf_token": token, "team_id": "1",
                                  "file": (io.BytesIO(raw), "caseload.csv")}))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    path = response.headers["Location"]
    response, preview = timed("preview page", lambda: client.get(path))
    page = BeautifulSoup(response.get_data(as_text=True), "html.parser")
    statuses = [r["data-status"] for r in page.select("tr[data-status]")]
    print(f"  lines: {len(statuses)}; " + ", ".join(
        f"{s} {statuses.count(s)}" for s in ("new", "update", "unchanged", "error")))
    form = {"csrf_token": token,
            "fingerprint": page.select_one("input[name=fingerprint]")["value"]}
    response, run = timed("import", lambda: client.post(path + "/import", data=form))
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    total = upload + preview + run
    print(f"  total: {total:.2f} s (target under 10 s)")
    return total


def main() -> None:
    from mdt.demo import demo_nhs_numbers

    lines = int(sys.argv[1]) if len(sys.argv) > 1 else 5000
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    url = os.environ.get("DATABASE_URL") or f"sqlite:///{folder}/bench.sqlite3"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    numbers = demo_nhs_numbers(lines, start=800001)
    build(app, numbers, existing=lines // 5)
    client = app.test_client()
    page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": page.select_one("input[name=csrf_token]")["value"]})
    first = run_once(client, csv_bytes(numbers, moved=lines // 10),
                     f"{lines:,} lines, {lines // 5:,} already on the team")
    again = run_once(client, csv_bytes(numbers, moved=lines),
                     f"the same {lines:,} lines again, everyone moved")
    with app.app_context():
        from sqlalchemy import func, select

        from mdt.audit.models import AuditEvent
        from mdt.patients.models import Patient
        print(f"patients: {db.session.scalar(select(func.count(Patient.id))):,}; audit rows: "
              f"{db.session.scalar(select(func.count(AuditEvent.id))):,}")
    if max(first, again) >= 10:
        sys.exit("over the 10 s target")


if __name__ == "__main__":
    main()
