"""End-to-end scenarios in a real browser, as the team uses the app: a chair runs an MDT
meeting from scheduling to minutes; a district nurse merges two visits to the same patient;
a key worker completes an action; the same with JavaScript off; live mode by keyboard only.

Each key page is saved as a full-page screenshot under test-artefacts/ (named after the
scenario and the step) and checked with axe-core (no serious or critical WCAG 2.2 A/AA
violation). Any console error or CSP violation fails the test (conftest)."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect

from mdt.extensions import db
from tests.browser.conftest import assert_accessible, sign_in

ARTEFACTS = Path(__file__).resolve().parents[2] / "test-artefacts"
TEAM = "Riverside"


_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.S | re.I)
_NOSCRIPT = re.compile(r"</?noscript>", re.I)


@pytest.fixture
def capture(new_context):
    """capture(page, scenario, step): a full-page screenshot of what the user sees now, saved
    as test-artefacts/<scenario>--<step>.png, then the axe check on the page.

    axe.run needs timers, which never fire with JavaScript off, so a page seen without
    JavaScript (javascript=False) is checked as a copy: its DOM as that user has it (the
    <noscript> parts shown, no scripts), served at the same address to a page that runs
    JavaScript, with the same stylesheets."""
    state = {}

    def serve_copy(route, request):
        if request.resource_type == "document":
            route.fulfill(status=200, content_type="text/html; charset=utf-8",
                          body=state["html"])
        else:
            route.continue_()

    def shoot(page, scenario: str, step: str, javascript: bool = True) -> None:
        ARTEFACTS.mkdir(exist_ok=True)
        # caret="initial": Playwright's default hides the caret with an inline style on each
        # input and leaves style="" behind, which htmx's settle step then copies onto the
        # swapped-in elements (a CSP style-src error that is the test's, not the app's).
        page.screenshot(path=ARTEFACTS / f"{scenario}--{step}.png", full_page=True,
                        caret="initial")
        if javascript:
            assert_accessible(page)
            return
        state["html"] = _NOSCRIPT.sub("", _SCRIPT.sub("", page.content()))
        if "copy" not in state:
            state["copy"] = new_context().new_page()
            state["copy"].route("**/*", serve_copy)
        state["copy"].goto(page.url.split("#")[0])
        assert_accessible(state["copy"])

    return shoot


@pytest.fixture
def today(app):
    from mdt.timeutil import london_today

    return london_today()


@pytest.fixture
def team(make_user, app):
    """The Riverside team: a chair (a GP), a community matron and a district nurse."""
    chair = make_user(name="Asha Patel", role="chair", team=TEAM, profession="gp")
    matron = make_user(name="Grace Okafor", team=TEAM, profession="community_matron",
                       skills=["syringe_driver", "wound_care"])
    nurse = make_user(name="Chloe Brennan", team=TEAM, profession="district_nurse",
                      skills=["wound_care"])
    with app.app_context():
        from mdt.teams.service import get_or_create_team

        team_id = get_or_create_team(TEAM).id
    return type("Team", (), {"id": team_id, "chair": chair, "matron": matron,
                             "nurse": nurse})


def actor(team, user, role="member"):
    from mdt.auth.actor import Actor

    return Actor(user_id=user.id, team_ids=(team.id,), roles={team.id: role})


def fill_date(page, prefix: str, day) -> None:
    page.fill(f"#{prefix}-day", str(day.day))
    page.fill(f"#{prefix}-month", str(day.month))
    page.fill(f"#{prefix}-year", str(day.year))


def uk_date(day) -> str:
    return f"{day.day} {day:%b %Y}"


def run_meeting(page) -> None:
    """Run the meeting: one planned for another day asks first (issue 20)."""
    page.get_by_role("button", name="Run the meeting").click()
    expect(page.locator("h1")).to_contain_text(": start it now?")
    page.get_by_role("button", name="Start it now").click()


def finish_meeting(page, moving: int) -> None:
    """Finish: the page says what will move, once, before it is done."""
    page.get_by_role("button", name="Finish meeting").click()
    expect(page.locator("h1")).to_have_text("Finish the meeting?")
    expect(page.locator("#finish-effects")).to_contain_text(
        f"{moving} {'case' if moving == 1 else 'cases'} not discussed (or deferred) will "
        "move to" if moving else "nothing moves")
    page.get_by_role("button", name="Finish meeting").click()


# --- set-up through the service layer, for the scenarios that are about something else ---

def schedule_meeting(app, team, day, patients=()):
    """A meeting on `day`, 12:30 to 14:00 UK time, with the patients on its case list."""
    from datetime import time

    from mdt.meetings import cases, service

    with app.app_context():
        chair = actor(team, team.chair, "chair")
        meeting = service.schedule_meeting(chair, team.id, service.MeetingDetails(
            title="Neighbourhood MDT", day=day, start=time(12, 30), end=time(14, 0),
            location="Riverside Health Centre", chair_id=team.chair.id))
        db.session.commit()
        for patient in patients:
            cases.add_case(chair, meeting, patient_id=patient.id, reason="Review the plan",
                           urgency="routine", presenter_id=None, referred_by="")
            db.session.commit()
        return meeting.id


def plan_visits_to_merge(app, team, patient, day):
    """A syringe-driver visit by the matron and a dressing visit by the district nurse to
    the same patient on the same day: the team's catalogue, then the two visits."""
    from mdt.extensions import db
    from mdt.visits import service

    with app.app_context():
        service.ensure_task_catalogue(team.id)  # as the first visit to /visits/tasks does
        db.session.commit()
        task = {t.name: t.id for t in service.task_types(team.id)}
        ids = []
        for user, name, window in ((team.matron, "Syringe driver change", "morning"),
                                   (team.nurse, "Dressing", "afternoon")):
            visit, _ = service.plan_visit(actor(team, user), team_id=team.id,
                                          patient_id=patient.id, professional_id=user.id,
                                          day=day, window=window, at_time=None, minutes=30,
                                          task_type_ids=[task[name]])
            db.session.commit()
            ids.append(visit.id)
        return ids


