from datetime import time, timedelta

import pytest

from mdt.extensions import db
from mdt.meetings.models import Meeting
from mdt.meetings.service import MeetingDetails, schedule_meeting
from mdt.timeutil import london_today

FUTURE = london_today() + timedelta(days=14)


def date_fields(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


@pytest.fixture
def team(make_user, make_patient):
    chair = make_user(name="Grace Okafor", role="chair", email="chair@example.nhs.uk")
    nurse = make_user(name="Priya Patel", email="priya@example.nhs.uk")
    outsider = make_user(name="Out Sider", team="Hillside", role="chair")
    patients = [make_patient(given=g, family=f) for g, f in
                (("Margaret", "Ellis"), ("Arthur", "Whitfield"), ("Doreen", "Achebe"))]
    theirs = make_patient(team="Hillside", given="Vera", family="Lindqvist")
    return type("Team", (), dict(chair=chair, nurse=nurse, outsider=outsider,
                                 patients=patients, theirs=theirs))


@pytest.fixture
def meeting(app, team):
    """A scheduled one-off meeting in two weeks, 12:30-14:00 UK time."""
    from mdt.auth.actor import Actor
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        actor = Actor(team.chair.id, (team_id,), {team_id: "chair"})
        created = schedule_meeting(actor, team_id, MeetingDetails(
            title="Riverside MDT", day=FUTURE, start=time(12, 30), end=time(14, 0),
            location="Room 2", chair_id=team.chair.id, guest_emails="guest@council.gov.uk"))
        db.session.commit()
        found = db.session.get(Meeting, created.id)
        db.session.expunge(found)
        return found


def case_form(client, meeting_id, case_id) -> dict:
    """The live case form as the page gives it (hidden fields, versions, what is saved)."""
    page = client.get("meetings.live", meeting_id=meeting_id, case=case_id)
    form = page.select_one("form.app-case-record")
    data = {i["name"]: i.get("value", "") for i in form.select("input[name]")
            if i.get("type") not in ("checkbox", "submit")}
    data |= {i["name"]: i.get("value", "y") for i in form.select("input[type=checkbox]")
             if i.has_attr("checked")}
    data |= {t["name"]: t.get_text() for t in form.select("textarea[name]")}
    data |= {s["name"]: (s.select_one("option[selected]") or {"value": ""}).get("value", "")
             for s in form.select("select[name]")}
    return data


def record(client, meeting_id, case_id, _expected_status=303, _htmx=False, **typed):
    """Saves the live case form with `typed` filled in (actions as actions-0-description,
    actions-0-owner_id, actions-0-due_on[day] ...)."""
    return client.post("meetings.record_case", meeting_id=meeting_id, case_id=case_id,
                       _data={**case_form(client, meeting_id, case_id), **typed},
                       _expected_status=_expected_status, _htmx=_htmx)
