"""The meeting page at a whole ICB's scale (issue 21): the case list is one form whose
buttons carry their case's id, and the add-case picker is a search, not a list of the whole
caseload."""

from sqlalchemy import select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.meetings.models import Case
from mdt.patients.listing import SEARCH_LIMIT
from tests.conftest import ClientRequest
from tests.meetings.test_timed_agenda import _add, _cases


def _listed(client_request, meeting, team):
    client_request.sign_in(team.chair)
    for patient in team.patients:
        _add(client_request, meeting, patient)


def _audit_rows(app, **where):
    with app.app_context():
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        for name, value in where.items():
            stmt = stmt.where(getattr(AuditEvent, name) == value)
        return db.session.scalars(stmt).all()


def test_the_case_list_is_one_form_and_each_button_names_its_case(app, client_request, team,
                                                                   meeting):
    _listed(client_request, meeting, team)
    page = client_request.get("meetings.show", meeting_id=meeting.id)
    case_list = page.select_one("#case-list")
    form = case_list.select_one("form#case-list-form")
    assert form.select("li.case-row form") == []  # no form per case
    assert len(form.select("input[name=csrf_token]")) == 1
    assert len(case_list.select("form")) == 2  # and the grouping buttons' own, above it
    ids = [int(li["data-case-id"]) for li in form.select("li.case-row")]
    # Enter in a time box presses the form's first button: the one that saves the times.
    assert form.select("button")[0]["name"] == "save_times"
    first, second = ids[0], ids[1]
    down = form.select_one(f"button[name=move_down][value='{first}']")
    assert down.get_text(" ", strip=True) == "Move down : Margaret Ellis"
    assert form.select_one(f"button[name=move_up][value='{first}']") is None
    assert form.select_one(f"button[name=move_up][value='{second}']") is not None
    assert "Arthur Whitfield" in form.select_one(
        f"button[name=remove][value='{second}']").get_text()
    assert "Arthur Whitfield" in form.select_one(
        f"button[name=save_time][value='{second}']").get_text()
    assert form.select_one(f"#minutes-{second}")["name"] == f"minutes-{second}"
    assert form.select_one(f"label[for=remove-{second}]") is not None


def test_enter_saves_every_time_changed_and_leaves_a_colleagues_change_alone(
        app, client_request, team, meeting):
    _listed(client_request, meeting, team)
    first, second, third = (case.id for case in _cases(app, meeting))
    shown = f"{first}:5:0 {second}:5:0 {third}:5:0"
    # A colleague sets the third case's time after this page was drawn.
    with app.app_context():
        db.session.get(Case, third).minutes = 30
        db.session.commit()
    client_request.post("meetings.change_cases", meeting_id=meeting.id, _data={
        "save_times": "all", "times_shown": shown,
        f"minutes-{first}": "15", f"break_after-{first}": "0",
        f"minutes-{second}": "5", f"break_after-{second}": "10",
        f"minutes-{third}": "5", f"break_after-{third}": "0"})  # as drawn: not hers
    assert [(c.minutes, c.break_after) for c in _cases(app, meeting)] == [
        (15, 0), (5, 10), (30, 0)]


def test_a_refused_time_among_several_saves_none_and_shows_each_as_typed(
        app, client_request, team, meeting):
    _listed(client_request, meeting, team)
    first, second, _ = (case.id for case in _cases(app, meeting))
    page = client_request.post("meetings.change_cases", meeting_id=meeting.id, _data={
        "save_times": "all", "times_shown": f"{first}:5:0 {second}:5:0",
        f"minutes-{first}": "15", f"minutes-{second}": "999"}, _expected_status=400)
    assert page.select_one(f"#minutes-{first}")["value"] == "15"
    assert page.select_one(f"#minutes-{second}")["value"] == "999"
    assert page.select_one(f"#minutes-{second}-error") is not None
    assert page.select_one(".nhsuk-error-summary a")["href"] == f"#minutes-{second}"
    assert [c.minutes for c in _cases(app, meeting)] == [5, 5, 5]


