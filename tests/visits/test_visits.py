"""Visits end to end: plan, day lists, suggestions, merge / unmerge, cancel for everyone."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from mdt.extensions import db
from mdt.notifications.models import Notification
from mdt.timeutil import london_today
from mdt.visits.models import TaskType, Visit, VisitTask
from tests.conftest import ClientRequest, count_queries

DAY = london_today() + timedelta(days=2)


def _date(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


@pytest.fixture
def team(app, make_user, make_patient):
    matron = make_user(name="Grace Okafor", role="chair",
                       skills=["syringe_driver", "wound_care", "injections"])
    nurse = make_user(name="Priya Patel", skills=["wound_care", "injections"])
    outsider = make_user(name="Out Sider", team="Hillside", skills=["wound_care"])
    patient = make_patient(given="Margaret", family="Ellis", address="12 Mill Lane")
    other = make_patient(given="Arthur", family="Whitfield")
    return type("Team", (), dict(matron=matron, nurse=nurse, outsider=outsider,
                                 patient=patient, other=other))


def _task_id(app, name):
    with app.app_context():
        return db.session.scalar(select(TaskType.id).where(TaskType.name == name))


def _plan(client, app, patient, professional, task, day=DAY, status=303, **extra):
    client.get("visits.tasks")  # makes the default catalogue
    return client.post("visits.new", _data={
        "patient_id": patient.id, "professional_id": professional.id, **_date("day", day),
        "window": "morning", "at_time": "", "minutes": "30",
        "task_type_ids": [_task_id(app, task)], **extra}, _expected_status=status)


def _visits(app):
    with app.app_context():
        return {v.id: (v.professional_id, v.status, v.merged_into_id, v.minutes)
                for v in db.session.scalars(select(Visit).order_by(Visit.id))}


def test_matron_and_district_nurse_visits_merge_into_one(app, client_request, team):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Syringe driver change")
    _plan(client_request, app, team.patient, team.nurse, "Dressing")
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)
    # The suggestion shows on the board and on both professionals' day lists.
    for client in (client_request, nurse):
        page = client.get("visits.index", date=DAY.isoformat())
        text = page.select_one(".suggestion-text").get_text()
        assert text == ("Grace Okafor holds syringe driver and wound care: one visit instead "
                        "of two, saves about 30 minutes.")
    board = client_request.get("visits.board", date=DAY.isoformat())
    form = board.select_one(".app-suggestion form")
    data = {i["name"]: i["value"] for i in form.select("input") if i["name"] != "csrf_token"}
    data["visit_ids"] = [i["value"] for i in form.select("input[name=visit_ids]")]
    nurse.post("visits.merge", _data=data)  # one of them accepts it
    visits = _visits(app)
    host, guest = sorted(visits)
    assert visits[host][:2] == (team.matron.id, "planned") and visits[host][3] == 60
    assert visits[guest][1:3] == ("merged", host)
    with app.app_context():
        tasks = db.session.scalars(select(VisitTask).where(VisitTask.visit_id == host)).all()
        assert len(tasks) == 2
    # Both day lists agree: the patient has one visit, by the matron.
    assert len(client_request.get("visits.index", date=DAY.isoformat()).select(".visit-row")) == 1
    assert len(nurse.get("visits.index", date=DAY.isoformat()).select(".visit-row")) == 0
    assert len(client_request.get("visits.board", date=DAY.isoformat()).select(
        ".visit-row")) == 1
    with app.app_context():
        assert db.session.scalar(select(Notification.text).where(
            Notification.user_id == team.matron.id)).startswith("Visits on")
    figures = client_request.get("visits.figures")
    assert "1" in [td.get_text() for td in figures.select("#merge-figures td")]
    # A second merge of the same group (a colleague at the same moment) is refused.
    again = client_request.client.post("/visits/merge", data={**data,
                                       "csrf_token": client_request.csrf_token()})
    assert again.status_code == 303
    assert len(_visits(app)) == 2 and _visits(app)[guest][1] == "merged"
    # Unmerge restores the originals exactly.
    undo = client_request.get("visits.board", date=DAY.isoformat()).select_one(
        "form[action*=unmerge]")["action"]
    client_request.client.post(undo, data={"csrf_token": client_request.csrf_token()})
    assert _visits(app) == {host: (team.matron.id, "planned", None, 30),
                            guest: (team.nurse.id, "planned", None, 30)}


def test_no_suggestion_when_nobody_holds_both_skills(app, client_request, team):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.nurse, "Dressing")
    _plan(client_request, app, team.patient, team.matron, "Bloods")
    board = client_request.get("visits.board", date=DAY.isoformat())
    assert board.select(".app-suggestion") == []
    assert "Nobody on the team holds the skill for 'Bloods'" in board.get_text()  # warned


def test_merging_different_patients_is_refused(app, client_request, team):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Dressing")
    _plan(client_request, app, team.other, team.nurse, "Dressing")
    a, b = sorted(_visits(app))
    client_request.post("visits.merge", _data={
        "host_visit_id": a, "visit_ids": [b], f"version_{a}": 1, f"version_{b}": 1})
    page = client_request.get("visits.index", date=DAY.isoformat())
    assert "same patient on the same day" in page.get_text()
    assert all(v[1] == "planned" for v in _visits(app).values())


def test_cancel_for_everyone_tells_each_professional(app, client_request, team):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Syringe driver change")
    _plan(client_request, app, team.patient, team.nurse, "Dressing")
    _plan(client_request, app, team.other, team.nurse, "Dressing")
    client_request.post("visits.cancel_day", _data={
        "team_id": _team_id(app), "patient_id": team.patient.id, "day": DAY.isoformat(),
        "reason": "Admitted to hospital"})
    statuses = [v[1] for v in _visits(app).values()]
    assert statuses == ["cancelled", "cancelled", "planned"]
    with app.app_context():
        told = db.session.scalars(select(Notification.user_id)).all()
    assert sorted(told) == sorted([team.matron.id, team.nurse.id])


def _team_id(app, name="Riverside"):
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        return get_or_create_team(name).id


@pytest.mark.parametrize("changes, message", [
    ({**_date("day", london_today() - timedelta(days=1))}, "today or later"),
    ({"window": "timed", "at_time": ""}, "Enter the time of the visit"),
    ({"minutes": "0"}, "between 5 and 480"),
    ({"task_type_ids": []}, "Choose at least one task"),
])
def test_bad_visits_are_refused(app, client_request, team, changes, message):
    client_request.sign_in(team.matron)
    page = _plan(client_request, app, team.patient, team.nurse, "Dressing", status=400,
                 **changes)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    assert _visits(app) == {}


def test_other_teams_visits_and_patients_are_404(app, client_request, team, make_patient):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Dressing")
    visit_id = next(iter(_visits(app)))
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    outsider.get("visits.edit", visit_id=visit_id, _expected_status=404)
    outsider.post("visits.cancel", visit_id=visit_id, _data={"reason": "x"},
                  _expected_status=404)
    theirs = make_patient(team="Hillside")
    _plan(client_request, app, theirs, team.matron, "Dressing", status=404)


def test_day_board_queries_are_fixed(app, client_request, team, make_patient):
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Dressing")
    with app.app_context(), count_queries(db.engine) as few:
        client_request.get("visits.board", date=DAY.isoformat())
    task = _task_id(app, "Dressing")
    patients = [make_patient(family=f"Board{n}") for n in range(40)]
    team_id = _team_id(app)
    with app.app_context():
        for n, patient in enumerate(patients):
            visit = Visit(team_id=team_id, patient_id=patient.id,
                          professional_id=[team.matron.id, team.nurse.id][n % 2], day=DAY,
                          created_by_id=team.matron.id)
            db.session.add(visit)
            db.session.flush()
            db.session.add(VisitTask(visit_id=visit.id, task_type_id=task))
        db.session.commit()
    with app.app_context(), count_queries(db.engine) as many:
        page = client_request.get("visits.board", date=DAY.isoformat())
    assert len(page.select(".visit-row")) == 41
    assert len(few) == len(many)


def test_a_change_made_since_the_form_was_opened_is_refused(app, client_request, team):
    """Two people change the same visit one after the other: the second, working from the
    form as it was, is told and overwrites nothing (was: last write silently won)."""
    client_request.sign_in(team.matron)
    _plan(client_request, app, team.patient, team.matron, "Dressing")
    visit_id = next(iter(_visits(app)))
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)

    def opened(client):
        form = client.get("visits.edit", visit_id=visit_id).select_one("main form[method=post]")
        fields = {i["name"]: i.get("value", "") for i in form.select("input[name]")}
        return {**fields, "patient_id": team.patient.id, "professional_id": team.matron.id,
                "minutes": "30", "at_time": "", "task_type_ids": [_task_id(app, "Dressing")]}

    mine, theirs = opened(client_request), opened(nurse)
    assert mine["version"] == "1"
    client_request.post("visits.edit", visit_id=visit_id, _data={**mine, "window": "afternoon"},
                        _expected_status=303)
    page = nurse.post("visits.edit", visit_id=visit_id, _data={**theirs, "window": "evening"},
                      _expected_status=400)
    assert "Someone else changed this visit" in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.get(Visit, visit_id).window == "afternoon"
