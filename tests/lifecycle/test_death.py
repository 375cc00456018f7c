"""Issue 17: a recorded death reaches everything, in one transaction, after a summary."""

from datetime import timedelta

from sqlalchemy import select

from mdt.actions.models import Action
from mdt.extensions import db
from mdt.meetings.models import Case
from mdt.notifications.models import Notification
from mdt.patients.models import KeyInfoSection, LifecycleEvent, PatientTeam
from mdt.visits.models import Visit
from tests.conftest import ClientRequest
from tests.lifecycle.fixtures import TODAY, date_fields

DIED = TODAY - timedelta(days=1)


def _death_form(**extra):
    return {**date_fields("happened_on", DIED), "place": "home", "notes": "", **extra}


def test_recording_a_death_shows_what_follows_then_does_all_of_it(app, client_request,
                                                                   caseload):
    client_request.sign_in(caseload.chair)
    page = client_request.get("patients.show", patient_id=caseload.irene.id)
    link = page.select_one("#caseload-links a")
    assert link.get_text() == "Record a death"
    form = client_request.get("lifecycle.change", patient_id=caseload.irene.id, kind="died")
    version = form.select_one("input[name=version]")["value"]
    summary = client_request.post("lifecycle.change", patient_id=caseload.irene.id,
                                  kind="died", _expected_status=200,
                                  _data=_death_form(version=version))
    text = " ".join(summary.select_one("#lifecycle-summary").get_text().split())
    assert "Recording this death will:" in text
    assert "cancel 1 planned visit" in text and "Yusuf Ali is told" in text
    assert "case list" in text and "Deaths since the last meeting" in text
    assert "close 3 open actions" in text
    assert "stop the reminders about Irene and set their HNA reviews aside" in text
    # Nothing has changed yet.
    with app.app_context():
        assert db.session.get(Visit, caseload.visit_id).status == "planned"
    keep = caseload.action_ids[0]
    confirm = {**_death_form(version=version), "step": "confirm", "keep_action_ids": [keep],
               "bereavement": ["yes"]}
    assert "Tom Fletcher (Son, 07700 900123)" in summary.get_text()
    client_request.post("lifecycle.change", patient_id=caseload.irene.id, kind="died",
                        _data=confirm)
    with app.app_context():
        visit = db.session.get(Visit, caseload.visit_id)
        assert visit.status == "cancelled" and "died" in visit.cancel_reason
        told = db.session.scalars(select(Notification.text).where(
            Notification.user_id == caseload.nurse.id)).all()
        assert any("cancelled" in t for t in told) and not any("Irene" in t for t in told)
        assert db.session.get(Case, caseload.case_id).status == "removed"
        statuses = {a.id: a.status for a in db.session.scalars(
            select(Action).where(Action.id.in_(caseload.action_ids)))}
        assert statuses == {keep: "open", caseload.action_ids[1]: "cancelled",
                            caseload.action_ids[2]: "cancelled"}
        bereavement = db.session.scalar(select(Action).where(
            Action.description.startswith("Bereavement follow-up")))
        assert bereavement.owner_id == caseload.nurse.id and bereavement.status == "open"
        assert "Tom Fletcher" in bereavement.description
        assert bereavement.due_on == DIED + timedelta(days=14)
        link = db.session.scalar(select(PatientTeam).where(
            PatientTeam.patient_id == caseload.irene.id))
        assert link.status == "died" and link.status_changed_on == DIED
        event = db.session.scalar(select(LifecycleEvent))
        assert event.details["place"] == "home" and event.details["preferred_place_met"] is True
        death = db.session.scalar(select(KeyInfoSection).where(
            KeyInfoSection.section == "death"))
        assert death.data["date_of_death"] == DIED.isoformat()

    # A second confirm (double submit, or a second tab) changes nothing more.
    again = client_request.post("lifecycle.change", patient_id=caseload.irene.id, kind="died",
                                _data=confirm, _expected_status=400)
    assert "cannot be marked" in again.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.scalar(select(db.func.count(LifecycleEvent.id))) == 1

    # The record is read-only now, and she is offered nowhere.
    page = client_request.get("patients.show", patient_id=caseload.irene.id)
    assert "Died on" in page.select_one("#caseload-status").get_text()
    assert page.select_one("#caseload-links") is None
    client_request.post("patients.stage", patient_id=caseload.irene.id,
                        _data={"stage": "end_of_life"}, _expected_status=409)
    new_visit = client_request.get("visits.new")
    assert "Fletcher" not in new_visit.select_one("select[name=patient_id]").get_text()
    assert "Whitfield" in new_visit.select_one("select[name=patient_id]").get_text()
    client_request.post("actions.new", _data={
        "patient_id": caseload.irene.id, "description": "Another thing",
        "owner_id": caseload.nurse.id, "priority": "normal",
        **date_fields("due_on", TODAY + timedelta(days=2))}, _expected_status=400)


def test_a_nurse_records_a_death_and_a_stale_summary_is_refused(app, client_request,
                                                                caseload):
    nurse = ClientRequest(app)
    nurse.sign_in(caseload.nurse)
    form = nurse.get("lifecycle.change", patient_id=caseload.irene.id, kind="died")
    version = form.select_one("input[name=version]")["value"]
    # Someone changes her record after the nurse read the summary.
    client_request.sign_in(caseload.chair)
    edit = client_request.get("patients.stage", patient_id=caseload.irene.id)
    client_request.post("patients.stage", patient_id=caseload.irene.id, _data={
        "stage": "end_of_life", "version": edit.select_one("input[name=version]")["value"],
        **date_fields("changed_on", TODAY)})
    refused = nurse.post("lifecycle.change", patient_id=caseload.irene.id, kind="died",
                         _data={**_death_form(version=version), "step": "confirm"},
                         _expected_status=409)
    assert "Someone else changed" in refused.get_text()
    with app.app_context():
        assert db.session.get(Visit, caseload.visit_id).status == "planned"


def test_bad_death_details_are_explained(app, client_request, caseload):
    client_request.sign_in(caseload.chair)
    for data, message in (
            ({**date_fields("happened_on", TODAY + timedelta(days=3)), "place": "home"},
             "today or in the past"),
            ({**date_fields("happened_on", DIED), "place": "moon"}, "Choose the place"),
            ({"happened_on[day]": "31", "happened_on[month]": "2",
              "happened_on[year]": "2026", "place": "home"}, "must be a real date"),
            ({**date_fields("happened_on", DIED), "place": "home", "notes": "x" * 1001},
             "1000 characters or fewer")):
        page = client_request.post("lifecycle.change", patient_id=caseload.irene.id,
                                   kind="died", _data=data, _expected_status=400)
        assert message in page.select_one(".nhsuk-error-summary").get_text(), message
    outsider = ClientRequest(app)
    outsider.sign_in(caseload.hill_chair)
    outsider.get("lifecycle.change", patient_id=caseload.irene.id, kind="died",
                 _expected_status=404)


def test_the_key_information_death_section_leads_to_recording_the_death(app, client_request,
                                                                        caseload):
    client_request.sign_in(caseload.chair)
    for method in ("get", "post"):
        response = getattr(client_request.client, method)(
            f"/patients/{caseload.irene.id}/key-information/death",
            data={"date_of_death[day]": "1"} if method == "post" else None)
        assert response.status_code in (303, 400)
        if response.status_code == 303:
            assert response.headers["Location"].endswith(
                f"/patients/{caseload.irene.id}/caseload/died")
    with app.app_context():
        assert db.session.scalar(select(KeyInfoSection).where(
            KeyInfoSection.section == "death")) is None