def give_action(app, team, owner, patient, description, due):
    from mdt.actions import service

    with app.app_context():
        _result = service.create_action(actor(team, team.chair, "chair"), team_id=team.id,
                                     description=description, owner_id=owner.id, due_on=due,
                                     priority="high", patient_id=patient.id).id
        db.session.commit()
        return _result


# --- 1. the chair runs a meeting, from scheduling to the minutes and the next meeting ---

def test_chair_schedules_builds_runs_and_finishes_a_meeting(new_context, capture, team,
                                                            make_patient, today):
    s = "1-meeting"
    patients = [make_patient(given=given, family=family) for given, family in
                (("Arthur", "Whitfield"), ("Vera", "Lindqvist"), ("Doris", "Pemberton"))]
    page = new_context().new_page()
    sign_in(page, team.chair)

    page.get_by_role("link", name="Meetings", exact=True).click()
    expect(page.get_by_role("heading", name="Meetings", level=1)).to_be_visible()
    page.get_by_role("link", name="Schedule a meeting").click()
    expect(page).to_have_url(re.compile(r"/meetings/new$"))
    capture(page, s, "01-schedule-form")
    day = today + timedelta(days=14)
    fill_date(page, "day", day)
    page.fill("#start", "12:30")
    page.fill("#end", "14:00")
    page.fill("#location", "Riverside Health Centre, room 2")
    page.get_by_role("button", name="Schedule meeting").click()
    expect(page).to_have_url(re.compile(r"/meetings/\d+$"))
    meeting_url = page.url
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Meeting scheduled")
    expect(page.locator(".nhsuk-summary-list")).to_contain_text(
        f"{uk_date(day)}, 12:30 to 14:00 (UK time)")
    expect(page.locator("#case-list")).to_contain_text("No cases on the list yet.")

    for patient, urgency in zip(patients, ("urgent", "routine", "soon"), strict=True):
        page.fill("#find", patient.family_name)  # htmx searches as she types
        choice = page.get_by_label(f"{patient.family_name}, {patient.given_name}")
        expect(choice).to_be_visible()
        choice.check()
        page.fill("#reason", f"Plan for {patient.given_name}'s care at home")
        page.select_option("#urgency", urgency)
        page.get_by_role("button", name="Add to the case list").click()
        expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Case added")
    expect(page.locator("#case-list-heading")).to_have_text("Case list (3)")
    names = page.locator("#case-list .app-case__main h3 a").all_inner_texts()
    assert names == ["Arthur Whitfield", "Vera Lindqvist", "Doris Pemberton"], names
    page.fill("#find", patients[0].family_name)  # everyone is on the list: no match
    expect(page.locator("#patient-results [role=status]")).to_contain_text(
        "No patient on the team's caseload matches")
    capture(page, s, "02-meeting-with-case-list")

    run_meeting(page)
    expect(page).to_have_url(re.compile(r"/meetings/\d+/live$"))
    panel = page.locator("#live-case")
    expect(panel.locator("h2")).to_have_text("Arthur Whitfield")
    expect(panel).to_contain_text("Case 1 of 3 · To discuss")
    capture(page, s, "03-live-first-case")

    attendance = page.locator("#attendance").get_by_label("Grace Okafor", exact=True)
    with page.expect_response(re.compile(r"/attendance/\d+$")) as response:
        attendance.select_option("present")
    assert response.value.ok
    expect(page.locator("#attendance").get_by_label("Grace Okafor", exact=True)).to_have_value(
        "present")

    # One case, one form, one save (issue 20): the outcome, an action with its owner and due
    # date, and a key worker change. Each click, fill or choice counts as an interaction;
    # Tab and the characters typed into a field are keystrokes.
    interactions = []

    def act(name, step):
        interactions.append(name)
        step()

    act("outcome", lambda: panel.get_by_label("Outcome").fill(
        "Continue at home with daily district nurse visits."))
    act("action", lambda: panel.get_by_label("What needs doing").fill(
        "Refer to hospice at home team"))
    act("owner", lambda: panel.get_by_label("Owner").select_option(
        label="Chloe Brennan (District nurse)"))
    due = today + timedelta(days=7)
    act("due date", lambda: panel.locator("#actions-0-due_on-day").click())
    for part in (due.day, due.month, due.year):  # keystrokes: the part, then Tab
        page.keyboard.type(str(part))
        page.keyboard.press("Tab")
    act("key worker", lambda: panel.get_by_label("Key worker", exact=True).select_option(
        label="Grace Okafor (Community matron)"))
    with page.expect_response(re.compile(r"/live/\d+/record$")) as response:
        act("save", lambda: panel.get_by_role("button", name="Save", exact=True).click())
    assert response.value.ok, response.value.text()[:3000]
    server_ms = float(response.value.headers["server-timing"].split("dur=")[1])
    print(f"one case recorded in {len(interactions)} interactions ({', '.join(interactions)});"
          f" the save took {server_ms:.0f} ms on the server")
    assert len(interactions) <= 8
    assert server_ms < 200, server_ms
    expect(panel.locator(".app-saved")).to_contain_text("1 action, key worker")
    expect(panel).to_contain_text("Case 1 of 3 · Discussed")
    expect(panel.get_by_label("Outcome")).to_have_value(
        "Continue at home with daily district nurse visits.")
    nav = page.locator("#live-nav-list li")
    expect(nav.nth(0)).to_contain_text("Arthur Whitfield (discussed)")
    expect(nav.nth(1)).to_contain_text("Vera Lindqvist (to discuss)")
    assert page.url.endswith("/live")  # swapped in place: no page load
    expect(panel).to_contain_text("Key worker: Grace Okafor")
    expect(panel.locator(".app-open-actions")).to_contain_text(
        f"Refer to hospice at home team: Chloe Brennan, due {uk_date(today + timedelta(days=7))}")
    capture(page, s, "04-live-first-case-discussed")

    panel.get_by_role("link", name="Next: Vera Lindqvist").click()
    expect(panel.locator("h2")).to_have_text("Vera Lindqvist")
    expect(panel).to_contain_text("Case 2 of 3 · To discuss")
    expect(page).to_have_url(re.compile(r"/live\?case=\d+$"))  # hx-push-url
    capture(page, s, "05-live-second-case")

    finish_meeting(page, moving=2)
    expect(page).to_have_url(re.compile(r"/meetings/\d+/minutes$"))
    minutes = page.locator("main")
    expect(minutes).to_contain_text("Present: Grace Okafor")
    expect(minutes.locator(".minutes-case").nth(0)).to_contain_text(
        "1. Arthur Whitfield")
    expect(minutes.locator(".minutes-case").nth(0)).to_contain_text("discussed")
    expect(minutes.locator(".minutes-case").nth(0)).to_contain_text(
        "Continue at home with daily district nurse visits.")
    expect(minutes.locator(".minutes-case").nth(1)).to_contain_text("carried forward")
    expect(minutes.locator(".minutes-case").nth(2)).to_contain_text("carried forward")
    expect(minutes).to_contain_text(
        "Arthur Whitfield: nobody to Grace Okafor (Agreed at the MDT meeting)")
    expect(minutes).to_contain_text("Refer to hospice at home team (Arthur Whitfield): "
                                    "Chloe Brennan, due")
    capture(page, s, "06-minutes")

    # Not asserted: the "Meeting finished. 2 cases carried forward to ..." confirmation. The
    # finish view flashes it, but the minutes page (a standalone template) does not show
    # flashed messages, so it appears on whichever page comes next (an app bug, reported).
    page.get_by_role("link", name="Back to the meeting").click()
    expect(page).to_have_url(meeting_url)
    page.get_by_role("link", name="Meetings", exact=True).click()
    upcoming = page.locator("tr.upcoming-meeting")
    expect(upcoming).to_have_count(2)
    expect(upcoming.nth(0)).to_contain_text("Finished")
    expect(upcoming.nth(1)).to_contain_text(f"{uk_date(day + timedelta(weeks=4))}, 12:30")
    expect(upcoming.nth(1)).to_contain_text("Scheduled")
    capture(page, s, "07-meetings")

    upcoming.nth(1).get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Neighbourhood MDT, {uk_date(day + timedelta(weeks=4))}")
    expect(page.locator("#case-list-heading")).to_have_text("Case list (2)")
    carried = page.locator("#case-list li.app-case")
    for n, name in enumerate(("Vera Lindqvist", "Doris Pemberton")):
        expect(carried.nth(n)).to_contain_text(name)
        expect(carried.nth(n)).to_contain_text("Carried forward from an earlier meeting")
    expect(page.locator("#case-list")).not_to_contain_text("Arthur Whitfield")
    capture(page, s, "08-next-meeting")


