"""Live mode at a long list: an htmx swap reads the case on screen alone and re-renders only
what changed (the case panel, and out-of-band the navigation line of a case just saved), in
the same number of queries at 10 cases as at 60."""

from datetime import timedelta

from sqlalchemy import select

from mdt.extensions import db
from mdt.meetings.models import Case, Meeting
from mdt.timeutil import london_today
from tests.conftest import count_queries
from tests.meetings.conftest import case_form, date_fields

WEEK = london_today() + timedelta(days=7)
# The panel's own queries are 6 (the list's outline, the case on screen with its drafts,
# its open actions, the team's members, its referral, its key information card); the rest
# are the session, user, teams, the meeting's loader, the header's context and the audit
# row of a view of patient data (4 statements).
PANEL_MOST = 15


def _running(app, meeting):
    with app.app_context():
        found = db.session.get(Meeting, meeting.id)
        found.status = "in_progress"
        db.session.commit()


def _fill(app, meeting, patients, upto):
    with app.app_context():
        have = len(db.session.scalars(select(Case).where(Case.meeting_id == meeting.id)).all())
        for position, patient in enumerate(patients[have:upto], have + 1):
            db.session.add(Case(meeting_id=meeting.id, patient_id=patient.id,
                                position=position, reason="r", urgency="routine"))
        db.session.commit()
        return [c.id for c in db.session.scalars(select(Case).where(
            Case.meeting_id == meeting.id).order_by(Case.position))]


def _requests(app, client, meeting, case_id, owner_id) -> dict:
    """The queries of each live request on this case: page, panel, draft, save."""
    found = {}
    data = case_form(client, meeting.id, case_id)
    client.post("meetings.save_draft", meeting_id=meeting.id, case_id=case_id, _htmx=True,
                _expected_status=200, _data={"notes": "Typed"})  # (the client's CSRF token)
    with app.app_context(), count_queries(db.engine) as page:
        client.get("meetings.live", meeting_id=meeting.id, case=case_id)
    with app.app_context(), count_queries(db.engine) as panel:
        client.get("meetings.live", meeting_id=meeting.id, case=case_id, _htmx=True)
    with app.app_context(), count_queries(db.engine) as draft:
        client.post("meetings.save_draft", meeting_id=meeting.id, case_id=case_id, _htmx=True,
                    _expected_status=200, _data={"notes": "Typed in the room"})
    with app.app_context(), count_queries(db.engine) as save:
        client.post("meetings.record_case", meeting_id=meeting.id, case_id=case_id,
                    _htmx=True, _expected_status=200, _data={
                        **data, "outcome": "Continue the plan", "notes": "Typed",
                        "actions-0-description": "Review in a week",
                        "actions-0-owner_id": owner_id, **date_fields("actions-0-due_on", WEEK),
                        "next": "1"})
    found.update(page=len(page), panel=len(panel), draft=len(draft), save=len(save))
    return found


def test_live_requests_cost_the_same_at_10_and_60_cases(app, client_request, team, meeting,
                                                        make_patient):
    client_request.sign_in(team.chair)
    _running(app, meeting)
    patients = team.patients + [make_patient(given="P", family=f"Case{n:02d}")
                                for n in range(57)]
    ten = _requests(app, client_request, meeting, _fill(app, meeting, patients, 10)[4],
                    team.nurse.id)
    sixty = _requests(app, client_request, meeting, _fill(app, meeting, patients, 60)[5],
                      team.nurse.id)
    assert ten == sixty, (ten, sixty)
    assert sixty["panel"] <= PANEL_MOST
    assert sixty["page"] <= PANEL_MOST + 4  # + attendance, absences, the header's counts


def test_an_htmx_answer_carries_the_panel_and_only_the_line_that_changed(
        app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _running(app, meeting)
    first, second, third = _fill(app, meeting, team.patients, 3)
    panel = client_request.get("meetings.live", meeting_id=meeting.id, case=second, _htmx=True)
    assert panel.select_one(f"#live-case-{second}") is not None
    assert panel.select("#live-nav-list, [hx-swap-oob]") == []  # nothing else changed
    data = case_form(client_request, meeting.id, second)
    saved = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=second,
                                _htmx=True, _expected_status=200,
                                _data={**data, "outcome": "Agreed", "next": "1"})
    assert saved.select_one(f"#live-case-{third}") is not None  # on to the next case
    assert saved.select("#live-nav-list") == []
    line, = saved.select("[hx-swap-oob]")
    assert line.name == "li" and line["id"] == f"live-nav-{second}"
    assert "(discussed)" in line.get_text()
    # Without JavaScript: the whole page, with the whole navigation.
    page = client_request.get("meetings.live", meeting_id=meeting.id, case=third)
    assert [li["id"] for li in page.select("#live-nav-list li")] == [
        f"live-nav-{first}", f"live-nav-{second}", f"live-nav-{third}"]
    assert page.select("[hx-swap-oob]") == []
