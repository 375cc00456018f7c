"""A death since the last meeting (in the preferred place) and a move to another team,
recorded through the real lifecycle service, so every consequence shows in the demo."""

from datetime import timedelta

from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.lifecycle import service as lifecycle
from mdt.meetings.models import Meeting
from mdt.patients.models import KeyInfoSection
from mdt.timeutil import to_london


def add_lifecycle(team, other, patients, by_email, today):
    chair = by_email["chair"]
    actor = Actor(chair.id, (team.id,), {team.id: "chair"})
    last = db.session.scalar(select(Meeting.starts_at).where(
        Meeting.team_id == team.id, Meeting.status == "finished")
        .order_by(Meeting.starts_at.desc()).limit(1))
    died_on = today - timedelta(days=1)
    if last is not None and died_on <= to_london(last).date():
        died_on = today
    patrick = patients[5]  # end of life; the last meeting recorded his wishes
    db.session.add_all([
        KeyInfoSection(patient_id=patrick.id, section="wishes", changed_by_id=chair.id,
                       data={"preferred_place_of_care": "care_home",
                             "preferred_place_of_death": "care_home"}),
        KeyInfoSection(patient_id=patrick.id, section="people", changed_by_id=chair.id,
                       data={"carer_name": "Siobhan O'Connell", "carer_relationship": "Daughter",
                             "carer_phone": "07700 900456"})])
    db.session.flush()
    lifecycle.apply(actor, patrick, lifecycle.Change(
        target="died", team_id=team.id, happened_on=died_on, place="care_home"), None)
    hamid = patients[9]
    lifecycle.apply(actor, hamid, lifecycle.Change(
        target="transferred", team_id=team.id, to_team_id=other.id,
        happened_on=today - timedelta(days=20),
        notes="Moved in with his brother in Hillside"), None)
