"""Browser fixtures: the app served for real (werkzeug, in a thread), Debian's Chromium driven
by Playwright, a fresh browser context per test that fails the test on any JavaScript error
or Content-Security-Policy violation, and axe-core for accessibility checks."""

import os
import re
import threading
from pathlib import Path

import pytest
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import PASSWORD

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 # Every host name fails at once: the pages must not need the internet, and a
                 # slow DNS failure (the NHS.UK font) would hold up each page's load event.
                 "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe.min.js").read_text()
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
TIMEOUT_MS = 5000

# The NHS.UK font comes from assets.nhs.uk, which a machine without internet cannot reach.
_OFFLINE_FONT = re.compile(r"^https://assets\.nhs\.uk/")
# nhsuk-frontend's initAll reports a component that failed to start with console.log.
_FRONTEND_ERROR = re.compile(r"\b(NHSUKFrontendError|SupportError|ElementError|InitError|"
                             r"ConfigError)\b")
# A form re-shown with its errors is a 400, which Chromium logs: that is the app working when
# it is the page itself (a 4xx for a script, a stylesheet or an htmx request is not).
_ERROR_STATUS = re.compile(r"Failed to load resource: the server responded with a status "
                           r"of 4\d\d")

# Runs before any page script and is not subject to the page's CSP (a DevTools script).
_WATCH_CSP = """
document.addEventListener("securitypolicyviolation", (event) => {
  console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI || "inline"}`
                + ` at ${event.sourceFile}:${event.lineNumber}`);
});
"""


class _Handler(WSGIRequestHandler):
    """Quiet (a log line per request and asset would bury the test output), and counting the
    requests in progress, so that a test ends only when the server has finished its work."""

    def log_request(self, *args, **kwargs):
        pass

    def run_wsgi(self):
        server = self.server.live
        with server.idle:
            server.busy += 1
        try:
            super().run_wsgi()
        finally:
            with server.idle:
                server.busy -= 1
                server.idle.notify_all()


class LiveServer:
    def __init__(self, app):
        self.busy = 0
        self.idle = threading.Condition()
        self._server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_Handler)
        self._server.live = self
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server",
                                        daemon=True)
        self._thread.start()

    def wait_idle(self, timeout=10):
        """Wait for requests still running (a page closed mid-request) before the tables are
        emptied for the next test."""
        with self.idle:
            assert self.idle.wait_for(lambda: self.busy == 0, timeout), "server still busy"

    def stop(self):
        self._server.shutdown()
        self._thread.join(timeout=10)
        self._server.server_close()


@pytest.fixture(scope="session")
def live_server(app):
    """The test app on a free port of 127.0.0.1, for the whole run (live_server.url). Its
    SERVER_NAME stays as the other tests set it: Flask 3.1 routes requests for other hosts all
    the same, and the app's redirects are relative, so the browser stays on 127.0.0.1."""
    server = LiveServer(app)
    yield server
    server.stop()


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Browser tests need Chromium at {CHROMIUM} and it is missing. Install it "
                    "with `make test` (as root: apt-get install chromium), or point the "
                    "CHROMIUM environment variable at a Chromium binary.", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class ConsoleWatch:
    """Console errors, uncaught exceptions and CSP violations seen by every page of a context."""

    def __init__(self):
        self.problems = []
        self.offline = False

    def on_console(self, message):
        url = (message.location or {}).get("url", "")
        text = message.text
        if message.type == "error":
            if _OFFLINE_FONT.match(url) or "assets.nhs.uk" in text:
                return
            if "ERR_INTERNET_DISCONNECTED" in text:  # a test that takes the network away
                self.offline = True
                return
            if self.offline and "Failed to fetch" in text:  # htmx's report of the same
                return
            if _ERROR_STATUS.match(text) and message.page and url == message.page.url:
                return
            self.problems.append(f"console error: {text} ({url})")
        elif _FRONTEND_ERROR.search(text):
            self.problems.append(f"nhsuk-frontend: {text} ({url})")

    def on_page_error(self, error):
        self.problems.append(f"uncaught exception: {error}")

    def watch(self, context):
        context.add_init_script(_WATCH_CSP)
        context.on("page", self._watch_page)
        return context

    def _watch_page(self, page):
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)


@pytest.fixture
def new_context(browser, live_server):
    """Make browser contexts (new_context(java_script_enabled=False), ...) that are watched
    for errors and closed after the test; the test fails on any problem they saw."""
    watch = ConsoleWatch()
    contexts = []

    def make(**options):
        context = browser.new_context(base_url=live_server.url, **options)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(watch.watch(context))
        context.mdt_watch = watch  # a test that takes the network away says so here
        return context

    yield make
    for context in contexts:
        context.close()
    live_server.wait_idle()
    if watch.problems:
        pytest.fail("The browser reported problems:\n  " + "\n  ".join(watch.problems),
                    pytrace=False)


@pytest.fixture
def page(new_context):
    return new_context().new_page()


def sign_in(page, user, password=PASSWORD, with_form=True, then="/actions"):
    """Sign in through the form, as a person does (she lands on her front door, then goes
    to `then`); with_form=False posts it from the page's context instead (same cookies,
    same CSRF check), saving two page loads in tests that are about something else."""
    if with_form:
        page.goto("/sign-in")
        page.fill("#email", user.email)
        page.fill("#password", password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        page.wait_for_url(re.compile(r"/$"))
        if then:
            page.goto(then)
        return
    form = page.request.get("/sign-in").text()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form).group(1)
    response = page.request.post("/sign-in", max_redirects=0, form={
        "csrf_token": token, "email": user.email, "password": password})
    assert response.status == 302, response.text()[:500]


def axe_violations(page, impacts=("serious", "critical")):
    """Run axe-core on the page (evaluated through DevTools: the page's CSP forbids inline
    scripts, rightly) and return the violations of the given impacts."""
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE_SOURCE + "\n;undefined")
    results = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: "
        "['violations']})", AXE_TAGS)
    return [v for v in results["violations"] if v["impact"] in impacts]


def describe(violations) -> str:
    lines = []
    for violation in violations:
        lines.append(f"{violation['id']} ({violation['impact']}): {violation['help']}")
        for node in violation["nodes"]:
            lines.append(f"    {' '.join(map(str, node['target']))}: {node['html'][:200]}")
            if node.get("failureSummary"):
                lines.append("      " + node["failureSummary"].replace("\n", "\n      "))
    return "\n".join(lines)


def assert_accessible(page):
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n{describe(violations)}"