def test_a_case_id_of_another_meeting_or_team_is_404_and_audited(app, client_request, team,
                                                                 meeting, make_user):
    _listed(client_request, meeting, team)
    with app.app_context():
        other = Case(meeting_id=meeting.id, patient_id=team.theirs.id, position=9,
                     reason="r", urgency="routine")
        db.session.add(other)
        db.session.flush()
        foreign = other.id
        db.session.delete(other)  # now no case at all: absent and foreign answer the same
        db.session.commit()
    mine = _cases(app, meeting)[0].id
    for button in ("move_up", "move_down", "remove", "save_time"):
        before = len(_audit_rows(app, outcome="refused"))
        client_request.post("meetings.change_cases", meeting_id=meeting.id,
                            _data={button: str(foreign)}, _expected_status=404)
        refused = _audit_rows(app, outcome="refused")
        assert len(refused) == before + 1
        assert refused[-1].changes["case_id"] == str(foreign)
        assert refused[-1].record_id == meeting.id
    client_request.post("meetings.change_cases", meeting_id=meeting.id,
                        _data={"move_down": "junk"}, _expected_status=404)
    # The times of a case named only by its boxes are scoped the same way.
    client_request.post("meetings.change_cases", meeting_id=meeting.id, _data={
        "save_times": "all", "times_shown": f"{foreign}:5:0",
        f"minutes-{foreign}": "9"}, _expected_status=404)
    # A member is not the chair; another team's chair does not see the meeting at all.
    ClientRequest(app).sign_in(team.nurse).post(
        "meetings.change_cases", meeting_id=meeting.id, _data={"move_down": str(mine)},
        _expected_status=403)
    ClientRequest(app).sign_in(team.outsider).post(
        "meetings.change_cases", meeting_id=meeting.id, _data={"move_down": str(mine)},
        _expected_status=404)


def test_a_case_of_another_meeting_of_the_same_team_is_404(app, client_request, team,
                                                           meeting):
    from mdt.meetings.models import Meeting

    _listed(client_request, meeting, team)
    with app.app_context():
        source = db.session.get(Meeting, meeting.id)
        twin = Meeting(team_id=source.team_id, title="Other", starts_at=source.starts_at,
                       ends_at=source.ends_at, chair_id=source.chair_id, uid="other@test")
        db.session.add(twin)
        db.session.flush()
        case = Case(meeting_id=twin.id, patient_id=team.patients[0].id, position=1,
                    reason="r", urgency="routine")
        db.session.add(case)
        db.session.commit()
        case_id = case.id
    client_request.post("meetings.change_cases", meeting_id=meeting.id,
                        _data={"remove": str(case_id), f"removed_reason-{case_id}": "x"},
                        _expected_status=404)
    with app.app_context():
        assert db.session.get(Case, case_id).status == "listed"


def test_the_picker_searches_the_teams_caseload_not_the_list_nor_other_teams(
        app, client_request, team, meeting, make_patient):
    client_request.sign_in(team.chair)
    _add(client_request, meeting, team.patients[0])  # Margaret Ellis: on the list already
    page = client_request.get("meetings.show", meeting_id=meeting.id)
    assert page.select_one("select#patient_id") is None  # no list of the whole caseload
    assert page.select("#patient-results input[type=radio]") == []
    found = client_request.post("meetings.find_patient", meeting_id=meeting.id,
                                _data={"find": "e"}, _expected_status=200, _htmx=True)
    assert found.select_one("h1") is None  # the results alone
    labels = [label.get_text(strip=True) for label in found.select("label")]
    assert labels == ["Achebe, Doreen", "Whitfield, Arthur"]  # not Ellis (listed) nor Vera
    hint = found.select_one("#patient_id-hint").get_text(strip=True)
    number = team.patients[2].nhs_number
    assert hint == f"NHS number {number[:3]} {number[3:6]} {number[6:]}"
    by_number = client_request.post("meetings.find_patient", meeting_id=meeting.id,
                                    _data={"find": number}, _expected_status=200,
                                    _htmx=True)
    assert [i["value"] for i in by_number.select("input[type=radio]")] == [
        str(team.patients[2].id)]
    short = client_request.post("meetings.find_patient", meeting_id=meeting.id,
                                _data={"find": "12"}, _expected_status=200, _htmx=True)
    assert "at least 3 digits" in short.get_text()


