"""Issue 22 in a real browser: a chair imports the sample practice CSV (upload, preview, fix
nothing, import), runs a meeting to its finish, and a GP of one practice sees "2 outcome
letters ready", downloads the practice's PDF (its text holds every discussed patient of that
practice and no one else), and marks a letter filed. axe on the new pages."""

import io
import re
from datetime import time, timedelta
from pathlib import Path

from playwright.sync_api import expect
from pypdf import PdfReader
from sqlalchemy import select

from mdt.extensions import db
from tests.browser.conftest import assert_accessible, sign_in
from tests.browser.test_scenarios import finish_meeting, run_meeting

SAMPLE = Path(__file__).resolve().parents[2] / "docs" / "sample-practice-caseload.csv"
RIVERSIDE = "Riverside Medical Practice"


def _schedule_with_cases(app, chair, family_names):
    """A meeting tomorrow with these imported patients on its case list (the case list UI
    has browser tests of its own)."""
    from mdt.auth.actor import Actor
    from mdt.meetings import cases, service
    from mdt.patients.models import Patient
    from mdt.teams.service import get_or_create_team
    from mdt.timeutil import london_today

    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        actor = Actor(chair.id, (team_id,), {team_id: "chair"})
        meeting = service.schedule_meeting(actor, team_id, service.MeetingDetails(
            title="Riverside MDT", day=london_today() + timedelta(days=1), start=time(12, 30),
            end=time(14, 0), chair_id=chair.id))
        db.session.commit()
        for name in family_names:
            patient = db.session.scalar(select(Patient).where(Patient.family_name == name))
            cases.add_case(actor, meeting, patient_id=patient.id, reason=f"Plan for {name}",
                           urgency="routine", presenter_id=None, referred_by="")
        db.session.commit()
        meeting_id = meeting.id
        db.session.remove()
        return meeting_id


def test_import_run_a_meeting_and_download_the_practice_letters(app, new_context, make_user):
    chair = make_user(name="Grace Okafor", role="chair", organisation="Community nursing")
    gp = make_user(name="Dr Alys Hughes", profession="gp", organisation=RIVERSIDE)

    page = new_context().new_page()
    sign_in(page, chair)
    page.goto("/patients")
    page.get_by_role("link", name="Import from a practice").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Import a caseload from a practice")
    assert_accessible(page)
    page.set_input_files("#file", str(SAMPLE))
    page.get_by_role("button", name="Upload and check").click()
    expect(page).to_have_url(re.compile(r"/patients/import/[\w-]+$"))
    assert "999" not in page.url and "Pemberton" not in page.url
    expect(page.locator("tr[data-status=new]")).to_have_count(6)
    expect(page.locator("main")).to_contain_text("6 new")
    assert_accessible(page)
    expect(page.locator("#import-progress")).to_be_hidden()
    # The progress indicator shows when the form is sent (a submit event that sends nothing).
    page.evaluate("document.querySelector('form[data-progress]')"
                  ".dispatchEvent(new Event('submit'))")
    expect(page.locator("#import-progress")).to_be_visible()
    page.get_by_role("button", name="Import 6 patients").click()
    expect(page).to_have_url(re.compile(r"/patients$"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("6 patients added")

    meeting_id = _schedule_with_cases(app, chair, ["Pemberton", "Castellano", "Fenwick",
                                                   "Adeyemi"])
    page.goto(f"/meetings/{meeting_id}")
    run_meeting(page)  # (tomorrow's meeting: it asks first)
    panel = page.locator("#live-case")
    for name in ("Joan Pemberton", "Zoë Castellano", "Harold Fenwick"):  # Gwen not reached
        expect(panel.locator("h2")).to_have_text(name)
        panel.get_by_label("Discussion notes").fill(f"Discussed {name}.")
        panel.get_by_label("Outcome").fill(f"Outcome for {name}: stay at home.")
        with page.expect_response(re.compile(r"/live/\d+/record$")) as response:
            panel.get_by_role("button", name="Save", exact=True).click()
        assert response.value.ok
        expect(panel).to_contain_text("Discussed")
        next_link = panel.get_by_role("link", name=re.compile(r"^Next: "))
        next_link.click()
    finish_meeting(page, moving=1)
    expect(page).to_have_url(re.compile(r"/meetings/\d+/minutes$"))

    gp_page = new_context(accept_downloads=True).new_page()
    sign_in(gp_page, gp, then=None)  # her front door
    expect(gp_page.locator("#letters-ready")).to_contain_text("2 outcome letters ready")
    gp_page.locator("#letters-ready").get_by_role("link").click()
    expect(gp_page.get_by_role("heading", level=1)).to_have_text("Outcome letters")
    assert_accessible(gp_page)
    with gp_page.expect_download() as download:
        gp_page.get_by_role("link", name=f"Download all 2 letters for {RIVERSIDE} (PDF)").click()
    reader = PdfReader(io.BytesIO(Path(download.value.path()).read_bytes()))
    text = "\n".join(p.extract_text() for p in reader.pages)
    assert "Joan Pemberton" in text and "Harold Fenwick" in text
    assert "Outcome for Joan Pemberton: stay at home." in text
    for absent in ("Castellano", "Adeyemi", "Ridgeway", "O'Leary"):
        assert absent not in text, absent

    gp_page.get_by_role("link", name="Joan Pemberton").first.click()
    expect(gp_page.locator("main")).to_contain_text("Dear Dr Alys Hughes")
    gp_page.get_by_role("button", name=re.compile(r"^Mark as filed")).click()
    expect(gp_page.locator("main")).to_contain_text("Marked as filed")
    gp_page.goto("/")
    expect(gp_page.locator("#letters-ready")).to_contain_text("1 outcome letter ready")
