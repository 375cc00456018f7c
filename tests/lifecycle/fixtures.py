"""A caseload with everything a death must reach: a planned visit by the key worker, a case
on the next meeting's list, open actions, the wishes and the main carer."""

from datetime import time, timedelta

import pytest

from mdt.extensions import db
from mdt.timeutil import london_today

TODAY = london_today()


def date_fields(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


@pytest.fixture
def caseload(app, make_user, make_patient):
    from mdt.actions.service import create_action
    from mdt.auth.actor import Actor
    from mdt.meetings.cases import add_case
    from mdt.meetings.service import MeetingDetails, schedule_meeting
    from mdt.patients.handover import assign_key_worker
    from mdt.patients.models import KeyInfoSection
    from mdt.teams.service import get_or_create_team
    from mdt.visits.models import TaskType
    from mdt.visits.service import ensure_task_catalogue, plan_visit

    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk",
                      skills=["syringe_driver", "wound_care"])
    nurse = make_user(name="Yusuf Ali", email="yusuf@example.nhs.uk",
                      skills=["syringe_driver", "wound_care"])
    hill_chair = make_user(name="Hana Hill", team="Hillside", role="chair")
    irene = make_patient(given="Irene", family="Fletcher")
    other = make_patient(given="Arthur", family="Whitfield")
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        hill_id = get_or_create_team("Hillside").id
        actor = Actor(chair.id, (team_id,), {team_id: "chair"})
        assign_key_worker(actor, patient_id=irene.id, team_id=team_id, to_user_id=nurse.id,
                          reason="First contact", seen_key_worker_id=None)
        db.session.commit()
        db.session.add_all([
            KeyInfoSection(patient_id=irene.id, section="wishes", changed_by_id=chair.id,
                           data={"preferred_place_of_death": "home"}),
            KeyInfoSection(patient_id=irene.id, section="people", changed_by_id=chair.id,
                           data={"carer_name": "Tom Fletcher", "carer_relationship": "Son",
                                 "carer_phone": "07700 900123"})])
        db.session.commit()
        ensure_task_catalogue(team_id)
        db.session.commit()
        task = db.session.scalar(db.select(TaskType.id).where(
            TaskType.team_id == team_id, TaskType.name == "Syringe driver change"))
        visit, _ = plan_visit(actor, team_id=team_id, patient_id=irene.id,
                              professional_id=nurse.id, day=TODAY + timedelta(days=1),
                              window="morning", at_time=None, minutes=30,
                              task_type_ids=[task])
        db.session.commit()
        meeting = schedule_meeting(actor, team_id, MeetingDetails(
            title="Riverside MDT", day=TODAY + timedelta(days=12), start=time(12, 30),
            end=time(14, 0), chair_id=chair.id))
        db.session.commit()
        case = add_case(actor, meeting, patient_id=irene.id, reason="Symptom control",
                        urgency="urgent", presenter_id=nurse.id, referred_by="")
        db.session.commit()
        add_case(actor, meeting, patient_id=other.id, reason="Review", urgency="routine",
                 presenter_id=None, referred_by="")
        db.session.commit()
        action_ids = [create_action(actor, team_id=team_id, description=text, owner_id=nurse.id,
                                    due_on=TODAY + timedelta(days=5), patient_id=irene.id).id
                      for text in ("Order a pressure mattress", "Review pain relief",
                                   "Ask the hospice about respite")]
        db.session.commit()
        ids = dict(team_id=team_id, hill_id=hill_id, visit_id=visit.id,
                   meeting_id=meeting.id, case_id=case.id, action_ids=action_ids)
    return type("Caseload", (), dict(chair=chair, nurse=nurse, hill_chair=hill_chair,
                                     irene=irene, other=other, **ids))
