"""A whole ICB's day against gunicorn + PostgreSQL + Redis + an RQ worker (issue 21, item 5).

Reads the manifest `flask --app wsgi seed-scale --out icb.json` wrote (emails, the shared
password, every calendar feed token, the meetings running live today, each team's next
meeting) and plays a mix of what people do at a whole ICB's scale:

- calendar apps polling personal feeds (each Locust user stands for FEEDS_PER_USER
  subscribers and polls their feeds in turn; from the second round on, like a real
  client, it sends the ETag it had as If-None-Match);
- chairs running today's meetings in live mode: the live page, then the next case as the
  page's own htmx request (HX-Request, HX-Target: live-case), and a draft saved as they
  type (the X-CSRFToken header the page's <body hx-headers> gives every htmx request);
- district nurses opening their day list (/visits) first thing, and tomorrow's;
- chairs preparing lists: their next meeting's page and the patients list (two pages).

Locust is not a dependency of the app; install it in a venv of its own:

    python3 -m venv /tmp/locustenv && /tmp/locustenv/bin/pip install locust

and run it headless and bounded in time (bench/icb_scale.sh does all of this):

    MDT_MANIFEST=icb.json /tmp/locustenv/bin/locust -f bench/locustfile.py --headless \
        -H http://127.0.0.1:8021 -u 60 -r 10 -t 2m --csv /tmp/icb --only-summary

Think times are compressed (THINK_SCALE, default 1: seconds where people take minutes) so
a two-minute run on a small machine carries the load of a busy morning; the mix of users
is set by the weights below (MDT_WEIGHTS="feeds,live,nurses,prep" overrides them)."""

import html
import itertools
import json
import os
import random
import re
import threading
from datetime import date, timedelta

from locust import HttpUser, between, events, task

MANIFEST = json.load(open(os.environ.get("MDT_MANIFEST", "icb.json")))
SCALE = float(os.environ.get("THINK_SCALE", "1"))
WEIGHTS = [int(w) for w in os.environ.get("MDT_WEIGHTS", "10,3,4,2").split(",")]
FEEDS_PER_USER = int(os.environ.get("FEEDS_PER_USER", "5"))
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')
CSRF_HEADER = re.compile(r'X-CSRFToken(?:&#34;|&quot;|")\s*:\s*(?:&#34;|&quot;|")([^&"]+)')
_lock = threading.Lock()
_counters: dict[str, itertools.count] = {}


def _next(kind: str, items: list):
    """Hands out the manifest's people round robin, so users spread over teams."""
    with _lock:
        counter = _counters.setdefault(kind, itertools.count())
        return items[next(counter) % len(items)]


def _csrf(text: str) -> str | None:
    for pattern in (CSRF_HEADER, CSRF_INPUT):
        found = pattern.search(text)
        if found:
            return html.unescape(next(g for g in found.groups() if g))
    return None


def _think(low: float, high: float):
    return between(low * SCALE, high * SCALE)