def test_the_picker_shows_20_and_says_how_many_matched(app, client_request, team, meeting,
                                                       make_patient):
    for n in range(SEARCH_LIMIT + 5):
        make_patient(given=f"Many{n:02d}", family="Searchable")
    client_request.sign_in(team.chair)
    found = client_request.post("meetings.find_patient", meeting_id=meeting.id,
                                _data={"find": "searchable"}, _expected_status=200,
                                _htmx=True)
    assert len(found.select("input[type=radio]")) == SEARCH_LIMIT
    assert "Showing 20 of 25: type more" in found.select_one("[role=status]").get_text()


def test_without_javascript_the_search_brings_the_page_back_with_its_results(
        app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    page = client_request.post("meetings.find_patient", meeting_id=meeting.id,
                               _data={"find": "Whitfield"}, _expected_status=200)
    assert page.select_one("h1") is not None and page.select_one("#find")["value"] == \
        "Whitfield"
    radio = page.select_one("#patient-results input[type=radio]")
    assert radio["value"] == str(team.patients[1].id)
    assert radio.find_parent("form")["action"].endswith(f"/meetings/{meeting.id}/cases")
    # Chosen, but the reason left out: the page comes back with her choice still made.
    again = client_request.post("meetings.add_case", meeting_id=meeting.id, _data={
        "patient_id": team.patients[1].id, "reason": "", "urgency": "routine"},
        _expected_status=400)
    assert again.select_one("#patient-results input[checked]")["value"] == \
        str(team.patients[1].id)
    # Nothing chosen: the error links to the search box, there being no choices shown.
    none = client_request.post("meetings.add_case", meeting_id=meeting.id, _data={
        "reason": "To discuss", "urgency": "routine"}, _expected_status=400)
    assert none.select_one(".nhsuk-error-summary a[href='#find']") is not None


def test_a_search_is_audited_as_a_search_and_the_meeting_not_as_a_patient_list(
        app, client_request, team, meeting):
    client_request.sign_in(team.chair)
    _add(client_request, meeting, team.patients[0])
    lists = len(_audit_rows(app, record_type="patient_list"))
    client_request.get("meetings.show", meeting_id=meeting.id)
    viewed = _audit_rows(app, record_type="meeting", action="view")[-1]
    assert viewed.changes["patients"] == [team.patients[0].id]  # the list, not the caseload
    assert len(_audit_rows(app, record_type="patient_list")) == lists
    client_request.post("meetings.find_patient", meeting_id=meeting.id,
                        _data={"find": "Whitfield"}, _expected_status=200, _htmx=True)
    search = _audit_rows(app, record_type="patient_search")[-1]
    assert search.record_id == meeting.id and search.action == "view"
    assert search.changes["shown"] == search.changes["matched"] == 1
    assert search.changes["patients"] == [team.patients[1].id]
    assert "Whitfield" not in str(search.changes) and search.changes["search_hmac"]


def test_hostile_text_in_a_case_is_written_as_text(app, client_request, team, meeting):
    """Each case's <li> is written in Python (case_list_html), not by Jinja's autoescape:
    markup typed in a name, a reason or a referrer comes back as text."""
    from mdt.patients.models import Patient
    from tests.test_hostile_input import _no_markup_from

    evil = "\"><img src=x onerror=alert(1)><script>alert(2)</script>"
    patient = team.patients[0]
    with app.app_context():
        db.session.get(Patient, patient.id).given_name = evil
        db.session.commit()
    client_request.sign_in(team.chair)
    client_request.post("meetings.add_case", meeting_id=meeting.id, _data={
        "patient_id": patient.id, "reason": evil, "urgency": "urgent", "presenter_id": "",
        "referred_by": evil}, _expected_status=303)
    page = client_request.get("meetings.show", meeting_id=meeting.id)
    html = str(page)
    _no_markup_from(evil, html)
    item = page.select_one("li.case-row")
    assert evil in item.select_one(".app-case__reason").get_text()
    assert evil in item.select_one("h3 a").get_text()
    assert evil in item.select_one("button[name=remove]").get_text()
