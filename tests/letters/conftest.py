"""A finished meeting with patients of two practices discussed, one listed but not reached,
and another team's patient at the same practice."""

from datetime import time, timedelta

import pytest

from mdt.extensions import db
from mdt.timeutil import london_today

RIVERSIDE, BRIDGE = "Riverside Medical Practice", "Bridge Street Surgery"


@pytest.fixture
def finished(app, make_user, make_patient):
    from mdt.actions.service import create_action
    from mdt.auth.actor import Actor
    from mdt.meetings import cases, recording, service
    from mdt.meetings.models import Case
    from mdt.patients.models import PatientTeam
    from mdt.teams.service import get_or_create_team

    chair = make_user(name="Grace Okafor", role="chair", phone="01632 960111",
                      organisation="Riverside Community Nursing")
    gp = make_user(name="Dr Alys Hughes", profession="gp", organisation=RIVERSIDE)
    khan = make_user(name="Dr Imran Khan", profession="gp", organisation=BRIDGE)
    nurse = make_user(name="Priya Patel", phone="01632 960222", organisation="District nursing")
    outsider = make_user(name="Hill Side", team="Hillside", organisation=RIVERSIDE)
    ours = {
        "joan": make_patient(given="Joan", family="Pemberton", gp_practice=RIVERSIDE,
                             usual_gp="Dr Alys Hughes", title="Mrs"),
        "harold": make_patient(given="Harold", family="Fenwick", gp_practice=RIVERSIDE),
        "zoe": make_patient(given="Zoë", family="Castellano", gp_practice=BRIDGE),
        "stan": make_patient(given="Stanley", family="Ridgeway", gp_practice=RIVERSIDE),
    }
    theirs = make_patient(team="Hillside", given="Vera", family="Lindqvist",
                          gp_practice=RIVERSIDE)
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        actor = Actor(chair.id, (team_id,), {team_id: "chair"})
        db.session.query(PatientTeam).filter_by(patient_id=ours["joan"].id).update(
            {"key_worker_id": nurse.id})
        db.session.commit()
        meeting = service.schedule_meeting(actor, team_id, service.MeetingDetails(
            title="Riverside MDT", day=london_today() + timedelta(days=1), start=time(12, 30),
            end=time(14, 0), chair_id=chair.id))
        db.session.commit()
        made = {}
        for key, patient in ours.items():
            made[key] = cases.add_case(actor, meeting, patient_id=patient.id,
                                       reason=f"Question about {patient.given_name}",
                                       urgency="routine", presenter_id=None, referred_by="")
        db.session.commit()
        service.start_meeting(actor, meeting)
        db.session.commit()
        for key in ("joan", "harold", "zoe"):  # Stanley is not reached
            case = db.session.get(Case, made[key].id)
            recording.record_case(actor, meeting, case, recording.CaseRecord(
                notes=f"Discussed {key}'s pain", outcome=f"Outcome for {key}",
                decisions="Refer to hospice", seen_version=case.version))
            db.session.commit()
        create_action(actor, team_id=team_id, description="Order a pressure mattress",
                      owner_id=nurse.id, due_on=london_today() + timedelta(days=7),
                      patient_id=ours["joan"].id, case_id=made["joan"].id)
        db.session.commit()
        service.finish_meeting(actor, meeting)
        db.session.commit()
        meeting_id = meeting.id
    return type("Finished", (), dict(chair=chair, gp=gp, khan=khan, nurse=nurse,
                                     outsider=outsider, ours=ours, theirs=theirs,
                                     meeting_id=meeting_id, team_id=team_id))