class _SignedIn(HttpUser):
    abstract = True
    csrf = None

    def sign_in(self, email: str) -> bool:
        page = self.client.get("/sign-in", name="/sign-in")
        token = _csrf(page.text)
        with self.client.post("/sign-in", data={"email": email,
                                                "password": MANIFEST["password"],
                                                "csrf_token": token},
                              name="/sign-in (post)", allow_redirects=False,
                              catch_response=True) as response:
            if response.status_code != 302:
                response.failure(f"sign-in {email}: {response.status_code}")
                return False
        return True

    def page(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
            else:
                self.csrf = _csrf(response.text) or self.csrf
            return response


class CalendarApp(HttpUser):
    """Calendar apps polling personal feeds. Each Locust user stands for FEEDS_PER_USER
    subscribers (their own feeds, handed out round robin) and polls them in turn; after the
    first round each poll carries the ETag it was given, as If-None-Match, as real clients
    do. 5,000 subscribers polling every 30 minutes are 2.8 requests a second."""

    weight = WEIGHTS[0]
    wait_time = _think(1, 3)

    def on_start(self):
        tokens = list(MANIFEST["feeds"].values())
        self.tokens = [_next("feeds", tokens) for _ in range(FEEDS_PER_USER)]
        self.turn = 0
        self.etags: dict[str, str] = {}

    @task
    def poll(self):
        token = self.tokens[self.turn % len(self.tokens)]
        self.turn += 1
        headers = {"If-None-Match": self.etags[token]} if token in self.etags else {}
        with self.client.get(f"/calendar/{token}.ics", headers=headers,
                             name="/calendar/[token].ics" + (" (If-None-Match)" if headers
                                                             else " (first)"),
                             catch_response=True) as response:
            if response.status_code not in (200, 304):
                response.failure(f"{response.status_code}")
            elif response.headers.get("ETag"):
                self.etags[token] = response.headers["ETag"]


class LiveChair(_SignedIn):
    """A chair running today's meeting: the live page, then case after case by htmx,
    with drafts saved as she types."""

    weight = WEIGHTS[1]
    wait_time = _think(2, 6)

    def on_start(self):
        self.meeting = _next("live", MANIFEST["live_meetings"])
        self.cases = self.meeting["case_ids"]
        self.position = 0
        self.base = f"/meetings/{self.meeting['meeting_id']}/live"
        if self.sign_in(self.meeting["chair"]):
            self.page(self.base, "/meetings/[id]/live")

    @task(3)
    def next_case(self):
        self.position = (self.position + 1) % len(self.cases)
        case = self.cases[self.position]
        self.page(f"{self.base}?case={case}", "/meetings/[id]/live?case= (htmx)",
                  headers={"HX-Request": "true", "HX-Target": "live-case",
                           "HX-Current-URL": f"{self.host}{self.base}"})

    @task(4)
    def save_draft(self):
        case = self.cases[self.position]
        with self.client.post(f"{self.base}/{case}/draft",
                              data={"csrf_token": self.csrf or "", "notes":
                                    f"Seen at home; discussed at {random.randint(1, 9999)}",
                                    "outcome": "Review in two weeks", "decisions": ""},
                              headers={"HX-Request": "true", "X-CSRFToken": self.csrf or "",
                                       "HX-Target": f"draft-status-{case}"},
                              name="/meetings/[id]/live/[case]/draft",
                              catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")

    @task(1)
    def reopen(self):
        self.page(self.base, "/meetings/[id]/live")


class DistrictNurse(_SignedIn):
    """A district nurse opening her day list at 08:00, and tomorrow's."""

    weight = WEIGHTS[2]
    wait_time = _think(3, 10)

    def on_start(self):
        self.sign_in(_next("nurses", MANIFEST["nurses"]))

    @task(4)
    def today(self):
        self.page("/visits", "/visits")

    @task(1)
    def tomorrow(self):
        tomorrow = date.fromisoformat(MANIFEST["today"]) + timedelta(days=1)
        self.page(f"/visits?date={tomorrow.isoformat()}", "/visits?date=")


class PreparingChair(_SignedIn):
    """A chair preparing the next meeting's list: its page and the patients list."""

    weight = WEIGHTS[3]
    wait_time = _think(3, 10)

    def on_start(self):
        self.meeting = _next("prep", MANIFEST["next_meetings"])
        self.sign_in(self.meeting["chair"])

    @task(2)
    def meeting_page(self):
        self.page(f"/meetings/{self.meeting['meeting_id']}", "/meetings/[id]")

    @task(2)
    def patients(self):
        self.page("/patients", "/patients")

    @task(1)
    def patients_page_two(self):
        self.page("/patients?page=2", "/patients?page=")


@events.quitting.add_listener
def _exit_code(environment, **_kw):
    """Any failed request makes the run fail (exit code 1)."""
    if environment.stats.total.num_failures:
        environment.process_exit_code = 1
