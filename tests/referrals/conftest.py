from datetime import time, timedelta

import pytest

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings.models import Meeting
from mdt.meetings.service import MeetingDetails, schedule_meeting
from mdt.timeutil import london_today

FUTURE = london_today() + timedelta(days=14)


@pytest.fixture
def team(make_user, make_patient):
    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk",
                      profession="community_matron")
    second_chair = make_user(name="Sam Reid", role="chair", email="sam@example.nhs.uk")
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk",
                      profession="district_nurse")
    gp = make_user(name="Dr Tom Hale", email="tom@example.nhs.uk", profession="gp")
    outsider = make_user(name="Out Sider", team="Hillside", role="chair")
    patients = [make_patient(given=g, family=f) for g, f in
                (("Margaret", "Ellis"), ("Arthur", "Whitfield"))]
    theirs = make_patient(team="Hillside", given="Vera", family="Lindqvist")
    return type("Team", (), dict(chair=chair, second_chair=second_chair, nurse=nurse, gp=gp,
                                 outsider=outsider, patients=patients, theirs=theirs))


def team_id(name="Riverside"):
    from mdt.teams.service import get_or_create_team
    return get_or_create_team(name).id


def chair_actor(team):
    tid = team_id()
    return Actor(team.chair.id, (tid,), {tid: "chair"})


@pytest.fixture
def meeting(app, team):
    """A scheduled one-off meeting in two weeks, 12:30-14:00 UK time."""
    with app.app_context():
        created = schedule_meeting(chair_actor(team), team_id(), MeetingDetails(
            title="Riverside MDT", day=FUTURE, start=time(12, 30), end=time(14, 0),
            location="Room 2", chair_id=team.chair.id))
        db.session.commit()
        found = db.session.get(Meeting, created.id)
        db.session.expunge(found)
        return found
