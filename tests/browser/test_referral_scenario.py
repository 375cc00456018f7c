"""Issue 13 in a real browser: a district nurse refers a patient, the chair accepts it onto
the meeting, the GP sees their block, the chair runs the meeting with the referral's text
and time against plan, and the team figures page. Each page is screenshotted and checked
with axe (no serious or critical WCAG 2.2 A/AA violation)."""

import re
from datetime import timedelta

from playwright.sync_api import expect

from tests.browser.conftest import sign_in
from tests.browser.test_scenarios import (  # noqa: F401  (shared fixtures)
    capture,
    run_meeting,
    schedule_meeting,
    team,
    today,
)

QUESTION = "Should we start a syringe driver now, or wait for the hospice review?"


def test_nurse_refers_chair_accepts_gp_sees_block_chair_runs_it(
        new_context, capture, team, make_user, make_patient, app, today):  # noqa: F811
    s = "6-referral"
    gp = make_user(name="Dr Alys Hughes", team="Riverside", profession="gp",
                   organisation="Riverside Medical Practice")
    margaret = make_patient(given="Margaret", family="Ellis",
                            gp_practice="Riverside Medical Practice")
    arthur = make_patient(given="Arthur", family="Whitfield", gp_practice="Bridge Street Surgery")
    meeting_id = schedule_meeting(app, team, today + timedelta(days=14), [arthur])

    nurse = new_context().new_page()
    sign_in(nurse, team.nurse)
    nurse.goto(f"/patients/{margaret.id}")
    nurse.get_by_role("link", name="Refer to the MDT").click()
    expect(nurse.get_by_role("heading", name="Refer a patient to the MDT")).to_be_visible()
    nurse.get_by_label("Relevant background").fill("Vomiting for three days.")
    nurse.get_by_role("button", name="Send referral").click()
    summary = nurse.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("Enter the question for the MDT")
    expect(summary).to_be_focused()
    expect(nurse.get_by_label("Relevant background")).to_have_value("Vomiting for three days.")
    capture(nurse, s, "01-referral-missing-question")
    nurse.get_by_label("The question for the MDT").fill(QUESTION)
    nurse.get_by_label("Soon").check()
    nurse.get_by_role("button", name="Send referral").click()
    expect(nurse).to_have_url(re.compile(r"/referrals/\d+$"))
    expect(nurse.locator("main")).to_contain_text("Waiting for triage")
    capture(nurse, s, "02-referral-sent")

    chair = new_context().new_page()
    sign_in(chair, team.chair)
    chair.get_by_role("link", name="Referrals", exact=True).click()
    expect(chair.locator("main")).to_contain_text("Ellis, Margaret")
    capture(chair, s, "03-triage-list")
    chair.locator("main").get_by_role("link", name=re.compile("Margaret")).first.click()
    expect(chair.locator("#accept-form")).to_be_visible()
    chair.locator("#accept-form").get_by_role("button", name="Accept onto the case list").click()
    expect(chair.locator(".nhsuk-notification-banner")).to_be_visible()

    chair.goto(f"/meetings/{meeting_id}")
    rows = chair.locator("li.case-row")
    expect(rows).to_have_count(2)
    expect(rows.nth(1).locator(".app-expected")).to_have_text(
        "Expected 12:35 to 12:45 (10 min)")
    capture(chair, s, "04-timed-case-list")

    doctor = new_context().new_page()
    sign_in(doctor, gp)
    doctor.goto(f"/meetings/{meeting_id}")
    expect(doctor.locator("#your-cases")).to_contain_text("from about 12:35 to 12:45 (1 case)")
    capture(doctor, s, "05-gp-your-cases")

    run_meeting(chair)
    chair.locator("#live-nav-list").get_by_role("link", name="Margaret Ellis").click()
    panel = chair.locator("#live-case")
    expect(panel.locator(".app-referral-on-case")).to_contain_text(QUESTION)
    expect(panel.locator("#live-time")).to_contain_text("minutes used")
    capture(chair, s, "06-live-referral-and-time")

    chair.goto("/meetings")
    chair.get_by_role("link", name=re.compile("Team figures")).first.click()
    expect(chair.get_by_role("heading", level=1)).to_contain_text("Team figures")
    expect(chair.locator("svg[role=img]").first).to_be_visible()
    capture(chair, s, "07-team-figures")
    chair.goto(f"/teams/{team.id}/settings")
    expect(chair.get_by_label("Minutes for an urgent case")).to_have_value("15")
    capture(chair, s, "08-team-settings")