# --- 2. a district nurse accepts a merge suggestion; the matron's day shows one visit ---

def test_district_nurse_merges_her_visit_into_the_matrons(new_context, capture, app, team,
                                                         make_patient, today):
    s = "2-visits"
    patient = make_patient(given="Margaret", family="Ellis", address="14 Mill Lane, Riverside",
                           postcode="RV1 2AB")
    tomorrow = today + timedelta(days=1)
    plan_visits_to_merge(app, team, patient, tomorrow)

    nurse = new_context().new_page()
    sign_in(nurse, team.nurse)
    nurse.goto(f"/visits?date={tomorrow.isoformat()}")
    expect(nurse.get_by_role("heading", level=1)).to_have_text(f"My visits, {uk_date(tomorrow)}")
    expect(nurse.locator(".app-suggestion")).to_contain_text(
        "Grace Okafor holds syringe driver and wound care: one visit instead of two, saves "
        "about 30 minutes.")
    rows = nurse.locator("tr.visit-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Margaret Ellis")
    expect(rows.first).to_contain_text("14 Mill Lane, Riverside RV1 2AB")
    expect(rows.first).to_contain_text("Dressing")
    capture(nurse, s, "01-nurse-day-with-suggestion")

    nurse.get_by_role("link", name="Team day board").click()
    expect(nurse.get_by_role("heading", level=1)).to_have_text(
        f"Team visits, {uk_date(tomorrow)}")
    expect(nurse.locator("tr.visit-row")).to_have_count(2)
    capture(nurse, s, "02-board-before")
    nurse.get_by_role("button", name="Merge into one visit").click()
    expect(nurse.locator(".nhsuk-notification-banner")).to_contain_text(
        "Visits merged: the patient now has one visit")
    expect(nurse.get_by_role("heading", name="Suggestions (0)")).to_be_visible()
    expect(nurse.locator("tr.visit-row")).to_have_count(1)
    capture(nurse, s, "03-board-after-merge")

    nurse.get_by_role("link", name="My visits").click()
    expect(nurse.locator("main")).to_contain_text("No visits planned for you on this day.")
    expect(nurse.locator(".app-suggestion")).to_have_count(0)
    capture(nurse, s, "04-nurse-day-after")

    matron = new_context().new_page()
    sign_in(matron, team.matron, with_form=False)
    matron.goto(f"/visits?date={tomorrow.isoformat()}")
    rows = matron.locator("tr.visit-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Margaret Ellis")
    expect(rows.first.locator("td").nth(2).locator("li")).to_have_text(
        ["Syringe driver change", "Dressing"])
    expect(rows.first).to_contain_text("60 min")
    expect(matron.locator("#notices")).to_contain_text(
        f"Visits on {uk_date(tomorrow)} were merged: Grace Okafor now makes one visit")
    capture(matron, s, "05-matron-day")


