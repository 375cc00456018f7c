"""A pytest plugin (tests/conftest.py loads it, so tests/oidc and tests/browser share one
provider): a real OpenID provider for the OIDC tests: panva/oidc-provider (OpenID Certified), run by
Node from tests/oidc/provider (installed by `make test` with `npm ci`), on a free port, with
the clients in tests/oidc/provider.json. Tests sign in through it with the Flask test client
and a small requests-driven user agent (provider_login), or in Chromium."""

import json
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
import requests
from bs4 import BeautifulSoup

from mdt.auth.oidc.config import Provider
from tests.browser.conftest import LiveServer

HERE = Path(__file__).parent
PROVIDER_DIR = HERE / "provider"
SECRET = "mdt-test-secret-0123456789abcdef0123456789"
OTHER_SECRET = "other-test-secret-0123456789abcdef012345"
TEST_CLIENT_BASE = "http://localhost"  # the Flask test client's host (SERVER_NAME)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _ensure_installed() -> None:
    if (PROVIDER_DIR / "node_modules" / "oidc-provider").exists():
        return
    npm = shutil.which("npm")
    if npm is None:
        pytest.fail("The OIDC tests need Node.js and npm (apt-get install nodejs npm), then "
                    "`make test` installs the provider.", pytrace=False)
    subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=PROVIDER_DIR, check=True,
                   stdout=subprocess.DEVNULL)


class RealProvider:
    def __init__(self, issuer, process):
        self.issuer = issuer
        self.process = process

    def config(self, name="test", client_id="mdt", secret=SECRET, **fields) -> Provider:
        return Provider(name=name, issuer=self.issuer, client_id=client_id,
                        client_secret=secret, display_name="Test Trust",
                        **fields)


@pytest.fixture(scope="session")
def oidc_provider(tmp_path_factory, app):
    node = shutil.which("node")
    if node is None:
        pytest.fail("The OIDC tests need Node.js (apt-get install nodejs npm)", pytrace=False)
    _ensure_installed()
    settings = json.loads((HERE / "provider.json").read_text())
    # The app served for real, for the provider's back-channel logout calls (the browser
    # tests have their own server: provider.js allows any port of 127.0.0.1 and localhost
    # in the registered redirect URIs).
    server = LiveServer(app)
    for client in settings["clients"]:
        if client["client_id"] == "mdt":
            client["backchannel_logout_uri"] = \
                f"{server.url}/sign-in/oidc/test/backchannel-logout"
            client["backchannel_logout_session_required"] = True
    config_file = tmp_path_factory.mktemp("oidc") / "provider.json"
    config_file.write_text(json.dumps(settings))
    port = _free_port()
    log = open(config_file.with_suffix(".log"), "w")  # noqa: SIM115 - open while it runs
    process = subprocess.Popen([node, str(PROVIDER_DIR / "provider.js"), str(port),
                                str(config_file)], stdout=subprocess.PIPE, stderr=log,
                               text=True)
    deadline = time.monotonic() + 20
    line = ""
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("ready ") or process.poll() is not None:
            break
    if not line.startswith("ready "):
        process.kill()
        log.close()
        pytest.fail(f"the OpenID provider did not start: {line}"
                    f"{config_file.with_suffix('.log').read_text()}")
    provider = RealProvider(line.split()[1], process)
    provider.log = config_file.with_suffix(".log")
    yield provider
    process.terminate()
    process.wait(timeout=10)
    log.close()
    server.stop()


@pytest.fixture
def oidc(app, oidc_provider):
    """The app configured with the real provider as "test" for one test."""
    saved = {key: app.config.get(key) for key in (
        "OIDC_PROVIDERS", "PASSWORD_SIGN_IN", "ASSURANCE_LEVELS", "CHAIR_MIN_ASSURANCE",
        "KEY_INFORMATION_MIN_ASSURANCE", "OIDC_CLOCK_SKEW_SECONDS")}
    app.config.update(OIDC_PROVIDERS=(oidc_provider.config(),), OIDC_CLOCK_SKEW_SECONDS=60)
    yield oidc_provider
    app.config.update(saved)


def provider_login(authorize_url: str, login: str, *, stop_at: str = TEST_CLIENT_BASE,
                   agent: requests.Session | None = None, **claims) -> str:
    """Play the user at the provider (its own login page, its cookies): follow redirects
    from the authorization URL, fill the login form, and return the URL the provider sends
    the browser back to (the app's callback, with code and state)."""
    agent = agent or requests.Session()
    url = authorize_url
    for _ in range(12):
        response = agent.get(url, allow_redirects=False, timeout=10)
        if response.is_redirect:
            url = urljoin(url, response.headers["Location"])
            if url.startswith(stop_at):
                return url
            continue
        form = BeautifulSoup(response.text, "html.parser").select_one("form[action*='/login']")
        assert form is not None, response.text[:1000]
        data = {"login": login, "email": "", "name": "", "email_verified": "true",
                "acr": "aal2", "amr": "pwd", **claims}
        response = agent.post(urljoin(url, form["action"]), data=data, allow_redirects=False,
                              timeout=10)
        assert response.is_redirect, response.text[:1000]
        url = urljoin(url, response.headers["Location"])
    raise AssertionError(f"the provider never sent the browser back: {url}")


def query(url: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def csrf(client, path="/sign-in") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def start_sign_in(client, provider="test") -> str:
    """Press "Sign in with ..." on the sign-in page: returns the authorization URL."""
    response = client.post(f"/sign-in/oidc/{provider}", data={"csrf_token": csrf(client)})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response.headers["Location"]


def callback_path(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def oidc_sign_in(client, login, **claims):
    """The whole flow with the test client: returns the app's answer to the callback."""
    back = provider_login(start_sign_in(client), login, **claims)
    return client.get(callback_path(back))

