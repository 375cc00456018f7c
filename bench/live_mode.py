"""Benchmark: live mode at 60 cases, each request against its floor in the same run.

The requests a chair makes in the room, each case in turn: the whole live page, the next
case (an htmx swap), a draft kept as she types, and one save (outcome and an action, the
whole case form). Each is timed alternately with its floor: a bare route answering the same
method with the same bytes (so the ratio is the cost of our queries and templates over Flask
itself, and load on the machine falls on both alike). Prints p50 and p95 for each (wall time,
and this thread's CPU time, which a loaded machine disturbs less: with PostgreSQL it leaves out
the server's own work), the ratios to the floor, the SQL queries of each (min-max over the
run: constant is the goal), and the queries a signed-in page pays before the page's own
(session, user, teams, header).

SQLite by default; BENCH_DATABASE_URL=postgresql://... for PostgreSQL (a new database,
dropped afterwards).

    .venv/bin/python bench/live_mode.py [cases]
"""

import cProfile
import os
import pstats
import sys
import tempfile
import time
from datetime import date, timedelta

os.environ.setdefault("SECRET_KEY", "bench")

from benchdb import fresh_database  # noqa: E402
from bs4 import BeautifulSoup  # noqa: E402
from flask import Response, render_template_string  # noqa: E402
from sqlalchemy import event  # noqa: E402

from mdt import create_app  # noqa: E402
from mdt.extensions import db  # noqa: E402

PASSWORD = "bench-password-123"


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
        chair = builder.user(email="bench@example.nhs.uk", name="Bench Chair",
                             password_hash=hash_password(PASSWORD), team=team.name, role="chair")
        meeting = Meeting(team_id=team.id, title="Bench MDT", starts_at=utcnow() + timedelta(days=7),
                          ends_at=utcnow() + timedelta(days=7, hours=2), chair_id=chair.id,
                          uid="bench@neighbourhood-mdt", status="in_progress")
        db.session.add(meeting)
        db.session.flush()
        for position, number in enumerate(demo_nhs_numbers(cases, start=700001), 1):
            patient = Patient(nhs_number=number, given_name="Bench", family_name=number,
                              date_of_birth=date(1950, 1, 1))
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team.id))
            db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id, position=position,
                                reason="Bench reason", urgency="routine"))
        db.session.commit()
        return meeting.id


