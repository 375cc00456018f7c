"""seed-scale (issue 21): a tiny ICB on the test database, then the pages the load test
drives answer for the people it signs in as."""

import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from mdt.actions.models import Action
from mdt.calendar.models import CalendarFeed
from mdt.extensions import db
from mdt.meetings.models import Case, Meeting
from mdt.patients.models import Patient, PatientTeam
from mdt.teams.models import Membership, Team
from mdt.visits.models import Visit
from tests.conftest import ClientRequest

SIZE = ["--teams", "3", "--patients", "60", "--users", "30", "--months", "2", "--live", "2"]


@pytest.fixture
def manifest(app, tmp_path):
    out = tmp_path / "icb.json"
    result = app.test_cli_runner().invoke(args=["seed-scale", *SIZE, "--out", str(out)])
    assert result.exit_code == 0, result.output
    return json.loads(out.read_text())


def _count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seeds_an_icb_in_miniature(app, manifest):
    with app.app_context():
        assert _count(Team) == 3
        assert _count(Patient) == 60 == _count(PatientTeam, PatientTeam.key_worker_id.is_not(
            None)) + _count(PatientTeam, PatientTeam.key_worker_id.is_(None))
        assert _count(Membership) > 30  # some people sit on two teams
        assert _count(Membership, Membership.role == "chair") >= 3
        # Two months of fortnightly meetings and the next two, per team.
        assert 3 * 6 <= _count(Meeting) <= 3 * 9
        assert _count(Meeting, Meeting.status == "in_progress") == 2
        assert _count(Case, Case.status == "discussed") > 0
        assert _count(Case, Case.status == "listed") > 0
        assert {a for (a,) in db.session.execute(select(Action.status).distinct())} >= {
            "open", "done"}
        assert _count(Visit) > 0
        assert _count(CalendarFeed) == 30 + 3
    assert manifest["counts"]["patients"] == 60
    assert len(manifest["feeds"]) == 30 and len(manifest["live_meetings"]) == 2
    assert all(len(m["case_ids"]) == 20 for m in manifest["live_meetings"])  # whole caseload


def test_seeded_people_use_the_pages_the_load_test_drives(app, manifest):
    password = manifest["password"]
    chair = ClientRequest(app).sign_in(SimpleNamespace(email=manifest["chairs"][0]["email"]),
                                       password)
    upcoming = next(m for m in manifest["next_meetings"]
                    if m["chair"] == manifest["chairs"][0]["email"])
    chair.get("meetings.show", meeting_id=upcoming["meeting_id"])
    chair.get("patients.index")
    live = manifest["live_meetings"][0]
    assert live["chair"] == manifest["chairs"][0]["email"]
    chair.get("meetings.live", meeting_id=live["meeting_id"])
    panel = chair.get("meetings.live", _htmx=True, meeting_id=live["meeting_id"],
                      case=live["case_ids"][1])
    assert panel.select_one(f"#case-record-{live['case_ids'][1]}")
    token = chair.csrf_token(f"/meetings/{live['meeting_id']}/live")
    response = chair.client.post(
        f"/meetings/{live['meeting_id']}/live/{live['case_ids'][1]}/draft",
        data={"notes": "Seen at home on Monday", "outcome": "", "decisions": ""},
        headers={"HX-Request": "true", "X-CSRFToken": token})
    assert response.status_code == 200

    nurse = ClientRequest(app).sign_in(SimpleNamespace(email=manifest["nurses"][0]), password)
    day = nurse.get("visits.index")
    assert day.select("table tbody tr, .app-visit") or "visit" in day.get_text().lower()

    email = manifest["nurses"][0]
    feed = ClientRequest(app).client.get(f"/calendar/{manifest['feeds'][email]}.ics")
    assert feed.status_code == 200 and b"BEGIN:VCALENDAR" in feed.data
    again = ClientRequest(app).client.get(f"/calendar/{manifest['feeds'][email]}.ics",
                                          headers={"If-None-Match": feed.headers["ETag"]})
    assert again.status_code == 304


def test_refuses_production(app):
    app.config["MDT_ENV"] = "production"
    try:
        result = app.test_cli_runner().invoke(args=["seed-scale", *SIZE])
    finally:
        app.config["MDT_ENV"] = "development"
    assert result.exit_code != 0 and "production" in result.output
    with app.app_context():
        assert _count(Team) == 0


def test_refuses_a_database_already_seeded(app, manifest):
    result = app.test_cli_runner().invoke(args=["seed-scale", *SIZE])
    assert result.exit_code != 0 and "fresh database" in result.output
