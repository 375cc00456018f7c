"""Issue 19: every route that shows patient data is declared, and each read of it writes
exactly one audit row naming the patient; a refused id leaves a trace."""

from sqlalchemy import func, select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.patients.models import Patient
from tests.conftest import ClientRequest
from tests.test_route_matrix import QUERY, _get_rules, world  # noqa: F401

GIVEN, FAMILY = "Zebedee", "Quixotic"


def _path(app, endpoint, ids):
    rule = _get_rules(app)[endpoint]
    return app.url_map.bind("localhost").build(
        endpoint, {a: ids[a] for a in rule.arguments}) + QUERY.get(endpoint, "")


def _views(app):
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.outcome == "ok", AuditEvent.action.in_(("view", "export"))))


def test_every_route_showing_patient_data_is_declared_and_audited_once(app, world):  # noqa: F811
    users, ids = world
    with app.app_context():
        patient = db.session.get(Patient, ids["patient_id"])
        patient.given_name, patient.family_name = GIVEN, FAMILY
        nhs_number = patient.nhs_number
        db.session.commit()
    chair = ClientRequest(app).sign_in(users["chair"])
    shown, undeclared, wrong_count = [], [], []
    rules = _get_rules(app)
    for endpoint in sorted(rules):
        if endpoint in ("static", "auth.sign_in") or "token" in rules[endpoint].arguments:
            continue
        before = _views(app)
        response = chair.client.get(_path(app, endpoint, ids))
        body = response.get_data().decode("utf-8", "replace")  # PDFs are binary
        view = app.view_functions[endpoint]
        declared = getattr(view, "patient_data", None)
        if FAMILY in body or nhs_number in body or f"{nhs_number[:3]} {nhs_number[3:6]}" in body:
            shown.append(endpoint)
            if not declared:
                undeclared.append(endpoint)
        if declared and response.status_code == 200 and _views(app) - before != 1:
            wrong_count.append((endpoint, _views(app) - before))
    declared_total = [e for e in rules if getattr(app.view_functions[e], "patient_data", None)]
    print(f"routes showing patient data: {len(shown)}; declared {len(declared_total)} of "
          f"{len(rules)} routes")
    assert undeclared == [], " ".join(undeclared)
    assert wrong_count == []
    assert len(shown) >= 15


def test_a_read_names_its_patients_and_where_it_came_from(app, world):  # noqa: F811
    users, ids = world
    chair = ClientRequest(app).sign_in(users["chair"])
    chair.client.get(f"/patients/{ids['patient_id']}/edit", environ_base={
        "REMOTE_ADDR": "10.20.30.40"})
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "view").order_by(AuditEvent.id.desc())).first()
        assert event.patient_id == ids["patient_id"]
        assert event.address == "10.20.30.40"
        assert event.changes["route"] == "patients.edit"


def test_another_teams_id_leaves_a_refusal(app, world):  # noqa: F811
    users, ids = world
    other = ClientRequest(app).sign_in(users["other"])
    for endpoint in ("patients.show", "patients.key_worker", "meetings.live", "actions.show",
                     "visits.edit", "referrals.show"):
        assert other.client.get(_path(app, endpoint, ids)).status_code == 404
    with app.app_context():
        refused = db.session.scalars(select(AuditEvent).where(
            AuditEvent.outcome == "refused", AuditEvent.user_id == users["other"].id)).all()
    assert len(refused) == 6
    assert {e.changes["status"] for e in refused} == {404}
