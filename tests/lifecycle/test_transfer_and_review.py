"""Issue 17: a move to another team keeps the history and tells the receiving chair; a
discharge and a re-referral; deaths since the last meeting; the place-of-death figure."""

from datetime import timedelta

from sqlalchemy import select

from mdt.actions.models import Action
from mdt.extensions import db
from mdt.meetings.models import DeathReview
from mdt.notifications.models import Notification
from mdt.patients.models import PatientTeam
from mdt.reports.queries import place_of_death_figures
from mdt.visits.models import Visit
from tests.conftest import ClientRequest
from tests.lifecycle.fixtures import TODAY, date_fields


def _two_steps(client, patient_id, kind, data, status=303):
    form = client.get("lifecycle.change", patient_id=patient_id, kind=kind)
    data = {**data, "version": form.select_one("input[name=version]")["value"]}
    summary = client.post("lifecycle.change", patient_id=patient_id, kind=kind, _data=data,
                          _expected_status=200)
    client.post("lifecycle.change", patient_id=patient_id, kind=kind,
                _data={**data, "step": "confirm"}, _expected_status=status)
    return summary


def test_a_transfer_keeps_the_history_and_tells_the_receiving_chair(app, client_request,
                                                                     caseload):
    client_request.sign_in(caseload.chair)
    summary = _two_steps(client_request, caseload.irene.id, "transfer",
                         {"to_team_id": caseload.hill_id, "notes": "Moved to her daughter's"})
    assert "Hillside" in summary.select_one("#lifecycle-summary").get_text()
    with app.app_context():
        links = {link.team_id: link.status for link in db.session.scalars(
            select(PatientTeam).where(PatientTeam.patient_id == caseload.irene.id))}
        assert links == {caseload.team_id: "transferred", caseload.hill_id: "on_caseload"}
        assert db.session.get(Visit, caseload.visit_id).status == "cancelled"
        told = db.session.scalars(select(Notification).where(
            Notification.user_id == caseload.hill_chair.id)).all()
        assert len(told) == 1 and "Fletcher" not in told[0].text
        link = told[0].link
    # The receiving chair sees her, with the history the first team wrote.
    hill = ClientRequest(app)
    hill.sign_in(caseload.hill_chair)
    assert hill.client.get(link).status_code == 200
    page = hill.get("patients.show", patient_id=caseload.irene.id)
    assert "First contact" in page.select_one("#key-worker").get_text()  # the hand-over
    history = page.select_one("#caseload-history").get_text(" ", strip=True)
    assert "Riverside" in history and "moved to another team" in history.lower()
    assert page.select_one("#caseload-links") is not None  # on Hillside's caseload now
    # Riverside keeps her, read-only, and can re-refer her.
    page = client_request.get("patients.show", patient_id=caseload.irene.id)
    assert "read-only" in page.select_one("#caseload-status").get_text()
    client_request.post("patients.edit", patient_id=caseload.irene.id, _data={},
                        _expected_status=409)
    # A member of Riverside cannot move patients; only chairs.
    nurse = ClientRequest(app)
    nurse.sign_in(caseload.nurse)
    nurse.get("lifecycle.change", patient_id=caseload.other.id, kind="transfer",
              _expected_status=403)


def test_discharge_then_re_referral(app, client_request, caseload):
    client_request.sign_in(caseload.chair)
    _two_steps(client_request, caseload.other.id, "discharge", {"reason": "no_longer_needs"})
    listed = client_request.get("patients.index")
    assert "Whitfield" not in listed.select_one("#patient-results").get_text()
    discharged = client_request.get("patients.index", caseload="discharged")
    assert "Whitfield" in discharged.select_one("#patient-results").get_text()
    _two_steps(client_request, caseload.other.id, "re-refer", {})
    with app.app_context():
        assert db.session.scalar(select(PatientTeam.status).where(
            PatientTeam.patient_id == caseload.other.id)) == "on_caseload"
    # Discharge with "Other" needs a reason in words.
    page = client_request.post("lifecycle.change", patient_id=caseload.other.id,
                               kind="discharge", _data={"reason": "other"},
                               _expected_status=400)
    assert "Say why" in page.select_one(".nhsuk-error-summary").get_text()


def test_deaths_since_the_last_meeting_are_reviewed_into_the_minutes(app, client_request,
                                                                      caseload):
    client_request.sign_in(caseload.chair)
    died = TODAY - timedelta(days=2)
    _two_steps(client_request, caseload.irene.id, "died",
               {**date_fields("happened_on", died), "place": "home"})
    page = client_request.get("meetings.show", meeting_id=caseload.meeting_id)
    section = page.select_one("#deaths")
    assert "Irene Fletcher died on" in section.get_text()
    assert "(the preferred place)" in section.get_text()
    listed = [r.get_text(" ", strip=True) for r in page.select("li.case-row")]
    assert listed and not any("Fletcher" in r for r in listed), listed
    client_request.post("meetings.death_review", meeting_id=caseload.meeting_id,
                        patient_id=caseload.irene.id,
                        _data={"went_well": "Died at home as she wished",
                               "would_change": "Earlier syringe driver"})
    client_request.post("meetings.death_review", meeting_id=caseload.meeting_id,
                        patient_id=caseload.other.id, _data={"went_well": "x"},
                        _expected_status=404)  # not a death for this meeting
    empty = client_request.post("meetings.death_review", meeting_id=caseload.meeting_id,
                                patient_id=caseload.irene.id, _data={}, _expected_status=400)
    assert "Enter what went well" in empty.select_one(".nhsuk-error-summary").get_text()
    minutes = client_request.get("meetings.minutes", meeting_id=caseload.meeting_id)
    text = minutes.select_one("#deaths").get_text(" ", strip=True)
    assert "Died at home as she wished" in text and "Earlier syringe driver" in text
    with app.app_context():
        assert db.session.scalar(select(db.func.count(DeathReview.id))) == 1
    figures = client_request.get("reports.figures", team_id=caseload.team_id)
    assert figures.select_one("#preferred-share").get_text() == "100%"
    table = figures.select_one("#place-of-death-table").get_text(" ", strip=True)
    assert died.strftime("%B %Y") + " 1 1 1 100%" in table
    with app.app_context():  # the follow-up box was left unticked: none added
        assert db.session.scalar(select(Action).where(
            Action.description.startswith("Bereavement"))) is None


def test_place_of_death_figures_count_only_known_preferences():
    first = TODAY.replace(day=1) - timedelta(days=1)
    first = first.replace(day=1)
    events = [(first, {"preferred_place_met": True}),
              (first + timedelta(days=3), {"preferred_place_met": False}),
              (first + timedelta(days=4), {"preferred_place_met": None}),
              (first.replace(year=first.year - 2), {"preferred_place_met": True})]
    months, total = place_of_death_figures(events, first)
    assert months[0].deaths == 3 and months[0].preference_known == 2
    assert months[0].preferred_percent == 50 and months[0].known_percent == 67
    assert total.deaths == 3 and months[1].preferred_percent is None