# --- 3. a key worker completes an action; the chair's board shows it done ---

def test_key_worker_completes_an_action_and_the_chair_sees_it_done(new_context, capture, app,
                                                                  team, make_patient, today):
    s = "3-actions"
    patient = make_patient(given="Arthur", family="Whitfield")
    action_id = give_action(app, team, team.nurse, patient, "Order a pressure mattress",
                            today + timedelta(days=2))

    nurse = new_context().new_page()
    sign_in(nurse, team.nurse)  # lands on My actions
    row = nurse.locator(f"#action-{action_id}")
    expect(row).to_contain_text("Order a pressure mattress")
    expect(row).to_contain_text("Arthur Whitfield")
    capture(nurse, s, "01-my-actions")
    nurse.evaluate("() => { window.__stillTheSamePage = true }")
    with nurse.expect_response(re.compile(rf"/actions/{action_id}/complete$")) as response:
        row.get_by_role("button", name="Mark done").click()
    assert response.value.ok
    expect(row).to_contain_text("Action marked as done")
    expect(row.get_by_role("button", name="Mark done")).to_have_count(0)
    expect(row.get_by_role("link", name="view or reopen")).to_be_visible()
    expect(nurse.locator("#action-status")).to_have_text(
        "Action marked as done: Order a pressure mattress")
    assert nurse.evaluate("() => window.__stillTheSamePage") is True  # swapped, not reloaded
    capture(nurse, s, "02-my-actions-done")

    chair = new_context().new_page()
    sign_in(chair, team.chair, with_form=False)
    chair.goto("/actions/board?status=done")
    expect(chair.locator("#board-count")).to_have_text("1 action")
    board_row = chair.locator("tr.board-row")
    expect(board_row).to_contain_text("Order a pressure mattress")
    expect(board_row).to_contain_text("Arthur Whitfield")
    expect(board_row.locator("td").last).to_have_text("Done")
    expect(chair.get_by_role("heading", name="Chloe Brennan (1)")).to_be_visible()
    capture(chair, s, "03-chair-board-done")


