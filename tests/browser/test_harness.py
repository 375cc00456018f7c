"""The browser checks themselves: a CSP violation, an uncaught exception and an axe
violation must each be caught, or the journeys' silence would prove nothing."""

from tests.browser.conftest import ConsoleWatch, axe_violations


def test_csp_violations_and_script_errors_are_caught(browser, live_server):
    watch = ConsoleWatch()
    context = watch.watch(browser.new_context(base_url=live_server.url))
    try:
        page = context.new_page()
        page.goto("/sign-in")
        assert watch.problems == []  # the fonts' failure offline is not a problem
        page.evaluate("""() => {
            const script = document.createElement("script");
            script.textContent = "window.inlineRan = true";  // no nonce: the CSP refuses it
            document.body.append(script);
            setTimeout(() => { throw new Error("boom") });
        }""")
        page.wait_for_timeout(200)
        assert page.evaluate("() => window.inlineRan") is None
    finally:
        context.close()
        live_server.wait_idle()
    assert any("CSP violation: script-src" in p for p in watch.problems), watch.problems
    assert any("uncaught exception" in p and "boom" in p for p in watch.problems), watch.problems


def test_axe_reports_a_serious_violation(page):
    page.goto("/sign-in")
    page.evaluate("""() => {
        const image = document.createElement("img");
        image.src = "/favicon.ico";  // no alt text: axe's image-alt, critical
        document.querySelector("main").append(image);
    }""")
    assert [v["id"] for v in axe_violations(page)] == ["image-alt"]
