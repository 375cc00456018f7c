"""One case, one form, one save: everything or nothing, and nothing typed lost."""

from datetime import timedelta

from sqlalchemy import select

from mdt.actions.models import Action
from mdt.extensions import db
from mdt.meetings.models import Case
from mdt.patients.models import KeyInfoSection, PatientTeam
from mdt.timeutil import london_today
from tests.conftest import ClientRequest
from tests.meetings.conftest import case_form, date_fields
from tests.meetings.test_meetings import _add_case, _case_ids

WEEK = london_today() + timedelta(days=7)


def _form(client, meeting, case_id):
    return None, case_form(client, meeting.id, case_id)


def _live_meeting(app, client, team, meeting, count=2):
    client.sign_in(team.chair)
    for patient in team.patients[:count]:
        _add_case(client, meeting, patient)
    client.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"})
    return _case_ids(app, meeting)


def _state(app, case_id):
    with app.app_context():
        case = db.session.get(Case, case_id)
        link = db.session.scalar(select(PatientTeam).where(
            PatientTeam.patient_id == case.patient_id))
        actions = [a.description for a in db.session.scalars(
            select(Action).where(Action.case_id == case_id))]
        return case.status, case.outcome, link.key_worker_id, actions


def test_one_save_records_outcome_action_and_key_worker(app, client_request, team, meeting):
    first, second = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    panel = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                                _htmx=True, _expected_status=200, _data={
                                    **data, "outcome": "Hospice referral agreed",
                                    "actions-0-description": "Refer to St Mary's hospice",
                                    "actions-0-owner_id": team.nurse.id,
                                    **date_fields("actions-0-due_on", WEEK),
                                    "key_worker_id": team.nurse.id, "next": "1"})
    assert _state(app, first) == ("discussed", "Hospice referral agreed", team.nurse.id,
                                  ["Refer to St Mary's hospice"])
    status = panel.select_one(".app-saved").get_text()
    assert "Saved" in status and "1 action" in status and "key worker" in status
    # "Save and go to next case": the panel now shows the second case.
    assert panel.select_one(f"#live-case-{second}") is not None


def test_a_bad_action_saves_nothing_and_keeps_everything_typed(app, client_request, team,
                                                               meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    page = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                               _expected_status=400, _data={
                                   **data, "outcome": "Outcome typed in the room",
                                   "notes": "Notes typed in the room",
                                   "actions-0-description": "Order a commode",
                                   **date_fields("actions-0-due_on", WEEK),
                                   "key_worker_id": team.nurse.id})
    assert _state(app, first) == ("listed", "", None, [])  # nothing half-saved
    summary = page.select_one(".nhsuk-error-summary").get_text()
    assert "Choose an owner from the team" in summary
    assert page.select_one(f"#outcome-{first}").get_text() == "Outcome typed in the room"
    assert page.select_one(f"#notes-{first}").get_text() == "Notes typed in the room"
    assert page.select_one("#actions-0-description").get_text() == "Order a commode"


def test_adding_a_row_saves_nothing_and_loses_nothing(app, client_request, team, meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    panel = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                                _htmx=True, _expected_status=200, _data={
                                    **data, "outcome": "Typed, not saved",
                                    "actions-0-description": "First action", "more": "1"})
    assert panel.select_one(f"#outcome-{first}").get_text() == "Typed, not saved"
    assert panel.select_one("#actions-0-description").get_text() == "First action"
    assert panel.select_one("#actions-1-description") is not None
    assert panel.select_one("input[name=action_rows]")["value"] == "2"
    assert _state(app, first) == ("listed", "", None, [])
    # Two actions then go in one save.
    _, data = _form(client_request, meeting, first)
    client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first, _data={
        **data, "action_rows": "2",
        "actions-0-description": "One", "actions-0-owner_id": team.nurse.id,
        **date_fields("actions-0-due_on", WEEK),
        "actions-1-description": "Two", "actions-1-owner_id": team.chair.id,
        **date_fields("actions-1-due_on", WEEK)})
    assert sorted(_state(app, first)[3]) == ["One", "Two"]


