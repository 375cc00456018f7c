"""Journeys in a real browser (Debian's Chromium) against the app served for real: the
JavaScript the pages load, their CSP, htmx, nhsuk-frontend, and the same journeys without
JavaScript. Any console error, uncaught exception or CSP violation fails the test (conftest)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in

BAD_NHS_NUMBER = "123 456 7890"
GOOD_NHS_NUMBER = "943 476 5919"


def fill_new_patient(page, nhs_number):
    page.fill("#nhs_number", nhs_number)
    page.fill("#given_name", "Margaret")
    page.fill("#family_name", "Ellis")
    page.fill("#date_of_birth-day", "14")
    page.fill("#date_of_birth-month", "3")
    page.fill("#date_of_birth-year", "1941")


def expect_typed_values_kept(page, nhs_number):
    expect(page.locator("#nhs_number")).to_have_value(nhs_number)
    expect(page.locator("#given_name")).to_have_value("Margaret")
    expect(page.locator("#family_name")).to_have_value("Ellis")
    expect(page.locator("#date_of_birth-day")).to_have_value("14")
    expect(page.locator("#date_of_birth-month")).to_have_value("3")
    expect(page.locator("#date_of_birth-year")).to_have_value("1941")


def test_newcomer_adds_a_patient_after_a_mistake_and_the_chair_sees_both_in_the_audit(
        page, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    sign_in(page, make_user(name="Asha Patel", role="chair"))

    page.get_by_role("link", name="Patients", exact=True).click()
    expect(page).to_have_url(re.compile(r"/patients$"))
    expect(page.locator("#patient-table")).to_contain_text("Whitfield, Arthur")

    page.get_by_role("link", name="Add a patient").click()
    expect(page).to_have_url(re.compile(r"/patients/new$"))
    fill_new_patient(page, BAD_NHS_NUMBER)
    page.get_by_role("button", name="Add patient").click()

    summary = page.locator(".nhsuk-error-summary")
    expect(summary).to_contain_text("fails the check digit")
    expect(summary).to_be_focused()  # nhsuk-frontend moves focus there for screen readers
    expect(page).to_have_title(re.compile(r"^Error: "))
    expect_typed_values_kept(page, BAD_NHS_NUMBER)
    summary.get_by_role("link", name=re.compile("fails the check digit")).click()
    expect(page.locator("#nhs_number")).to_be_focused()

    page.fill("#nhs_number", GOOD_NHS_NUMBER)
    page.get_by_role("button", name="Add patient").click()
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("Patient added")
    expect(page.locator("#at-a-glance")).to_be_visible()

    page.get_by_role("link", name="Audit log").click()
    expect(page).to_have_url(re.compile(r"/audit$"))
    creates = [[cell.strip() for cell in row.locator("td").all_inner_texts()]
               for row in page.locator("tr.audit-event").all()]
    creates = [row for row in creates if row[2] == "create"]
    assert [row[4] for row in creates] == ["ok", "refused"], creates  # newest first
    assert all(row[1] == "Asha Patel (chair)" for row in creates), creates


def test_active_search_updates_the_list_in_place_and_keeps_the_words_out_of_the_url(
        page, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    make_patient(given="Vera", family="Lindqvist")
    sign_in(page, make_user(), with_form=False)
    page.goto("/patients")
    table = page.locator("#patient-table")
    expect(table).to_contain_text("Lindqvist, Vera")
    page.evaluate("() => { window.__stillTheSamePage = true }")
    requests = []
    page.on("request", lambda request: requests.append((request.method, request.url)))

    with page.expect_response(re.compile(r"/patients/search$")) as response:
        page.locator("#q").press_sequentially("Whitf", delay=20)
    assert response.value.ok
    expect(table).to_contain_text("Whitfield, Arthur")
    expect(table).not_to_contain_text("Lindqvist")
    expect(page.locator("#patient-count")).to_have_text("1 patient matching")

    assert page.evaluate("() => window.__stillTheSamePage") is True  # no full page load
    assert page.url.endswith("/patients")
    assert not any("whitf" in url.lower() for _, url in requests), requests
    assert ("POST", response.value.url) in requests


def test_adding_a_patient_works_without_javascript(new_context, make_user):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, make_user())
    page.goto("/patients/new")
    fill_new_patient(page, BAD_NHS_NUMBER)
    page.get_by_role("button", name="Add patient").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("fails the check digit")
    expect_typed_values_kept(page, BAD_NHS_NUMBER)

    page.fill("#nhs_number", GOOD_NHS_NUMBER)
    page.get_by_role("button", name="Add patient").click()
    expect(page).to_have_url(re.compile(r"/patients/\d+$"))
    expect(page.locator("main")).to_contain_text("943 476 5919")
    expect(page.locator("#at-a-glance")).to_be_visible()


def test_search_works_without_javascript_and_keeps_the_words_out_of_the_url(
        new_context, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    make_patient(given="Vera", family="Lindqvist")
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, make_user(), with_form=False)
    page.goto("/patients")
    page.fill("#q", "Whitf")
    page.get_by_role("button", name="Search and filter").click()
    expect(page.locator("#patient-table")).to_contain_text("Whitfield, Arthur")
    expect(page.locator("#patient-table")).not_to_contain_text("Lindqvist")
    assert "whitf" not in page.url.lower()


@pytest.mark.parametrize("path", ["/sign-in", "/patients"])
def test_the_skip_link_is_the_first_thing_tab_reaches(page, make_user, path):
    if path != "/sign-in":
        sign_in(page, make_user(), with_form=False)
    page.goto(path)
    page.keyboard.press("Tab")
    focused = page.evaluate("() => [document.activeElement.textContent.trim(), "
                            "document.activeElement.getAttribute('href')]")
    assert focused == ["Skip to main content", "#maincontent"]
    page.keyboard.press("Enter")
    expect(page.locator("#maincontent")).to_be_focused()


def test_after_signing_out_the_patient_list_asks_to_sign_in_again(page, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    sign_in(page, make_user(), with_form=False)
    page.goto("/patients")
    expect(page.locator("#patient-table")).to_contain_text("Whitfield")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/sign-in$"))
    expect(page.locator(".nhsuk-notification-banner")).to_contain_text("You have signed out")

    page.go_back()  # the browser's back button: no copy of the list from any cache
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fpatients$"))
    expect(page.locator("body")).not_to_contain_text("Whitfield")
    page.goto("/patients")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=%2Fpatients$"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


# --- accessibility: axe-core, WCAG 2.2 AA rules; serious and critical violations fail ---

def _sign_in_page(page, make_user, make_patient):
    page.goto("/sign-in")


def _patient_list(page, make_user, make_patient):
    make_patient(given="Arthur", family="Whitfield")
    sign_in(page, make_user(), with_form=False)
    page.goto("/patients")


def _add_patient_with_errors(page, make_user, make_patient):
    sign_in(page, make_user(), with_form=False)
    page.goto("/patients/new")
    page.fill("#nhs_number", BAD_NHS_NUMBER)
    page.fill("#date_of_birth-day", "31")
    page.fill("#date_of_birth-month", "2")
    page.get_by_role("button", name="Add patient").click()
    expect(page.locator(".nhsuk-error-summary")).to_be_focused()


def _patient_page(page, make_user, make_patient):
    patient = make_patient(given="Arthur", family="Whitfield")
    sign_in(page, make_user(), with_form=False)
    page.goto(f"/patients/{patient.id}")
    expect(page.locator("#at-a-glance")).to_be_visible()


def _audit_page(page, make_user, make_patient):
    patient = make_patient(given="Arthur", family="Whitfield")
    sign_in(page, make_user(role="chair"), with_form=False)
    page.goto(f"/patients/{patient.id}")
    page.goto("/audit")
    expect(page.locator("tr.audit-event").first).to_be_visible()


@pytest.mark.parametrize("open_page", [_sign_in_page, _patient_list, _add_patient_with_errors,
                                       _patient_page, _audit_page],
                         ids=["sign-in", "patient-list", "add-patient-errors", "patient",
                              "audit"])
def test_no_serious_accessibility_violations(page, make_user, make_patient, open_page):
    open_page(page, make_user, make_patient)
    assert_accessible(page)