class Counter:
    """The statements run on the engine (savepoints left out, as in the tests)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.before)

    def before(self, conn, cursor, statement, *args):
        if not statement.startswith(("SAVEPOINT ", "RELEASE SAVEPOINT ")):
            self.count += 1


class Series:
    def __init__(self):
        self.times, self.floors, self.queries, self.cpu, self.floor_cpu = [], [], [], [], []

    def line(self, name: str) -> str:
        def pct(found, q):
            found = sorted(found)
            return found[min(len(found) - 1, max(0, int(len(found) * q + 0.5) - 1))] * 1000
        p50, p95 = pct(self.times, 0.50), pct(self.times, 0.95)
        f50, f95 = pct(self.floors, 0.50), pct(self.floors, 0.95)
        c50, c95 = pct(self.cpu, 0.50), pct(self.cpu, 0.95)
        fc50 = pct(self.floor_cpu, 0.50)
        lo, hi = min(self.queries), max(self.queries)
        sql = f"{lo}" if lo == hi else f"{lo}-{hi}"
        return (f"{name:10} wall p50 {p50:5.1f} p95 {p95:5.1f} ms (floor {f50:4.1f} / "
                f"{f95:4.1f}; ratio p50 {p50 / f50:4.1f}x p95 {p95 / f95:4.1f}x) | CPU p50 "
                f"{c50:5.1f} p95 {c95:5.1f} ms (floor {fc50:4.1f}; ratio {c50 / fc50:4.1f}x) "
                f"| {sql:>5} queries")


def main() -> None:
    cases = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    folder = tempfile.mkdtemp(prefix="mdt-bench-")
    url, drop = fresh_database(folder)
    try:
        run(url, cases)
    finally:
        drop()


def run(url: str, cases: int) -> None:
    from mdt.auth.scope import team_member_required

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "REDIS_URL": "redis://127.0.0.1:1/0"})
    bodies = {}
    app.add_url_rule("/bench-bare/<kind>", "bench_bare", methods=["GET", "POST"],
                     view_func=lambda kind: Response(bodies[kind], mimetype="text/html"))
    app.add_url_rule("/bench-header", "bench_header", view_func=team_member_required(
        lambda: render_template_string('{% extends "layout.html" %}{% block page %}'
                                       '{% endblock %}')))
    meeting_id = build(app, cases)
    client = app.test_client()
    page = BeautifulSoup(client.get("/sign-in").get_data(as_text=True), "html.parser")
    client.post("/sign-in", data={"email": "bench@example.nhs.uk", "password": PASSWORD,
                                  "csrf_token": page.select_one("input[name=csrf_token]")["value"]})
    with app.app_context():
        counter = Counter(db.engine)

    profile_kind = os.environ.get("BENCH_PROFILE")  # e.g. "save": where its time goes
    profiler = cProfile.Profile() if profile_kind else None

    def timed(series, kind, method, path, **kwargs):
        before = counter.count
        if kind == profile_kind:
            profiler.enable()
        began, cpu = time.perf_counter(), time.thread_time()
        response = getattr(client, method)(path, **kwargs)
        series.times.append(time.perf_counter() - began)
        if kind == profile_kind:
            profiler.disable()
        series.cpu.append(time.thread_time() - cpu)
        series.queries.append(counter.count - before)
        assert response.status_code == 200, (path, response.status_code)
        bodies[kind] = response.get_data()
        began, cpu = time.perf_counter(), time.thread_time()
        getattr(client, method)(f"/bench-bare/{kind}", data=kwargs.get("data"))
        series.floors.append(time.perf_counter() - began)
        series.floor_cpu.append(time.thread_time() - cpu)
        return response

    from mdt.meetings.models import Case
    from mdt.timeutil import london_today

    htmx = {"HX-Request": "true"}
    live_path = f"/meetings/{meeting_id}/live"
    page = BeautifulSoup(client.get(live_path).get_data(as_text=True), "html.parser")
    token = page.select_one("input[name=csrf_token]")["value"]
    owner = page.select_one("select[name='actions-0-owner_id'] option[value!='']")["value"]
    due = london_today() + timedelta(days=7)
    with app.app_context():
        ids = [c.id for c in db.session.scalars(db.select(Case).where(
            Case.meeting_id == meeting_id).order_by(Case.position))]
    header = counter.count
    client.get("/bench-header")
    header = counter.count - header
    for kind in ("page", "next case", "draft", "save"):  # warm up (and a first body each)
        bodies[kind] = b""
    series = {name: Series() for name in ("live page", "next case", "draft", "save")}
    for case_id in ids:
        timed(series["live page"], "page", "get", f"{live_path}?case={case_id}")
        panel = timed(series["next case"], "next case", "get", f"{live_path}?case={case_id}",
                      headers=htmx)
        version = BeautifulSoup(panel.get_data(as_text=True), "html.parser").select_one(
            "input[name=version]")["value"]
        timed(series["draft"], "draft", "post", f"{live_path}/{case_id}/draft", headers=htmx,
              data={"csrf_token": token, "notes": "Typed in the room"})
        saved = timed(series["save"], "save", "post", f"{live_path}/{case_id}/record",
                      headers=htmx, data={
                          "csrf_token": token, "version": version,
                          "outcome": "Continue the plan", "notes": "Typed in the room",
                          "action_rows": "1", "seen_key_worker_id": "", "key_worker_id": "",
                          "actions-0-description": "Review in a week",
                          "actions-0-owner_id": owner, "actions-0-due_on[day]": str(due.day),
                          "actions-0-due_on[month]": str(due.month),
                          "actions-0-due_on[year]": str(due.year)})
        assert b"Saved" in saved.data
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
    database = url.split(":", 1)[0].split("+")[0]
    load = os.getloadavg()
    print(f"live mode, {cases} cases, {database}; load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f} on {os.cpu_count()} cores")
    print(f"bytes: page {len(bodies['page']):,}, next case {len(bodies['next case']):,}, "
          f"draft {len(bodies['draft']):,}, save {len(bodies['save']):,}")
    for name, found in series.items():
        print(found.line(name))
    print(f"a signed-in page with nothing on it (session, user, teams, the header's teams and "
          f"counts): {header} queries; the live page beyond that: "
          f"{min(series['live page'].queries) - header} (of which the meeting's loader 1 and "
          f"the audit row of a view of patient data 2)")


if __name__ == "__main__":
    main()