def test_defer_and_a_stale_form(app, client_request, team, meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                        _data={**data, "defer": "y", "notes": "Wait for the scan"})
    assert _state(app, first)[0] == "deferred"
    # The same (now stale) form again: refused, not overwritten.
    page = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                               _expected_status=400, _data={**data, "notes": "Older text"})
    assert "Someone else saved this case" in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.get(Case, first).notes == "Wait for the scan"


def test_another_teams_case_is_404(app, client_request, team, meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    outsider.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                  _data={"outcome": "forged"}, _expected_status=404)
    assert _state(app, first)[1] == ""


def test_the_key_information_card_in_live_mode(app, client_request, team, meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    with app.app_context():
        patient_id = db.session.get(Case, first).patient_id
        db.session.add_all([
            KeyInfoSection(patient_id=patient_id, section="resuscitation",
                           changed_by_id=team.nurse.id,
                           data={"resuscitation_status": "dnacpr",
                                 "resuscitation_date": "2026-10-01"}),
            KeyInfoSection(patient_id=patient_id, section="wishes",
                           changed_by_id=team.nurse.id,
                           data={"preferred_place_of_death": "home"})])
        db.session.commit()
    page = client_request.get("meetings.live", meeting_id=meeting.id, case=first)
    card = {row.select_one("dt").get_text(strip=True): row.select_one("dd").get_text(" ",
                                                                                    strip=True)
            for row in page.select(".app-key-card .nhsuk-summary-list__row")}
    assert card["DNACPR / ReSPECT"].startswith("DNACPR decision in place (1 Oct 2026)")
    assert "by Priya Patel" in card["DNACPR / ReSPECT"]
    assert card["Preferred place of death"].startswith("Home")
    assert card["Preferred place of care"] == "Not recorded"
    assert card["Main carer"] == "Not recorded"


def test_typed_text_is_kept_as_a_draft_and_comes_back(app, client_request, team, meeting):
    """Typed, not saved: a reload (or another device) brings it back; a colleague sees that
    someone is writing; saving the case clears the draft."""
    first, _ = _live_meeting(app, client_request, team, meeting)
    status = client_request.post("meetings.save_draft", meeting_id=meeting.id, case_id=first,
                                 _htmx=True, _expected_status=200,
                                 _data={"notes": "Typed, not saved", "outcome": "Half an"})
    assert "Draft kept" in status.get_text()
    assert _state(app, first)[:2] == ("listed", "")  # a draft changes nothing of the case
    page = client_request.get("meetings.live", meeting_id=meeting.id, case=first)
    assert page.select_one(f"#notes-{first}").get_text() == "Typed, not saved"
    assert page.select_one(f"#outcome-{first}").get_text() == "Half an"
    assert "Restored what you typed" in page.select_one(".app-restored").get_text()
    # A second chair on another device sees who else is writing.
    with app.app_context():
        from mdt.teams.models import Membership
        db.session.execute(Membership.__table__.update().where(
            Membership.user_id == team.nurse.id).values(role="chair"))
        db.session.commit()
    second = ClientRequest(app)
    second.sign_in(team.nurse)
    other = second.get("meetings.live", meeting_id=meeting.id, case=first)
    assert "Grace Okafor is also writing on this case" in other.select_one(
        ".app-draft-status").get_text()
    assert other.select_one(f"#notes-{first}").get_text() == ""  # not her text
    # Saving (from the restored form) keeps the text and clears the draft.
    data = case_form(client_request, meeting.id, first)
    client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                        _data={**data, "outcome": "Half an hour more"})
    with app.app_context():
        case = db.session.get(Case, first)
        assert (case.notes, case.outcome) == ("Typed, not saved", "Half an hour more")
        from mdt.meetings.models import CaseDraft
        assert db.session.scalars(select(CaseDraft)).all() == []
    page = client_request.get("meetings.live", meeting_id=meeting.id, case=first)
    assert page.select_one(".app-restored") is None


