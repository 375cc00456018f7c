"""The patient's own care and support plan: plain English (reading age 9 or under), who to
call, versioned, printable in large print and as PDF, the date it was given recorded."""

import io
from datetime import date, timedelta

from pypdf import PdfReader
from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.care_plans.content import (
    TARGET_GRADE,
    Agreed,
    PlanInputs,
    Visiting,
    build,
    hard_lines,
    plain_text,
    reading_grade,
)
from mdt.care_plans.models import CarePlanVersion
from mdt.extensions import db
from mdt.timeutil import london_today
from tests.conftest import ClientRequest
from tests.letters.conftest import finished  # noqa: F401  (a finished meeting's world)

DAY = date(2026, 12, 1)


def _inputs(**changes):
    fields = dict(
        first_name="Joan", full_name="Joan Pemberton", nhs_number="9997000013",
        team_name="Riverside MDT",
        what_matters="Being at home with my cat and seeing my grandchildren",
        preferred_place="Home", carer_name="Sue (daughter)",
        concerns=["Pain at night", "Feeling tired", "Worried about money"],
        agreed=[Agreed("Priya Patel", "Order a pressure mattress", DAY),
                Agreed("Dr Alys Hughes", "Review your pain medicines", DAY + timedelta(3)),
                Agreed("Sam Reed", "Help you apply for Attendance Allowance", DAY)],
        key_worker_name="Priya Patel", key_worker_role="District nurse",
        key_worker_phone="01632 960222",
        visits=[Visiting(DAY, "Priya Patel", "District nurse", "Morning")])
    fields.update(changes)
    return PlanInputs(**fields)


def test_the_plan_is_plain_english_with_one_number_to_call():
    plan = build(_inputs())
    text = plain_text(plan)
    grade = reading_grade(text)
    print(f"care plan reading age (Flesch-Kincaid grade): {grade}")
    assert grade <= TARGET_GRADE
    call = plan["sections"][0]
    assert call["heading"] == "Who to call"
    assert "The one number to call is 01632 960222." in call["lines"]
    assert "Order a pressure mattress. Priya Patel will do this by Tuesday 1 December." in text
    assert "NHS 111" in text and "999" in text
    assert "Tuesday 1 December, in the morning: Priya Patel, district nurse." in text


def test_an_empty_record_still_says_who_to_call_and_stays_readable():
    plan = build(_inputs(what_matters="", preferred_place="", carer_name="", concerns=[],
                         agreed=[], key_worker_name="", key_worker_phone="", visits=[]))
    text = plain_text(plan)
    assert "You do not have a key worker yet." in text
    assert reading_grade(text) <= TARGET_GRADE


def test_hard_staff_wording_raises_the_reading_age():
    hard = "Multidisciplinary reassessment of analgesic requirements considering " \
           "comorbidities and pharmacological contraindications"
    plan = build(_inputs(concerns=["Pain at night", hard]))
    assert hard_lines(plan) == [hard + "."]  # the page names it for rewording
    plan = build(_inputs(what_matters=hard, concerns=[hard] * 8,
                         agreed=[Agreed("Dr Hughes", hard, DAY)] * 4))
    assert reading_grade(plain_text(plan)) > TARGET_GRADE


def _versions(app):
    with app.app_context():
        return db.session.scalars(select(CarePlanVersion).order_by(CarePlanVersion.number)).all()


def test_a_member_saves_prints_and_records_giving_the_plan(app, finished):  # noqa: F811
    joan = finished.ours["joan"]
    nurse = ClientRequest(app).sign_in(finished.nurse)
    page = nurse.get("care_plans.show", patient_id=joan.id)
    assert "years of schooling" in page.select_one("#reading-age").text
    assert "Order a pressure mattress" in page.text
    nurse.post("care_plans.save", patient_id=joan.id)
    nurse.post("care_plans.save", patient_id=joan.id)  # nothing changed: no new version
    [version] = _versions(app)
    assert version.number == 1 and version.reading_grade <= TARGET_GRADE
    printable = nurse.get("care_plans.printable", patient_id=joan.id, number=1)
    assert "The one number to call is 01632 960222." in printable.text
    large = nurse.client.get(f"/patients/{joan.id}/care-plan/1?large=1")
    assert 'class="large"' in large.get_data(as_text=True)
    for query in ("", "?large=1"):
        response = nurse.client.get(f"/patients/{joan.id}/care-plan/1.pdf{query}")
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.get_data())).pages)
        assert "My care and support plan" in text and "01632 960222" in text
    today = london_today()
    nurse.post("care_plans.given", {"given_on[day]": str(today.day),
                                    "given_on[month]": str(today.month),
                                    "given_on[year]": str(today.year)},
               patient_id=joan.id, number=1)
    page = nurse.post("care_plans.given", {"given_on[day]": "1", "given_on[month]": "1",
                                           "given_on[year]": str(today.year + 1)},
                      patient_id=joan.id, number=1, _expected_status=400)
    assert "today or in the past" in page.text
    [version] = _versions(app)
    assert version.given_on == today and version.given_by_id == finished.nurse.id
    with app.app_context():
        kinds = {(e.action, e.record_type) for e in db.session.scalars(select(AuditEvent).where(
            AuditEvent.record_type == "care_plan"))}
        assert kinds >= {("create", "care_plan"), ("change", "care_plan"), ("view", "care_plan"),
                         ("export", "care_plan")}


def test_another_team_cannot_reach_the_plan(app, finished):  # noqa: F811
    joan = finished.ours["joan"]
    ClientRequest(app).sign_in(finished.nurse).post("care_plans.save", patient_id=joan.id)
    outsider = ClientRequest(app).sign_in(finished.outsider)
    outsider.get("care_plans.show", patient_id=joan.id, _expected_status=404)
    outsider.get("care_plans.printable", patient_id=joan.id, number=1, _expected_status=404)
    outsider.post("care_plans.save", patient_id=joan.id, _expected_status=404)
    assert len(_versions(app)) == 1


def test_no_new_version_after_the_patient_left_the_caseload(app, finished):  # noqa: F811
    from mdt.patients.models import PatientTeam

    joan = finished.ours["joan"]
    with app.app_context():
        db.session.query(PatientTeam).filter_by(patient_id=joan.id).update(
            {"status": "discharged", "status_changed_on": london_today()})
        db.session.commit()
    nurse = ClientRequest(app).sign_in(finished.nurse)
    page = nurse.get("care_plans.show", patient_id=joan.id)
    assert "no longer on the team's caseload" in page.text
    assert not page.select_one("form[action$='/care-plan']")
    nurse.post("care_plans.save", patient_id=joan.id, _expected_status=409)
    assert _versions(app) == []
