"""Tests written for controls in the hazard log (docs/clinical-safety/hazard-log.toml) that
no feature test covered on its own."""

from datetime import date, time, timedelta

from sqlalchemy import select

from mdt.extensions import db
from mdt.meetings.models import Meeting
from mdt.patients.models import KeyInfoSection
from mdt.timeutil import london_today, to_london
from tests.conftest import ClientRequest


def _date(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


def test_patient_choices_show_nhs_numbers(app, client_request, make_user, make_patient):
    chair = make_user(role="chair")
    make_patient(given="Ann", family="Smith", nhs_number="9434765919")
    make_patient(given="Anne", family="Smith")
    client_request.sign_in(chair)
    client_request.post("meetings.new", _data={
        "title": "MDT", **_date("day", london_today() + timedelta(days=7)), "start": "12:30",
        "end": "13:30", "chair_id": chair.id, "repeat": "none"})
    with app.app_context():
        meeting_id = db.session.scalar(select(Meeting.id))
    page = client_request.get("visits.new")
    options = [o.get_text() for o in page.select("#patient_id option") if o.get("value")]
    assert "Smith, Ann (943 476 5919)" in options
    assert all("(" in option and option.rstrip(")")[-12:].replace(" ", "").isdigit()
               for option in options)
    # The meeting's add-case picker is a search: each patient found, the NHS number beside.
    found = client_request.post("meetings.find_patient", meeting_id=meeting_id,
                                _data={"find": "Smith"}, _expected_status=200, _htmx=True)
    choices = {found.select_one(f"label[for='{radio['id']}']").get_text(strip=True):
               found.select_one(f"#{radio['aria-describedby']}").get_text(strip=True)
               for radio in found.select("input[type=radio]")}
    assert choices["Smith, Ann"] == "NHS number 943 476 5919"
    assert len(choices) == 2 and all(
        hint.removeprefix("NHS number ").replace(" ", "").isdigit() for hint in choices.values())


def test_merge_refused_when_host_lacks_a_skill(app, client_request, make_user, make_patient):
    matron = make_user(name="Grace Okafor", role="chair", skills=["syringe_driver",
                                                                 "wound_care"])
    nurse = make_user(name="Priya Patel", skills=["wound_care"])
    patient = make_patient()
    client_request.sign_in(matron)
    client_request.get("visits.tasks")
    from mdt.visits.models import TaskType, Visit
    with app.app_context():
        tasks = dict(db.session.execute(select(TaskType.name, TaskType.id)).all())
    day = london_today() + timedelta(days=1)
    for who, task in ((matron, "Syringe driver change"), (nurse, "Dressing")):
        client_request.post("visits.new", _data={
            "patient_id": patient.id, "professional_id": who.id, **_date("day", day),
            "window": "morning", "minutes": "30", "task_type_ids": [tasks[task]]})
    with app.app_context():
        syringe, dressing = db.session.scalars(select(Visit).order_by(Visit.id)).all()
        versions = {f"version_{v.id}": v.version for v in (syringe, dressing)}
    # The nurse (no syringe driver skill) as host: refused, nothing changes.
    client_request.post("visits.merge", _data={"host_visit_id": dressing.id,
                                               "visit_ids": [syringe.id], **versions})
    page = client_request.get("visits.index", date=day.isoformat())
    assert "does not hold every skill needed (syringe_driver)" in page.get_text()
    with app.app_context():
        assert [v.status for v in db.session.scalars(select(Visit))] == ["planned", "planned"]


def test_concurrent_dnacpr_edit_is_refused_not_overwritten(app, client_request, make_user,
                                                          make_patient):
    gp, nurse = make_user(name="Dr Hughes"), make_user(name="Priya Patel")
    patient = make_patient()
    other = ClientRequest(app)
    other.sign_in(nurse)
    client_request.sign_in(gp)

    def version(client):
        return client.get("patients.key_information", patient_id=patient.id,
                          section_name="resuscitation").select_one(
            "input[name=version]")["value"]

    seen_by_gp, seen_by_nurse = version(client_request), version(other)
    client_request.post("patients.key_information", patient_id=patient.id,
                        section_name="resuscitation", _data={
                            "version": seen_by_gp, "resuscitation_status": "dnacpr",
                            **_date("resuscitation_date", london_today())})
    page = other.post("patients.key_information", patient_id=patient.id,
                      section_name="resuscitation", _expected_status=400, _data={
                          "version": seen_by_nurse, "resuscitation_status": "for_cpr",
                          **_date("resuscitation_date", london_today())})
    assert "Dr Hughes saved this section" in page.get_text()
    assert "DNACPR decision in place" in page.select_one("#conflict").get_text()
    with app.app_context():
        data = db.session.scalar(select(KeyInfoSection.data))
    assert data["resuscitation_status"] == "dnacpr"


def test_meeting_times_survive_the_clock_change(app, client_request, make_user):
    chair = make_user(role="chair")
    client_request.sign_in(chair)
    year = london_today().year + 1
    for day in (date(year, 7, 14), date(year, 1, 13)):
        client_request.post("meetings.new", _data={
            "title": "MDT", **_date("day", day), "start": "12:30", "end": "14:00",
            "chair_id": chair.id, "repeat": "none"})
    with app.app_context():
        summer, winter = sorted(db.session.scalars(select(Meeting)),
                                key=lambda m: m.starts_at.month != 7)
        assert (summer.starts_at.hour, winter.starts_at.hour) == (11, 12)  # UTC
        assert to_london(summer.starts_at).time() == to_london(winter.starts_at).time() == \
            time(12, 30)
        ids = (summer.id, winter.id)
    for meeting_id in ids:
        page = client_request.get("meetings.show", meeting_id=meeting_id)
        assert "12:30 to 14:00 (UK time)" in page.get_text()
