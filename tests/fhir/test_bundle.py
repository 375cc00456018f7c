"""The FHIR R4 Bundle of a patient's MDT record validates against the fhir.resources models
and holds what the issue asks: the NHS number identifier, the key worker, an Encounter per
discussion, a Task per action, the recommendations in a CarePlan."""

import json
from datetime import UTC, date, datetime

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle

from mdt.fhir.bundle import NHS_NUMBER, Discussion, Record, TaskItem, build
from tests.conftest import ClientRequest
from tests.letters.conftest import finished  # noqa: F401  (the finished-meeting fixture)

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


def _record(**changes):
    fields = dict(patient_id=1, nhs_number="9997000013", title="Mrs", given_name="Joan",
                  family_name="Pemberton", date_of_birth=date(1940, 2, 3),
                  address="7 Weir Cottages\nMill Lane", postcode="RV1 2AX",
                  gp_practice="Riverside Medical Practice", team_name="Riverside MDT",
                  key_worker="Priya Patel", key_worker_phone="01632 960222",
                  discussions=[Discussion(5, "Riverside MDT", NOW, NOW, "Pain at night",
                                          "Refer to hospice", "Start medicines", "Grace")],
                  tasks=[TaskItem(9, 5, "Order a mattress", "Priya Patel", date(2026, 12, 1),
                                  "open", NOW),
                         TaskItem(10, None, "Call daughter", "Grace", date(2026, 11, 1),
                                  "done", NOW, date(2026, 11, 2))])
    fields.update(changes)
    return Record(**fields)


# The R4 value sets of the codes used (the models check structure and types, not codes).
CODES = {"Task.status": {"draft", "requested", "received", "accepted", "rejected", "ready",
                         "cancelled", "in-progress", "on-hold", "failed", "completed",
                         "entered-in-error"},
         "Task.intent": {"unknown", "proposal", "plan", "order", "original-order",
                         "reflex-order", "filler-order", "instance-order", "option"},
         "Encounter.status": {"planned", "arrived", "triaged", "in-progress", "onleave",
                              "finished", "cancelled", "entered-in-error", "unknown"},
         "CareTeam.status": {"proposed", "active", "suspended", "inactive",
                             "entered-in-error"},
         "CarePlan.status": {"draft", "active", "on-hold", "revoked", "completed",
                             "entered-in-error", "unknown"},
         "CarePlan.intent": {"proposal", "plan", "order", "option"}}


def validate(data) -> None:
    """The Bundle, and each resource against its own model, and the codes."""
    Bundle.model_validate(data)
    for entry in data["entry"]:
        resource = entry["resource"]
        kind = resource["resourceType"]
        get_fhir_model_class(kind).model_validate(resource)
        for name in ("status", "intent"):
            if f"{kind}.{name}" in CODES:
                assert resource[name] in CODES[f"{kind}.{name}"], (kind, name)
        assert entry["fullUrl"].startswith("urn:uuid:")


def _resources(bundle, kind):
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == kind]


def test_the_bundle_validates_and_holds_the_record():
    data = build(_record(), NOW)
    validate(data)  # raises on anything FHIR R4 does not allow
    [patient] = _resources(data, "Patient")
    assert patient["identifier"] == [{"system": NHS_NUMBER, "value": "9997000013"}]
    [team] = _resources(data, "CareTeam")
    assert team["participant"][0]["member"]["display"] == "Priya Patel"
    assert team["participant"][0]["role"][0]["text"] == "Key worker"
    [encounter] = _resources(data, "Encounter")
    tasks = _resources(data, "Task")
    assert [t["status"] for t in tasks] == ["requested", "completed"]
    assert tasks[0]["owner"]["display"] == "Priya Patel"
    assert tasks[0]["restriction"]["period"]["end"] == "2026-12-01"
    urls = {e["resource"]["resourceType"] + str(i): e["fullUrl"]
            for i, e in enumerate(data["entry"])}
    assert tasks[0]["encounter"]["reference"] in urls.values()
    [plan] = _resources(data, "CarePlan")
    assert "Refer to hospice" in plan["description"]
    assert len(plan["activity"]) == 1  # the open task
    assert build(_record(), NOW) == data  # stable ids: the same record, the same Bundle


def test_a_bare_record_validates_too():
    data = build(_record(key_worker=None, discussions=[], tasks=[], address="", postcode="",
                         gp_practice="", title=""), NOW)
    validate(data)
    assert "participant" not in _resources(data, "CareTeam")[0]


def test_the_team_downloads_it_and_the_download_is_audited(app, finished):  # noqa: F811
    from sqlalchemy import select

    from mdt.audit.models import AuditEvent
    from mdt.extensions import db

    joan = finished.ours["joan"]
    nurse = ClientRequest(app).sign_in(finished.nurse)
    response = nurse.client.get(f"/patients/{joan.id}/record.fhir.json")
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    data = json.loads(response.get_data())
    validate(data)
    assert len(_resources(data, "Encounter")) == 1
    assert [t["description"] for t in _resources(data, "Task")] == ["Order a pressure mattress"]
    assert _resources(data, "CareTeam")[0]["participant"][0]["member"]["display"] == \
        "Priya Patel"
    with app.app_context():
        event = db.session.scalar(select(AuditEvent).where(
            AuditEvent.record_type == "fhir_bundle"))
        assert (event.action, event.patient_id) == ("export", joan.id)
    outsider = ClientRequest(app).sign_in(finished.outsider)
    assert outsider.client.get(f"/patients/{joan.id}/record.fhir.json").status_code == 404
