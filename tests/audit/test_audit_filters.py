"""Issue 24: the audit page shows every event the app writes, finds one patient's events
among thousands with a constant number of queries, and exports what it shows."""

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from bs4 import BeautifulSoup
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select

from mdt.audit import service as audit
from mdt.audit.details import describe
from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.timeutil import london_today, utcnow
from tests.actions.test_actions import _add
from tests.conftest import ClientRequest, count_queries

SOURCE = Path(__file__).resolve().parents[2] / "mdt"


def _kinds_the_app_writes() -> set[str]:
    """Every record_type written anywhere in the code: a new kind is tested by itself."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        found.update(re.findall(r'record_type="(\w+)"', path.read_text()))
    return found


def _team_id(app, name="Riverside"):
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        return get_or_create_team(name).id


def test_an_action_with_no_patient_leaves_the_audit_page_working(app, client_request,
                                                                  make_user):
    chair = make_user(role="chair", name="Grace Okafor")
    client_request.sign_in(chair)
    _add(client_request, None, chair.id, description="Book the room for January")
    page = client_request.get("audit.index")
    rows = [r.get_text(" ", strip=True) for r in page.select("tr.audit-event")]
    created = [r for r in rows if " create action" in r]
    assert len(created) == 1
    assert "patient_id: none" in created[0]
    assert "Book the room for January" in created[0]


def test_every_kind_of_event_with_any_details_renders(app, client_request, make_user):
    chair = make_user(role="chair")
    team_id = _team_id(app)
    kinds = _kinds_the_app_writes()
    assert {"patient", "action", "visit", "case", "referral"} <= kinds
    odd = [None, {}, {"patient_id": None}, {"n": 3, "x": 1.5, "ok": True},
           {"list": [1, None, "a", [2, 3], {"k": "v"}]}, {"pair": [None, ""]},
           {"long": "x" * 5000}, {"nested": {"a": {"b": [None]}}}, ["top", "level"],
           "just text", 42, {"<script>": "<b>bold</b>"}]
    with app.app_context():
        for i, kind in enumerate(sorted(kinds)):
            db.session.execute(insert(AuditEvent).values(
                at=utcnow(), user_id=chair.id, role="chair", team_id=team_id, action="change",
                record_type=kind, record_id=i + 1, outcome="ok", changes=odd[i % len(odd)]))
        db.session.commit()
    client_request.sign_in(chair)
    body = client_request.client.get("/audit?action=change").get_data(as_text=True)
    assert "<script>" not in body.split("</header>")[1]
    page = client_request.get("audit.index", action="change")
    shown = {r.select("td")[3].get_text(" ", strip=True).split()[0]
             for r in page.select("tr.audit-event")}
    assert shown == kinds
    assert "x" * 400 not in page.get_text()  # long text is clipped, not dropped
    assert "x" * 200 in page.get_text()


def test_filters_find_one_patients_events_among_ten_thousand(app, client_request, make_user,
                                                             make_patient):
    chair = make_user(role="chair", name="Grace Okafor")
    nurse = make_user(name="Priya Patel")
    irene = make_patient(given="Irene", family="Fletcher")
    other = make_patient(given="Olive", family="Other")
    team_id = _team_id(app)

    def fill(count):
        rows = [dict(at=utcnow() - timedelta(minutes=i), user_id=nurse.id, role="member",
                     team_id=team_id, action="view", record_type="patient",
                     record_id=other.id, patient_id=other.id, outcome="ok", changes={})
                for i in range(count)]
        with app.app_context():
            db.session.execute(insert(AuditEvent), rows)
            db.session.commit()

    def page_queries():
        with app.app_context(), count_queries(db.engine) as statements:
            page = client_request.get("audit.index", patient_id=irene.id)
        return page, len(statements)

    client_request.sign_in(chair)
    fill(10)
    _, small = page_queries()
    fill(9_990)
    with app.app_context():  # three events about Irene, one of them a month ago
        for days, action in ((30, "view"), (1, "change"), (0, "view")):
            audit.record(user_id=nurse.id, role="member", team_id=team_id, action=action,
                         record_type="patient", record_id=irene.id).at = (
                utcnow() - timedelta(days=days))
        db.session.commit()
        assert db.session.scalar(select(func.count(AuditEvent.id))) > 10_000
    page, large = page_queries()
    assert small == large, (small, large)
    rows = [r.get_text(" ", strip=True) for r in page.select("tr.audit-event")]
    # Her three events, and the chair's first look at her trail (audited too).
    assert len([r for r in rows if "Priya Patel" in r]) == 3
    assert len([r for r in rows if "audit_log" in r]) == 1 and len(rows) == 4
    assert "of 4" in page.select_one("#audit-count").get_text()
    assert "Irene Fletcher" in page.select_one("#audit-patient").get_text()

    # The form finds her by name (a POST) and redirects to a URL with ids only.
    response = client_request.client.post("/audit", data={
        "csrf_token": client_request.csrf_token("/audit"), "patient": "fletcher",
        "action": "view", "from": (london_today() - timedelta(days=7)).isoformat()})
    assert response.status_code == 303
    location = response.headers["Location"]
    assert "fletcher" not in location.lower() and f"patient_id={irene.id}" in location
    page = client_request.client.get(location)
    rows = [r.get_text(" ", strip=True) for r in BeautifulSoup(
        page.get_data(as_text=True), "html.parser").select("tr.audit-event")]
    # the nurse's view today (not the change, not the view a month ago) and the chair's looks
    assert len([r for r in rows if "Priya Patel" in r]) == 1

    # ... and by NHS number, with spaces.
    spaced = f"{irene.nhs_number[:3]} {irene.nhs_number[3:6]} {irene.nhs_number[6:]}"
    response = client_request.client.post("/audit", data={
        "csrf_token": client_request.csrf_token("/audit"), "patient": spaced})
    assert f"patient_id={irene.id}" in response.headers["Location"]

    # Paginated: 50 a page, the count of everything.
    page = client_request.get("audit.index", page=2)
    assert len(page.select("tr.audit-event")) == 50
    assert "51 to 100 of" in page.select_one("#audit-count").get_text()

    # The CSV holds exactly the filtered events.
    response = client_request.client.get(f"/audit/events.csv?patient_id={irene.id}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["patient_id"] for r in rows} == {str(irene.id)}
    assert len([r for r in rows if r["user"] == "Priya Patel"]) == 3
    print(f"audit page queries: {small} at 10 events, {large} at 10,000")


def test_patient_filter_is_scoped_and_bad_input_is_explained(app, client_request, make_user,
                                                             make_patient):
    chair = make_user(role="chair")
    hidden = make_patient(team="Hillside", given="Hidden", family="Person")
    client_request.sign_in(chair)
    client_request.get("audit.index", patient_id=hidden.id, _expected_status=404)
    assert client_request.client.get(
        f"/audit/events.csv?patient_id={hidden.id}").status_code == 404
    response = client_request.client.post("/audit", data={
        "csrf_token": client_request.csrf_token("/audit"), "patient": "Person"})
    assert response.status_code == 400
    assert "No patient on the teams you chair" in response.get_data(as_text=True)
    page = client_request.get("audit.index", _expected_status=200, **{"from": "2026-13-45",
                                                                       "page": "abc"})
    assert "must be a real date" in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.outcome == "refused", AuditEvent.record_type == "audit_log")).all()
        assert len(refused) == 2 and {e.patient_id for e in refused} == {hidden.id}


def test_a_csv_of_the_log_cannot_carry_a_formula(app, client_request, make_user):
    chair = make_user(role="chair")
    with app.app_context():
        db.session.add(AuditEvent(user_id=chair.id, role="chair", team_id=_team_id(app),
                                  action="change", record_type="=cmd|' /C calc'!A0",
                                  changes={"note": "=1+1"}))
        db.session.commit()
    client_request.sign_in(chair)
    body = client_request.client.get("/audit/events.csv?action=change").get_data(as_text=True)
    assert "'=cmd" in body
    assert "\n=" not in body and ",=" not in body


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=10), children, max_size=4), max_leaves=12)


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(changes=json_values)
def test_any_json_details_render_as_text(app, changes):
    from types import SimpleNamespace

    from flask import render_template

    pairs = describe(changes)
    assert all(isinstance(label, str) and isinstance(text, str) for label, text in pairs)
    assert all(len(text) <= 300 for _, text in pairs)
    event = SimpleNamespace(at=utcnow(), role="chair", action="change", record_type="case",
                            address="10.0.0.1",
                            record_id=1, patient_id=None, outcome="ok", changes=changes)
    with app.test_request_context():
        html = render_template("audit/_event.html", event=event, user_name="A",
                               describe=describe)
    assert html.count("<td") == 7
    assert "<script" not in html.lower() or "&lt;script" in html.lower()


def test_an_admin_on_no_team_sees_no_names_or_nhs_numbers(app, client_request, make_user):
    from tests.patients.test_views import GOOD

    digits = GOOD["nhs_number"].replace(" ", "")
    chair = make_user(role="chair")
    admin = make_user(team=None, is_admin=True)
    client_request.sign_in(chair)
    client_request.post("patients.new", _data=dict(GOOD, team_id=_team_id(app)))
    client_request.client.post("/patients/search", data={
        "q": "Ellis", "csrf_token": client_request.csrf_token()})
    mine = client_request.get("audit.index").get_text()
    assert GOOD["family_name"] in mine  # the chair, on the team, sees the details
    admin_client = ClientRequest(app).sign_in(admin)
    text = admin_client.get("audit.index").get_text()
    assert "create patient" in " ".join(text.split())
    assert GOOD["family_name"] not in text and digits not in text
    assert "(withheld: not your team)" in text
    csv_text = admin_client.client.get("/audit/events.csv").get_data(as_text=True)
    assert GOOD["family_name"] not in csv_text and digits not in csv_text
    with app.app_context():  # search words are kept only as a keyed hash
        searches = [e.changes for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.record_type == "patient_list"))]
    searched = [c for c in searches if "search_hmac" in c]
    assert searched and not any("Ellis" in str(c) for c in searches)
