"""Key worker, key information, pathway stage, HNAs and the printable summary, end to end."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from mdt.extensions import db
from mdt.patients.models import KeyInfoSection, KeyWorkerHandover, Patient, PatientTeam
from mdt.timeutil import london_today
from tests.conftest import ClientRequest
from tests.patients.test_views import _events

TODAY = london_today()


def _date(prefix, day: date) -> dict:
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


@pytest.fixture
def team(make_user, make_patient):
    """A chair, a navigator, a patient on their team, and a patient of another team."""
    chair = make_user(name="Grace Okafor", role="chair")
    navigator = make_user(name="Jo Lee", phone="0300 111 2222")
    outsider = make_user(name="Out Sider", team="Hillside")
    patient = make_patient(given="Margaret", family="Ellis")
    theirs = make_patient(team="Hillside", given="Vera", family="Lindqvist")
    return type("Team", (), dict(chair=chair, navigator=navigator, outsider=outsider,
                                 patient=patient, theirs=theirs))


def test_assign_key_worker_shows_everywhere_with_history_and_audit(app, client_request, team):
    client_request.sign_in(team.chair)
    page = client_request.get("patients.key_worker", patient_id=team.patient.id)
    assert page.select_one("input[name=seen_key_worker_id]")["value"] == ""
    client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.navigator.id, "reason": "Knows the family well",
        "seen_key_worker_id": ""})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "Jo Lee" in page.select_one("#at-a-glance").get_text()
    assert "0300 111 2222" in page.select_one("#key-worker").get_text()
    history = page.select("tr.handover")
    assert len(history) == 1 and "Knows the family well" in history[0].get_text()
    listing = client_request.get("patients.index")
    assert "Jo Lee" in listing.select_one("#patient-table").get_text()
    change = [e for e in _events(app, record_type="key_worker") if e[2] == "ok"]
    assert change[0][4]["key_worker"] == ["", "Jo Lee"]


def test_key_worker_must_be_a_team_member_and_a_reason_given(app, client_request, team):
    client_request.sign_in(team.chair)
    page = client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.outsider.id, "reason": "Forged", "seen_key_worker_id": ""},
        _expected_status=400)
    assert "Choose a member of the team" in page.select_one(".nhsuk-error-summary").get_text()
    page = client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.navigator.id, "reason": "", "seen_key_worker_id": ""},
        _expected_status=400)
    assert "Enter the reason" in page.get_text()
    with app.app_context():
        assert db.session.scalar(select(PatientTeam.key_worker_id)) is None
        assert db.session.scalar(select(KeyWorkerHandover)) is None


def test_a_key_worker_change_made_meanwhile_is_not_overwritten(app, client_request, team,
                                                               make_user):
    other = make_user(name="Priya Patel")
    client_request.sign_in(team.chair)
    client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.navigator.id, "reason": "First", "seen_key_worker_id": ""})
    # A colleague who opened the form before that change now saves theirs.
    page = client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": other.id, "reason": "Second", "seen_key_worker_id": ""},
        _expected_status=400)
    assert "Someone else changed the key worker to Jo Lee" in page.get_text()
    assert page.select_one("#reason").get_text().strip() == "Second"  # typed text kept
    with app.app_context():
        assert db.session.scalar(select(PatientTeam.key_worker_id).where(
            PatientTeam.patient_id == team.patient.id)) == team.navigator.id


def test_patients_without_a_key_worker_are_flagged_and_filterable(client_request, team,
                                                                  make_patient):
    make_patient(given="Arthur", family="Whitfield")
    client_request.sign_in(team.chair)
    client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.chair.id, "reason": "Chair takes it", "seen_key_worker_id": ""})
    page = client_request.get("patients.index", key_worker="none")
    rows = page.select("#patient-table tbody tr")
    assert [r.select_one("a").get_text() for r in rows] == ["Whitfield, Arthur"]
    assert "No key worker" in rows[0].get_text()
    mine = client_request.get("patients.index", key_worker="me")
    assert [r.select_one("a").get_text() for r in mine.select("#patient-table tbody tr")] == \
        ["Ellis, Margaret"]


def _section(client_request, patient_id, name):
    page = client_request.get("patients.key_information", patient_id=patient_id,
                              section_name=name)
    return page.select_one("input[name=version]")["value"]


def test_key_information_section_saved_shown_and_audited(app, client_request, team):
    client_request.sign_in(team.navigator)
    version = _section(client_request, team.patient.id, "wishes")
    client_request.post("patients.key_information", patient_id=team.patient.id,
                        section_name="wishes", _data={
                            "version": version, "preferred_place_of_care": "home",
                            "preferred_place_of_death": "hospice",
                            "wishes_notes": "<b>Bramble</b> the cat stays"})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    glance = page.select_one("#at-a-glance").get_text()
    assert "Home" in glance and "Hospice" in glance
    section = page.select_one("#section-wishes")
    assert "Last changed by Jo Lee" in section.get_text()
    assert "<b>Bramble</b> the cat stays" in section.get_text()  # shown as text
    assert section.select_one("b") is None
    events = [e for e in _events(app, record_type="key_information") if e[2] == "ok"]
    assert events[0][4]["section"] == "wishes"
    assert events[0][4]["preferred_place_of_death"] == ["", "hospice"]


@pytest.mark.parametrize("section, data, message", [
    ("resuscitation", {"resuscitation_status": "", **_date("resuscitation_date", date(2026, 1, 5))},
     "Select the DNACPR / ReSPECT status"),
    ("what_matters", {"what_matters": "x" * 2001}, "2000 characters or fewer"),
    ("wishes", {"preferred_place_of_care": "the-moon"}, "valid option"),
])
def test_key_information_bad_input(app, client_request, team, section, data, message):
    client_request.sign_in(team.navigator)
    version = _section(client_request, team.patient.id, section)
    page = client_request.post("patients.key_information", patient_id=team.patient.id,
                               section_name=section, _data={"version": version, **data},
                               _expected_status=400)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.scalar(select(KeyInfoSection)) is None


def test_two_people_editing_a_section_the_second_is_told_not_overwritten(
        app, client_request, team):
    colleague = ClientRequest(app)
    colleague.sign_in(team.chair)
    client_request.sign_in(team.navigator)
    mine = _section(client_request, team.patient.id, "what_matters")
    theirs = _section(colleague, team.patient.id, "what_matters")
    colleague.post("patients.key_information", patient_id=team.patient.id,
                   section_name="what_matters",
                   _data={"version": theirs, "what_matters": "Her garden"})
    page = client_request.post("patients.key_information", patient_id=team.patient.id,
                               section_name="what_matters",
                               _data={"version": mine, "what_matters": "Her cat"},
                               _expected_status=400)
    assert "Grace Okafor saved this section" in page.select_one(".nhsuk-error-summary").get_text()
    assert "Her garden" in page.select_one("#conflict").get_text()  # what changed
    assert page.select_one("#what_matters").get_text().strip() == "Her cat"  # nothing lost
    with app.app_context():
        assert db.session.scalar(select(KeyInfoSection.data))["what_matters"] == "Her garden"
    # Saving again, now knowing, goes through.
    version = page.select_one("input[name=version]")["value"]
    client_request.post("patients.key_information", patient_id=team.patient.id,
                        section_name="what_matters",
                        _data={"version": version, "what_matters": "Her cat and garden"})


def test_stage_change_makes_a_review_due_now(app, client_request, team):
    client_request.sign_in(team.navigator)
    client_request.post("patients.new_hna", patient_id=team.patient.id, _data={
        **_date("assessed_on", TODAY - timedelta(days=10)), "assessed_by_id": team.navigator.id,
        "concerns": "Worried about stairs\n\n- Carer exhausted"})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "Review overdue" not in page.get_text() and "Review due" in page.get_text()
    assert [li.get_text() for li in page.select(".hna li .concern")] == ["Worried about stairs",
                                                                "Carer exhausted"]
    version = client_request.get("patients.stage", patient_id=team.patient.id).select_one(
        "input[name=version]")["value"]
    client_request.post("patients.stage", patient_id=team.patient.id, _data={
        "stage": "end_of_life", **_date("changed_on", TODAY), "version": version})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "End of life since" in page.get_text()
    assert f"Review due {TODAY.day} " in page.select_one("#hnas").get_text()
    flagged = client_request.get("patients.index", review="due_soon")
    assert "Ellis, Margaret" in flagged.select_one("#patient-table").get_text()
    stage_events = [e for e in _events(app, record_type="pathway_stage") if e[2] == "ok"]
    assert stage_events[0][4]["pathway_stage"] == ["living_with_cancer", "end_of_life"]
    assert [e[0] for e in _events(app, record_type="hna")] == ["create"]


def test_hna_bad_input(app, client_request, team):
    client_request.sign_in(team.navigator)
    base = {**_date("assessed_on", TODAY), "assessed_by_id": team.navigator.id}
    cases = [({**base, **_date("assessed_on", TODAY + timedelta(days=1))}, "today or in the past"),
             ({**base, "assessed_by_id": team.outsider.id}, "Choose who carried out"),
             ({**base, "concerns": "ok\n" + "y" * 201}, "Concern 2 must be 200 characters")]
    for data, message in cases:
        page = client_request.post("patients.new_hna", patient_id=team.patient.id, _data=data,
                                   _expected_status=400)
        assert message in page.select_one(".nhsuk-error-summary").get_text()
    client_request.post("patients.new_hna", patient_id=team.patient.id, _data=base)
    page = client_request.post("patients.new_hna", patient_id=team.patient.id, _data=base,
                               _expected_status=400)  # a double submit
    assert "already recorded" in page.get_text()


def test_team_interval_setting_moves_the_review_date(app, client_request, team):
    client_request.sign_in(team.chair)
    client_request.post("patients.new_hna", patient_id=team.patient.id, _data={
        **_date("assessed_on", date(2026, 9, 1)), "assessed_by_id": team.navigator.id})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "Review due 1 Mar 2027" in page.select_one("#hnas").get_text()
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
    client_request.post("teams.settings", team_id=team_id,
                        _data={"review_interval_months": "12", **AGENDA_SETTINGS})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "Review due 1 Sep 2027" in page.select_one("#hnas").get_text()
    bad = client_request.post("teams.settings", team_id=team_id,
                              _data={"review_interval_months": "99", **AGENDA_SETTINGS},
                              _expected_status=400)
    assert "from 1 to 24" in bad.get_text()


AGENDA_SETTINGS = {"minutes_urgent": "15", "minutes_soon": "10", "minutes_routine": "5",
                   "case_limit": "20", "minutes_limit": "60"}


def test_team_settings_are_for_that_teams_chair(app, client_request, team):
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        ours, theirs = get_or_create_team("Riverside").id, get_or_create_team("Hillside").id
    client_request.sign_in(team.navigator)
    client_request.get("teams.settings", team_id=ours, _expected_status=403)
    client_request.get("teams.settings", team_id=theirs, _expected_status=404)


def test_printable_summary_has_the_contact_and_no_javascript(app, client_request, team):
    client_request.sign_in(team.chair)
    client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
        "key_worker_id": team.navigator.id, "reason": "Agreed", "seen_key_worker_id": ""})
    response = client_request.client.get(f"/patients/{team.patient.id}/summary")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script" not in html
    assert "Key worker: Jo Lee" in html and "0300 111 2222" in html
    assert "size: A4" in client_request.client.get("/static/css/summary.css").get_data(
        as_text=True)
    views = [e for e in _events(app, record_type="patient") if e[0] == "view"]
    assert len(views) == 1


@pytest.mark.parametrize("endpoint, extra", [
    ("patients.key_worker", {}), ("patients.stage", {}), ("patients.new_hna", {}),
    ("patients.summary", {}), ("patients.key_information", {"section_name": "wishes"}),
])
def test_another_teams_patient_is_404_on_every_care_route(client_request, team, endpoint,
                                                          extra):
    client_request.sign_in(team.chair)
    client_request.get(endpoint, patient_id=team.theirs.id, _expected_status=404, **extra)


def test_unknown_section_is_404(client_request, team):
    client_request.sign_in(team.chair)
    client_request.get("patients.key_information", patient_id=team.patient.id,
                       section_name="nonsense", _expected_status=404)


def _bulk_patients(app, count, start):
    from mdt.demo import demo_nhs_numbers
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        for number in demo_nhs_numbers(count, start=start):
            patient = Patient(nhs_number=number, given_name="Bulk", family_name=number,
                              date_of_birth=date(1950, 1, 1))
            db.session.add(patient)
            db.session.flush()
            db.session.add(PatientTeam(patient_id=patient.id, team_id=team_id))
        db.session.commit()


def test_patient_list_queries_are_the_same_at_10_and_500(app, client_request, team):
    from tests.conftest import count_queries
    client_request.sign_in(team.chair)
    _bulk_patients(app, 9, 500001)
    with app.app_context(), count_queries(db.engine) as ten:
        page = client_request.get("patients.index")
    assert len(page.select("#patient-table tbody tr")) == 10
    _bulk_patients(app, 490, 600001)
    with app.app_context(), count_queries(db.engine) as five_hundred:
        page = client_request.get("patients.index")
    assert len(page.select("#patient-table tbody tr")) == 50  # one page
    assert "1 to 50 of 500 patients" in page.select_one("#patient-count").get_text()
    assert len(ten) == len(five_hundred)


def test_patient_page_queries_do_not_grow_with_history(app, client_request, team):
    from tests.conftest import count_queries
    client_request.sign_in(team.chair)
    client_request.post("patients.new_hna", patient_id=team.patient.id, _data={
        **_date("assessed_on", TODAY), "assessed_by_id": team.navigator.id, "concerns": "a"})
    with app.app_context(), count_queries(db.engine) as few:
        client_request.get("patients.show", patient_id=team.patient.id)
    for days in range(1, 8):
        client_request.post("patients.new_hna", patient_id=team.patient.id, _data={
            **_date("assessed_on", TODAY - timedelta(days=days)),
            "assessed_by_id": team.navigator.id, "concerns": "a\nb\nc"})
        client_request.post("patients.key_worker", patient_id=team.patient.id, _data={
            "key_worker_id": [team.navigator.id, team.chair.id][days % 2], "reason": "r",
            "seen_key_worker_id": "" if days == 1 else [team.chair.id, team.navigator.id][days % 2]})
    with app.app_context(), count_queries(db.engine) as many:
        page = client_request.get("patients.show", patient_id=team.patient.id)
    assert len(page.select(".hna")) == 8 and len(page.select("tr.handover")) == 7
    assert len(many) == len(few)
