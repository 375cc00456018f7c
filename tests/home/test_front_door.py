"""A front door per role: the chair's next meeting, referrals and overdue actions; a nurse's
visits today; a GP's patients on the lists ahead and his referrals."""

from datetime import time, timedelta

from mdt.actions.service import create_action
from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings import cases
from mdt.meetings.service import MeetingDetails, schedule_meeting
from mdt.teams.service import get_or_create_team
from mdt.timeutil import london_today
from mdt.visits import service as visits
from tests.conftest import ClientRequest, count_queries

SOON = london_today() + timedelta(days=5)


def _world(app, make_user, make_patient, extra_patients=0):
    chair = make_user(name="Grace Okafor", role="chair", profession="community_matron")
    nurse = make_user(name="Chloe Brennan", profession="district_nurse")
    gp = make_user(name="Dr Asha Rao", profession="gp")
    patients = [make_patient(given=f"P{n}", family="Example") for n in range(2 + extra_patients)]
    with app.app_context():
        team = get_or_create_team("Riverside").id
        actor = Actor(chair.id, (team,), {team: "chair"})
        meeting = schedule_meeting(actor, team, MeetingDetails(
            title="Riverside MDT", day=SOON, start=time(12, 30), end=time(14, 0),
            chair_id=chair.id))
        db.session.commit()
        for patient in patients:
            cases.add_case(actor, meeting, patient_id=patient.id, reason="Review",
                           urgency="routine", presenter_id=gp.id, referred_by="")
            db.session.commit()
        create_action(actor, team_id=team, description="Overdue for the team",
                      owner_id=nurse.id, due_on=london_today())
        db.session.commit()
        visits.ensure_task_catalogue(team)
        db.session.commit()
        task = visits.task_types(team)[0].id
        for patient in patients:
            visits.plan_visit(actor, team_id=team, patient_id=patient.id,
                              professional_id=nurse.id, day=london_today(), window="morning",
                              at_time=None, minutes=30, task_type_ids=[task])
            db.session.commit()
        return chair, nurse, gp, patients, meeting.id


def test_each_role_sees_its_own_front_door(app, make_user, make_patient):
    chair, nurse, gp, patients, meeting_id = _world(app, make_user, make_patient)
    pages = {}
    for user in (chair, nurse, gp):
        client = ClientRequest(app)
        client.sign_in(user)
        pages[user.name] = client.get("home.index")
    door = pages["Grace Okafor"]
    assert "Riverside MDT" in door.select_one("#door-meeting").get_text()
    assert "2 cases of 20" in door.select_one("#door-meeting").get_text(" ", strip=True)
    assert "0 waiting for triage" in door.select_one("#door-referrals").get_text()
    assert door.select_one("#door-visits") is not None  # a matron visits too
    nurse_door = pages["Chloe Brennan"]
    assert nurse_door.select_one("#door-meeting") is None
    visits_text = nurse_door.select_one("#door-visits").get_text(" ", strip=True)
    assert "Your visits today (2)" in visits_text and "P0 Example" in visits_text
    assert "1 due in the next 7 days" in nurse_door.select_one("#door-actions").get_text()
    gp_door = pages["Dr Asha Rao"]
    assert gp_door.select_one("#door-visits") is None
    assert "Your patients on the lists ahead (2)" in gp_door.select_one("#door-gp").get_text()


def test_the_front_door_reads_in_the_same_queries_at_2_and_40_patients(app, make_user,
                                                                      make_patient):
    def measure(extra):
        from tests.conftest import empty_database
        empty_database(app)
        _, nurse, gp, _, _ = _world(app, make_user, make_patient, extra)
        found = []
        for user in (nurse, gp):
            client = ClientRequest(app)
            client.sign_in(user)
            with app.app_context():
                engine = db.engine
            with count_queries(engine) as counted:
                client.get("home.index")
            found.append(len(counted))
        return found
    assert measure(0) == measure(38)


def test_signing_in_lands_on_the_front_door(app, make_user):
    user = make_user(profession="district_nurse")
    client = ClientRequest(app)
    token = client.csrf_token("/sign-in")
    from tests.conftest import PASSWORD
    response = client.client.post("/sign-in", data={"email": user.email, "password": PASSWORD,
                                                    "csrf_token": token})
    assert response.headers["Location"] == "/"