# --- 4. the same flows without JavaScript: plain forms, posts and redirects ---

def test_without_javascript_key_worker_completes_an_action(new_context, capture, app, team,
                                                          make_patient, today):
    s = "4-nojs-actions"
    patient = make_patient(given="Arthur", family="Whitfield")
    action_id = give_action(app, team, team.nurse, patient, "Order a pressure mattress",
                            today + timedelta(days=2))

    nurse = new_context(java_script_enabled=False).new_page()
    sign_in(nurse, team.nurse)
    nurse.locator(f"#action-{action_id}").get_by_role("button", name="Mark done").click()
    expect(nurse).to_have_url(re.compile(r"/actions$"))
    expect(nurse.locator(".nhsuk-notification-banner")).to_contain_text("Action marked as done")
    expect(nurse.locator(f"#action-{action_id}")).to_have_count(0)  # no longer open
    capture(nurse, s, "01-my-actions-done", javascript=False)

    chair = new_context(java_script_enabled=False).new_page()
    sign_in(chair, team.chair, with_form=False)
    chair.goto("/actions/board")
    chair.select_option("#status", "done")
    chair.get_by_role("button", name="Filter").click()
    expect(chair).to_have_url(re.compile(r"status=done"))
    board_row = chair.locator("tr.board-row")
    expect(board_row).to_have_count(1)
    expect(board_row).to_contain_text("Order a pressure mattress")
    expect(board_row.locator("td").last).to_have_text("Done")
    capture(chair, s, "02-chair-board-done", javascript=False)


