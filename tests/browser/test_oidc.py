"""The whole OpenID Connect journey in Chromium against the real provider: a chair invites a
colleague, the colleague's first sign-in makes the account, sign-out ends the provider's
session too; an unknown identity is refused saying who to ask; a password account is linked
from settings and then signs in with the provider; a forged state is refused. The browser
context fails the test on any console error or CSP violation (tests/browser/conftest)."""

import re

from playwright.sync_api import expect

from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import PASSWORD


def provider_sign_in(page, login, *, email="", name="", acr="aal2"):
    """At the test provider's own login page."""
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    page.fill("#login", login)
    page.fill("#claim-email", email)
    page.fill("#claim-name", name)
    page.select_option("#acr", acr)
    page.get_by_role("button", name="Sign in at the provider").click()


def test_invitation_first_sign_in_and_sign_out(new_context, oidc, make_user, live_server):
    chair = make_user(role="chair", name="Grace Okafor")
    page = new_context().new_page()
    sign_in(page, chair)
    page.get_by_role("link", name="Team settings").click()
    page.get_by_role("link", name="Invite a colleague").click()
    assert_accessible(page)
    page.fill("#email", "nia.jones@trust.nhs.uk")
    page.fill("#name", "Nia Jones")
    page.get_by_role("button", name="Invite").click()
    expect(page.get_by_text("Nia Jones is invited")).to_be_visible()
    expect(page.get_by_text("Waiting until")).to_be_visible()

    nia = new_context().new_page()
    nia.goto("/sign-in")
    assert_accessible(nia)
    nia.get_by_role("button", name="Sign in with Test Trust").click()
    provider_sign_in(nia, "cis-uid-555", email="nia.jones@trust.nhs.uk", name="Nia Jones",
                     acr="aal3")
    nia.wait_for_url(re.compile(r"/$"))
    expect(nia.locator("header")).to_contain_text("Nia Jones")

    page.reload()
    expect(page.get_by_text("Accepted")).to_be_visible()

    nia.get_by_role("button", name="Sign out").click()
    expect(nia.get_by_role("heading", name="Sign out of the test provider?")).to_be_visible()
    nia.get_by_role("button", name="Yes, sign me out").click()
    nia.wait_for_url(re.compile(r"/sign-in"))
    expect(nia.get_by_text("You have signed out")).to_be_visible()
    nia.goto("/actions")
    nia.wait_for_url(re.compile(r"/sign-in"))
    # The provider's session ended too: signing in again asks for the login there.
    nia.get_by_role("button", name="Sign in with Test Trust").click()
    expect(nia.get_by_role("heading", name="Test provider sign-in")).to_be_visible()


def test_an_unknown_identity_is_refused_saying_who_to_ask(page, oidc):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with Test Trust").click()
    provider_sign_in(page, "stranger", email="stranger@example.com")
    expect(page.get_by_role("heading", name="You could not be signed in")).to_be_visible()
    expect(page.locator("#refusal")).to_contain_text("Ask the chair of your team to invite you")
    assert_accessible(page)
    page.goto("/actions")
    page.wait_for_url(re.compile(r"/sign-in"))


def test_a_password_account_links_its_provider_account_from_settings(new_context, oidc,
                                                                      make_user):
    user = make_user(email="sam.carter@trust.nhs.uk", name="Sam Carter")
    page = new_context().new_page()
    sign_in(page, user)
    page.get_by_role("link", name="Settings").first.click()
    page.get_by_role("link", name="Your organisation accounts").click()
    assert_accessible(page)
    page.get_by_label("Test Trust").check()
    page.fill("#password", "not-my-password")
    page.get_by_role("button", name="Link account").click()
    expect(page.locator(".nhsuk-error-summary")).to_contain_text("not correct")
    page.get_by_label("Test Trust").check()
    page.fill("#password", PASSWORD)
    page.get_by_role("button", name="Link account").click()
    # Sam's account at the provider has another email: the subject is what links.
    provider_sign_in(page, "entra-oid-1234", email="s.carter@nhs.net")
    expect(page.get_by_text("Your Test Trust account is linked")).to_be_visible()
    expect(page.get_by_text("as s.carter@nhs.net")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/sign-in"))

    again = new_context().new_page()
    again.goto("/sign-in")
    again.get_by_role("button", name="Sign in with Test Trust").click()
    provider_sign_in(again, "entra-oid-1234", email="s.carter@nhs.net")
    again.wait_for_url(re.compile(r"/$"))
    expect(again.locator("header")).to_contain_text("Sam Carter")


def test_a_forged_state_is_refused(page, oidc, make_user):
    page.goto("/sign-in")
    page.get_by_role("button", name="Sign in with Test Trust").click()
    expect(page.get_by_role("heading", name="Test provider sign-in")).to_be_visible()
    # The attacker's own callback URL, opened in the victim's browser.
    page.goto("/sign-in/oidc/test/callback?code=stolen-or-forged&state=not-this-browsers")
    expect(page.get_by_role("heading", name="You could not be signed in")).to_be_visible()
    page.goto("/actions")
    page.wait_for_url(re.compile(r"/sign-in"))
