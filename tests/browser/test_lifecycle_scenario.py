"""Issue 17 in a real browser: a chair records a death from the patient page, sees what will
follow, confirms; the nurse's day list and calendar feed lose the visit, the case moves to
"Deaths since the last meeting", the reminder is withdrawn and the figure shows. Then a move
to a second team, whose chair sees the patient with their history. axe on each page."""

import re
from datetime import time, timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from mdt.extensions import db
from mdt.reminders import jobs
from mdt.reminders.models import Reminder
from mdt.timeutil import london_to_utc
from tests.browser.conftest import assert_accessible, sign_in
from tests.lifecycle.fixtures import TODAY, caseload  # noqa: F401

AT_SIX = london_to_utc(TODAY, time(18, 5))


def _visit_reminders(app):
    with app.app_context():
        found = sorted(db.session.scalars(select(Reminder.status).where(
            Reminder.kind == "visits_tomorrow")))
        db.session.remove()
        return found


def _plan(app):
    with app.app_context():
        jobs.plan_pass(now=AT_SIX)
        db.session.remove()


def test_a_death_then_a_transfer_in_the_browser(app, new_context, caseload):  # noqa: F811
    from mdt.calendar.service import issue

    with app.app_context():
        token = issue(caseload.nurse.id)
        db.session.commit()  # services leave the commit to their caller
    _plan(app)
    assert _visit_reminders(app) == ["pending"]
    tomorrow = TODAY + timedelta(days=1)
    died = TODAY - timedelta(days=1)

    nurse = new_context().new_page()
    sign_in(nurse, caseload.nurse, with_form=False)
    feed = nurse.request.get(f"/calendar/{token}.ics").text()
    assert f"visit-{caseload.visit_id}@" in feed
    nurse.goto(f"/visits?date={tomorrow.isoformat()}")
    expect(nurse.locator("main")).to_contain_text("Syringe driver change")

    chair = new_context().new_page()
    sign_in(chair, caseload.chair)
    chair.goto(f"/patients/{caseload.irene.id}")
    chair.get_by_role("link", name="Record a death").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Record a death")
    assert_accessible(chair)
    chair.fill("#happened_on-day", str(died.day))
    chair.fill("#happened_on-month", str(died.month))
    chair.fill("#happened_on-year", str(died.year))
    chair.get_by_label("Home", exact=True).check()
    chair.get_by_role("button", name="Continue").click()
    summary = chair.locator("#lifecycle-summary")
    expect(summary).to_contain_text("Recording this death will:")
    expect(summary).to_contain_text("cancel 1 planned visit")
    expect(summary).to_contain_text("Yusuf Ali is told")
    expect(summary).to_contain_text("close 3 open actions")
    assert_accessible(chair)
    chair.get_by_role("button", name="Confirm: record a death").click()
    expect(chair).to_have_url(re.compile(rf"/patients/{caseload.irene.id}$"))
    expect(chair.locator("#caseload-status")).to_contain_text("Died on")
    assert_accessible(chair)

    # The nurse: no visit tomorrow, none in her feed, told in the app.
    nurse.goto(f"/visits?date={tomorrow.isoformat()}")
    expect(nurse.locator("main")).not_to_contain_text("Syringe driver change")
    feed = nurse.request.get(f"/calendar/{token}.ics").text()
    assert f"visit-{caseload.visit_id}@" not in feed and "Fletcher" not in feed
    # The reminder about her visit is withdrawn by the next planner pass.
    _plan(app)
    assert _visit_reminders(app) == ["withdrawn"]

    # The case list: off the list, under "Deaths since the last meeting".
    chair.goto(f"/meetings/{caseload.meeting_id}")
    expect(chair.locator("#deaths")).to_contain_text("Irene Fletcher died on")
    expect(chair.locator("li.case-row")).not_to_contain_text(["Fletcher"])
    chair.fill(f"#death-{caseload.irene.id}-went_well", "Died at home, as she wished")
    chair.get_by_role("button", name="Save the review of Irene Fletcher's death").click()
    expect(chair.locator(".nhsuk-notification-banner")).to_contain_text("Review saved")
    assert_accessible(chair)

    # The figure.
    chair.goto(f"/teams/{caseload.team_id}/figures")
    expect(chair.locator("#preferred-share")).to_have_text("100%")
    assert_accessible(chair)

    # A move to Hillside: its chair sees Arthur, with his history.
    chair.goto(f"/patients/{caseload.other.id}")
    chair.get_by_role("link", name="Move to another team").click()
    chair.get_by_label("Team taking over").select_option(label="Hillside")
    chair.get_by_role("button", name="Continue").click()
    expect(chair.locator("#lifecycle-summary")).to_contain_text("Moving Arthur to Hillside")
    chair.get_by_role("button", name="Confirm: move to another neighbourhood team").click()
    expect(chair.locator("#caseload-status")).to_contain_text("Moved to another team")

    hill = new_context().new_page()
    sign_in(hill, caseload.hill_chair)
    hill.goto("/patients")
    hill.get_by_role("link", name="Whitfield, Arthur").click()
    expect(hill.locator("#caseload-history")).to_contain_text("Riverside")
    expect(hill.locator("#caseload-links")).to_be_visible()
    assert_accessible(hill)