def test_without_javascript_chair_adds_a_case_records_the_discussion_and_finishes(
        new_context, capture, app, team, make_patient, today):
    s = "4-nojs-meeting"
    listed = make_patient(given="Vera", family="Lindqvist")
    added = make_patient(given="Arthur", family="Whitfield")
    day = today + timedelta(days=14)
    meeting_id = schedule_meeting(app, team, day, [listed])

    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, team.chair, with_form=False)
    page.goto(f"/meetings/{meeting_id}")
    page.fill("#find", added.family_name)  # without JavaScript: the search reloads the page
    page.get_by_role("button", name="Search for the patient").click()
    expect(page.locator("#patient-results [role=status]")).to_contain_text("1 patient matches")
    page.get_by_label(f"{added.family_name}, {added.given_name}").check()
    page.fill("#reason", "New pressure sore")
    page.get_by_role("button", name="Add to the case list").click()
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}#case-list$"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Case added")
    expect(page.locator("#case-list-heading")).to_have_text("Case list (2)")
    expect(page.locator("#case-list li.app-case").nth(1)).to_contain_text("Arthur Whitfield")
    capture(page, s, "01-case-added", javascript=False)

    run_meeting(page)
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}/live$"))
    attendance = page.locator("#attendance li").filter(has_text="Grace Okafor")
    attendance.get_by_label("Grace Okafor").select_option("apologies")
    attendance.get_by_role("button", name="Save").click()  # the <noscript> button
    expect(page).to_have_url(re.compile(r"/live#attendance$"))

    panel = page.locator("#live-case")
    expect(panel.locator("h2")).to_have_text("Vera Lindqvist")
    panel.get_by_label("Outcome").fill("Stable: review in three months.")
    panel.get_by_role("button", name="Save", exact=True).click()
    expect(page).to_have_url(re.compile(r"/live\?case=\d+$"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Saved")
    expect(panel).to_contain_text("Case 1 of 2 · Discussed")
    expect(page.locator("#live-nav-list li").nth(0)).to_contain_text("(discussed)")
    capture(page, s, "02-live-discussion-saved", javascript=False)

    finish_meeting(page, moving=1)
    expect(page).to_have_url(re.compile(rf"/meetings/{meeting_id}/minutes$"))
    expect(page.locator("main")).to_contain_text("Apologies: Grace Okafor")
    expect(page.locator(".minutes-case").nth(0)).to_contain_text(
        "Stable: review in three months.")
    expect(page.locator(".minutes-case").nth(1)).to_contain_text("Arthur Whitfield")
    expect(page.locator(".minutes-case").nth(1)).to_contain_text("carried forward")
    capture(page, s, "03-minutes", javascript=False)


def test_without_javascript_the_nurse_merges_visits_from_the_board(new_context, capture, app,
                                                                   team, make_patient, today):
    s = "4-nojs-visits"
    patient = make_patient(given="Margaret", family="Ellis")
    tomorrow = today + timedelta(days=1)
    plan_visits_to_merge(app, team, patient, tomorrow)

    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, team.nurse, with_form=False)
    page.goto(f"/visits/board?date={tomorrow.isoformat()}")
    page.get_by_role("button", name="Merge into one visit").click()
    expect(page).to_have_url(re.compile(rf"/visits/board\?date={tomorrow.isoformat()}"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Visits merged")
    rows = page.locator("tr.visit-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Grace Okafor")
    expect(rows.first.locator("li")).to_have_text(["Syringe driver change", "Dressing"])
    capture(page, s, "01-board-after-merge", javascript=False)


# --- 5. live mode by keyboard only: focus lands on the new case's heading, visibly ---

def test_keyboard_user_saves_a_discussion_and_focus_moves_to_the_case_heading(
        new_context, capture, app, team, make_patient, today):
    s = "5-keyboard"
    patients = [make_patient(given="Arthur", family="Whitfield"),
                make_patient(given="Vera", family="Lindqvist")]
    meeting_id = schedule_meeting(app, team, today + timedelta(days=14), patients)
    page = new_context().new_page()
    sign_in(page, team.chair, with_form=False)
    page.goto(f"/meetings/{meeting_id}")
    page.get_by_role("button", name="Run the meeting").focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Start it now").focus()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/live$"))

    notes = page.locator("#live-case").get_by_label("Discussion notes")
    notes.focus()
    page.keyboard.type("Discussed by keyboard only.")
    # Ctrl + Enter: save, and on to the next case.
    with page.expect_response(re.compile(r"/live/\d+/record$")) as response:
        page.keyboard.press("Control+Enter")
    assert response.value.ok
    expect(page.locator("#live-case")).to_contain_text("Case 2 of 2 · To discuss")
    expect(page.locator("#live-nav-list li").nth(0)).to_contain_text("(discussed)")
    heading = page.locator("#live-case h2")
    expect(heading).to_be_focused()
    assert page.evaluate("() => document.activeElement === document.querySelector("
                         "'#live-case h2')")
    style = page.evaluate("""() => {
        const s = getComputedStyle(document.activeElement);
        return {outline: s.outlineStyle, width: s.outlineWidth, shadow: s.boxShadow};
    }""")
    visible = (style["outline"] != "none" and style["width"] != "0px") or \
        style["shadow"] != "none"
    assert visible, f"the focused heading shows no focus indicator: {style}"
    capture(page, s, "01-focus-on-case-heading")


def test_nothing_typed_is_lost_to_a_reload_a_swap_or_a_dropped_connection(
        new_context, capture, app, team, make_patient, today):
    s = "8-drafts"
    patients = [make_patient(given="Arthur", family="Whitfield"),
                make_patient(given="Vera", family="Lindqvist")]
    meeting_id = schedule_meeting(app, team, today + timedelta(days=14), patients)
    context = new_context()
    page = context.new_page()
    sign_in(page, team.chair, with_form=False)
    page.goto(f"/meetings/{meeting_id}")
    run_meeting(page)
    panel = page.locator("#live-case")
    draft = panel.locator(".app-draft-status")

    # Typed, then the page reloaded: the text comes back.
    with page.expect_response(re.compile(r"/live/\d+/draft$")):
        panel.get_by_label("Discussion notes").type("Pain worse at night")
    expect(draft).to_contain_text("Draft kept")
    page.reload()
    expect(panel.get_by_label("Discussion notes")).to_have_value("Pain worse at night")
    expect(panel.locator(".app-restored")).to_contain_text("Restored what you typed")

    # An htmx swap (a second action row) keeps what is typed and saves nothing.
    panel.get_by_label("Outcome").fill("GP to review")
    panel.get_by_role("button", name="Add another action").click()
    expect(panel.locator("#actions-1-description")).to_be_visible()
    expect(panel.get_by_label("Outcome")).to_have_value("GP to review")
    expect(panel.get_by_label("Discussion notes")).to_have_value("Pain worse at night")

    # The connection drops while she types: she is told, nothing is lost, and the draft is
    # kept as soon as the connection returns.
    context.mdt_watch.offline = True  # the failed requests that follow are expected
    context.set_offline(True)
    panel.get_by_label("Decisions").type("Refer to hospice")
    expect(draft).to_contain_text("connection was lost")
    expect(panel.get_by_label("Decisions")).to_have_value("Refer to hospice")
    capture(page, s, "01-offline-text-kept")
    with page.expect_response(re.compile(r"/live/\d+/draft$")):
        context.set_offline(False)
    expect(draft).to_contain_text("Draft kept")
    page.reload()
    expect(panel.get_by_label("Decisions")).to_have_value("Refer to hospice")
    expect(panel.get_by_label("Outcome")).to_have_value("GP to review")

    # Saved: the draft is gone and the case holds the text.
    case_id = panel.locator("article").get_attribute("id").rsplit("-", 1)[1]
    panel.get_by_role("button", name="Save", exact=True).click()
    expect(panel.locator(".app-saved")).to_contain_text("Saved")
    page.goto(f"/meetings/{meeting_id}/live?case={case_id}")
    expect(panel.locator(".app-restored")).to_have_count(0)
    expect(panel.get_by_label("Decisions")).to_have_value("Refer to hospice")


def test_each_role_has_its_own_front_door(new_context, capture, app, team, make_patient,
                                          today):
    """The chair (a GP here) sees the next meeting, referrals and the team's overdue
    actions; a district nurse sees her visits today. Both pages pass axe (capture)."""
    s = "9-front-doors"
    patient = make_patient(given="Arthur", family="Whitfield")
    schedule_meeting(app, team, today + timedelta(days=7), [patient])
    plan_visits_to_merge(app, team, patient, today)
    chair = new_context().new_page()
    sign_in(chair, team.chair, then=None)
    expect(chair).to_have_url(re.compile(r"/$"))
    expect(chair.locator("#door-meeting")).to_contain_text("Neighbourhood MDT")
    expect(chair.locator("#door-meeting")).to_contain_text("1 case of")
    expect(chair.locator("#door-referrals")).to_contain_text("waiting for triage")
    capture(chair, s, "01-chair")
    nurse = new_context().new_page()
    sign_in(nurse, team.nurse, then=None)
    expect(nurse.locator("#door-visits")).to_contain_text("Your visits today (1)")
    expect(nurse.locator("#door-visits")).to_contain_text("Arthur Whitfield")
    expect(nurse.locator("#door-meeting")).to_have_count(0)
    capture(nurse, s, "02-district-nurse")