def test_attendance_in_one_step_keeps_apologies(app, client_request, team, meeting):
    from mdt.meetings.models import Invitee
    _live_meeting(app, client_request, team, meeting, count=1)
    with app.app_context():
        ids = {i.email: i.id for i in db.session.scalars(select(Invitee).where(
            Invitee.meeting_id == meeting.id))}
    client_request.post("meetings.attendance", meeting_id=meeting.id,
                        invitee_id=ids["priya@example.nhs.uk"],
                        _data={"attendance": "apologies"})
    fragment = client_request.post("meetings.everyone_present", meeting_id=meeting.id,
                                   _htmx=True, _expected_status=200)
    assert "Everyone else is present" not in fragment.get_text()  # nobody left to mark
    with app.app_context():
        found = {i.email: i.attendance for i in db.session.scalars(select(Invitee).where(
            Invitee.meeting_id == meeting.id))}
    assert found.pop("priya@example.nhs.uk") == "apologies"
    assert set(found.values()) == {"present"} and len(found) >= 2


def test_the_key_information_shows_on_the_case_list_too(app, client_request, team, meeting):
    first, second = _live_meeting(app, client_request, team, meeting)
    with app.app_context():
        patient_id = db.session.get(Case, first).patient_id
        db.session.add(KeyInfoSection(patient_id=patient_id, section="people",
                                      changed_by_id=team.nurse.id,
                                      data={"carer_name": "Tom Ellis", "lpa_health_welfare": "no"}))
        db.session.commit()
    page = client_request.get("meetings.show", meeting_id=meeting.id)
    line = page.select_one(f"#case-{first} .app-case-key-info").get_text(" ", strip=True)
    assert "Main carer: Tom Ellis" in line and "Lasting power of attorney: No" in line
    assert "none recorded" in page.select_one(f"#case-{second} .app-case-key-info").get_text()


def test_another_teams_chair_reaches_none_of_the_rooms_new_routes(app, client_request, team,
                                                                 meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    outsider.post("meetings.save_draft", meeting_id=meeting.id, case_id=first,
                  _data={"notes": "forged"}, _expected_status=404)
    outsider.post("meetings.everyone_present", meeting_id=meeting.id, _expected_status=404)
    outsider.post("meetings.undo_finish", meeting_id=meeting.id, _expected_status=404)
    outsider.get("meetings.finish_check", meeting_id=meeting.id, _expected_status=404)
    outsider.post("meetings.start", meeting_id=meeting.id, _data={"confirm": "yes"},
                  _expected_status=404)
    with app.app_context():
        from mdt.meetings.models import CaseDraft, Invitee
        assert db.session.scalars(select(CaseDraft)).all() == []
        assert {i.attendance for i in db.session.scalars(select(Invitee))} == {"invited"}


def test_a_case_taken_off_the_list_is_not_recorded(app, client_request, team, meeting):
    """The case lifecycle (meetings/lifecycle.py): removed -> discussed is refused; the case
    comes back only by being added again."""
    first, _ = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    with app.app_context():
        db.session.get(Case, first).status = "removed"
        db.session.commit()
    page = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                               _expected_status=400, _data={**data, "outcome": "Too late"})
    assert _state(app, first) == ("removed", "", None, [])
    assert "taken off the list" in page.select_one(".nhsuk-error-summary").get_text()


def test_several_actions_are_checked_together_and_a_bad_one_saves_none(app, client_request,
                                                                       team, meeting):
    first, _ = _live_meeting(app, client_request, team, meeting)
    _, data = _form(client_request, meeting, first)
    page = client_request.post("meetings.record_case", meeting_id=meeting.id, case_id=first,
                               _expected_status=400, _data={
                                   **data, "action_rows": "3", "outcome": "Agreed",
                                   "actions-0-description": "One",
                                   "actions-0-owner_id": team.nurse.id,
                                   **date_fields("actions-0-due_on", WEEK),
                                   "actions-2-description": "Three",
                                   "actions-2-owner_id": team.outsider.id,
                                   **date_fields("actions-2-due_on", WEEK)})
    assert _state(app, first) == ("listed", "", None, [])
    summary, = page.select(".nhsuk-error-summary")  # the page's, not a second in the panel
    assert [(a["href"], a.get_text(strip=True)) for a in summary.select("a")] == [
        ("#actions-2-owner_id", "Choose an owner from the team")]
    assert page.select_one("#actions-0-description").get_text() == "One"
