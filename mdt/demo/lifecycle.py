"""A death since the last meeting (in the preferred place) and a move to another team,
recorded through the real lifecycle service, so every consequence shows in the demo."""

from datetime import timedelta

from mdt.demo import builder
from mdt.extensions import db
from mdt.lifecycle import service as lifecycle
from mdt.patients import key_info
from mdt.patients.key_info_service import save_section


def add_lifecycle(team, other, patients, by_email, today, last_meeting=None):
    """`last_meeting`: the day of the team's last finished meeting (the death comes after
    it, so the next meeting reviews it)."""
    chair = by_email["chair"]
    actor = builder.team_actor(chair.id, team.id)
    died_on = today - timedelta(days=1)
    if last_meeting is not None and died_on <= last_meeting:
        died_on = today
    patrick = patients[5]  # end of life; the last meeting recorded his wishes
    for name, data in (
            ("wishes", {"preferred_place_of_care": "care_home",
                        "preferred_place_of_death": "care_home"}),
            ("people", {"carer_name": "Siobhan O'Connell", "carer_relationship": "Daughter",
                        "carer_phone": "07700 900456"})):
        save_section(actor, patrick, name, key_info.as_form_values(key_info.BY_NAME[name], data),
                     seen_version=0)
        db.session.commit()
    lifecycle.apply(actor, patrick, lifecycle.Change(
        target="died", team_id=team.id, happened_on=died_on, place="care_home"), None)
    db.session.commit()
    hamid = patients[9]
    lifecycle.apply(actor, hamid, lifecycle.Change(
        target="transferred", team_id=team.id, to_team_id=other.id,
        happened_on=today - timedelta(days=20),
        notes="Moved in with his brother in Hillside"), None)
    db.session.commit()
