"""Issue 18: every state-changing route of meetings, cases, actions, referrals, visits and
key information, raced: two copies of the same request released together (a double click),
and the same request from two chairs at once. Never a 500; and the double click has exactly
the effect of one request (counted as audited changes, against one request on a fresh copy
of the same world).

The request bodies are read from the forms on the app's own pages (the form whose action is
the route), so a route is raced as a user would send it."""

import threading
from datetime import time, timedelta

from bs4 import BeautifulSoup
from sqlalchemy import func, select

from mdt.audit.models import AuditEvent
from mdt.extensions import db
from mdt.timeutil import london_today
from tests.conftest import ClientRequest, empty_all_tables, forget_throttles

TODAY = london_today()
TOMORROW = TODAY + timedelta(days=1)
RACED_BLUEPRINTS = ("meetings", "actions", "referrals", "visits")
EXTRA = ("patients.key_information",)


def _date(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


class World:
    """One team's records, made fresh for each run of a route."""

    def __init__(self, app, make_user, make_patient):
        from mdt.actions.service import create_action
        from mdt.auth.actor import Actor
        from mdt.meetings import cases, service
        from mdt.referrals.service import send_referral
        from mdt.teams.service import get_or_create_team
        from mdt.visits.models import TaskType
        from mdt.visits.service import ensure_task_catalogue, plan_visit

        skills = ["syringe_driver", "wound_care", "injections"]
        self.chair = make_user(name="Grace Okafor", role="chair", skills=skills)
        self.chair2 = make_user(name="Ruth Adams", role="chair", skills=skills)
        self.nurse = make_user(name="Priya Patel", skills=["wound_care"])
        self.p1 = make_patient(given="Margaret", family="Ellis")
        self.p2 = make_patient(given="Arthur", family="Whitfield")
        self.p3 = make_patient(given="Doreen", family="Achebe")
        with app.app_context():
            team = get_or_create_team("Riverside").id
            self.team_id = team
            chair = Actor(self.chair.id, (team,), {team: "chair"})
            nurse = Actor(self.nurse.id, (team,), {team: "member"})

            def details(day, start=time(12, 30)):
                return service.MeetingDetails(title="Riverside MDT", day=day, start=start,
                                              end=time(14, 0), chair_id=self.chair.id)
            self.meeting = service.schedule_meeting(chair, team, details(TODAY + timedelta(
                days=14))).id
            db.session.commit()
            meeting = db.session.get(service.Meeting, self.meeting)
            self.case1 = cases.add_case(chair, meeting, patient_id=self.p1.id, reason="Pain",
                                        urgency="urgent", presenter_id=None, referred_by="").id
            db.session.commit()
            self.case2 = cases.add_case(chair, meeting, patient_id=self.p2.id, reason="Carer",
                                        urgency="soon", presenter_id=None, referred_by="").id
            db.session.commit()
            live = service.schedule_meeting(chair, team, details(TODAY + timedelta(days=7)))
            db.session.commit()
            self.live = live.id
            self.live_case = cases.add_case(chair, live, patient_id=self.p1.id, reason="Review",
                                            urgency="routine", presenter_id=None,
                                            referred_by="").id
            db.session.commit()
            service.start_meeting(chair, live)
            db.session.commit()
            service.create_series(chair, team, details(TODAY + timedelta(days=3)),
                                  "FREQ=MONTHLY;BYDAY=2TU")
            db.session.commit()
            self.action = create_action(chair, team_id=team, description="Order a bed",
                                        owner_id=self.nurse.id, due_on=TODAY + timedelta(days=3),
                                        patient_id=self.p1.id).id
            db.session.commit()
            ensure_task_catalogue(team)
            db.session.commit()
            task = {t.name: t.id for t in db.session.scalars(select(TaskType))}
            self.visit1 = plan_visit(chair, team_id=team, patient_id=self.p1.id,
                                     professional_id=self.nurse.id, day=TOMORROW,
                                     window="morning", at_time=None, minutes=30,
                                     task_type_ids=[task["Dressing"]])[0].id
            db.session.commit()
            self.visit2 = plan_visit(chair, team_id=team, patient_id=self.p1.id,
                                     professional_id=self.chair.id, day=TOMORROW,
                                     window="morning", at_time=None, minutes=30,
                                     task_type_ids=[task["Syringe driver change"]])[0].id
            db.session.commit()
            self.referral = send_referral(nurse, team_id=team, patient_id=self.p3.id,
                                          question="Hospice referral?", background="",
                                          tried="", urgency="soon", presenter_id=None,
                                          preferred_date=None).id
            db.session.commit()


FIRST_BOX = object()  # the form's first checkbox of that name, ticked

# endpoint: (who, page that holds the form, extra fields, set-up before the race)
ROUTES = {
    "actions.add_note": ("nurse", "/actions/{action}", {"note": "Phoned the supplier"}),
    "actions.bulk_cancel": ("chair", "/actions/board", {"action_ids": "{action}",
                                                        "reason": "Duplicate"}),
    "actions.cancel": ("nurse", "/actions/{action}", {"reason": "Not needed"}),
    "actions.change_due": ("nurse", "/actions/{action}", _date("due_on", TODAY + timedelta(
        days=9))),
    "actions.complete": ("nurse", "/actions/{action}", {}),
    "actions.new": ("chair", "/actions/new?patient_id={p1}", {
        "description": "Ask about respite", **_date("due_on", TODAY + timedelta(days=4))}),
    "actions.reassign": ("nurse", "/actions/{action}", {"owner_id": "{chair_id}"}),
    "actions.reopen": ("nurse", "/actions/{action}", {}, "complete_action"),
    "meetings.add_case": ("chair", "/meetings/{meeting}", {"patient_id": "{p3}",
                                                          "reason": "New referral"}),
    "meetings.apologies": ("nurse", "/meetings/{meeting}", {}),
    "meetings.attendance": ("chair", "/meetings/{live}/live", {"attendance": "present"}),
    "meetings.cancel": ("chair", "/meetings/{meeting}/edit", {}),
    "meetings.change_cases": ("chair", "/meetings/{meeting}", {"move_down": "{case1}"}),
    "meetings.death_review": ("chair", "/meetings/{live}", {
        "went_well": "Died at home"}, "record_death"),
    "meetings.edit": ("chair", "/meetings/{meeting}/edit", {"location": "Room 4"}),
    "meetings.everyone_present": ("chair", "/meetings/{live}/live", {}),
    "meetings.finish": ("chair", "/meetings/{live}/finish", {}),
    "meetings.undo_finish": ("chair", "/meetings/{live}/minutes", {}, "finish_live"),
    "meetings.group_cases": ("chair", "/meetings/{meeting}", {"by": "practice"}),
    "meetings.find_patient": ("nurse", "/meetings/{meeting}", {"find": "Patient"}),
    "meetings.new": ("chair", "/meetings/new", {
        **_date("day", TODAY + timedelta(days=20)), "start": "09:00", "end": "10:00"}),
    "meetings.open_occurrence": ("chair", "/meetings", {}),
    "meetings.record_case": ("chair", "/meetings/{live}/live", {
        "outcome": "Continue", "actions-0-description": "Refer to hospice",
        "actions-0-owner_id": "{nurse_id}",
        **_date("actions-0-due_on", TODAY + timedelta(days=5))}),
    "meetings.save_draft": ("chair", "/meetings/{live}/live", {"notes": "Typed so far"}),
    "meetings.reorder_cases": ("chair", None, {"case_ids": ["{case2}", "{case1}"]}),
    "meetings.start": ("chair", "/meetings/{meeting}", {"confirm": "yes"}),
    "meetings.walk_in": ("chair", "/meetings/{live}/live", {"name": "Sam Visitor",
                                                            "email": "sam@council.gov.uk"}),
    "patients.key_information": ("nurse", "/patients/{p1}/key-information/wishes", {
        "preferred_place_of_death": "home"}),
    "referrals.accept": ("chair", "/referrals/{referral}", {"meeting": "m{meeting}"}),
    "referrals.ask_for_more": ("chair", "/referrals/{referral}", {"message": "Which hospice?"}),
    "referrals.decline": ("chair", "/referrals/{referral}", {"reason": "Not for the MDT"}),
    "referrals.edit": ("nurse", "/referrals/{referral}/edit", {"question": "Hospice now?"},
                       "ask_for_more"),
    "referrals.new": ("nurse", "/referrals/new?patient_id={p2}", {
        "question": "Is a care package needed?"}),
    "referrals.withdraw": ("nurse", "/referrals/{referral}", {}),
    "visits.cancel": ("nurse", "/visits/{visit1}", {"reason": "Admitted to hospital"}),
    "visits.cancel_day": ("chair", "/visits/board?date={tomorrow}", {
        "reason": "Admitted to hospital"}),
    "visits.edit": ("chair", "/visits/{visit1}", {"window": "afternoon"}),
    "visits.merge": ("chair", "/visits/board?date={tomorrow}", {}),
    "visits.new": ("chair", "/visits/new", {"patient_id": "{p2}", **_date("day", TOMORROW),
                                            "window": "morning", "minutes": "30",
                                            "task_type_ids": FIRST_BOX}),
    "visits.tasks": ("chair", "/visits/tasks", {"name": "Foot care", "skill": "wound_care",
                                                "minutes": "20"}),
    "visits.unmerge": ("chair", "/visits/board?date={tomorrow}", {}, "merge_visits"),
}
# Two different people doing the same thing at once may both mean it: two notes, two new
# actions. For these a second effect from the second person is right.
ADDITIVE_FOR_TWO = {"actions.add_note", "actions.new",
                    "meetings.new", "referrals.new", "visits.new", "meetings.walk_in",
                    "visits.tasks"}


def _setup(app, world, step):
    from mdt.actions.models import Action
    from mdt.actions.service import complete
    from mdt.auth.actor import Actor
    from mdt.lifecycle import service as lifecycle
    from mdt.patients.models import Patient
    from mdt.referrals.models import Referral
    from mdt.referrals.service import ask_for_more
    from mdt.visits.service import merge_visits

    with app.app_context():
        team = world.team_id
        chair = Actor(world.chair.id, (team,), {team: "chair"})
        if step == "complete_action":
            complete(chair, db.session.get(Action, world.action))
            db.session.commit()
        elif step == "record_death":
            patient = db.session.get(Patient, world.p3.id)
            lifecycle.apply(chair, patient, lifecycle.Change(
                target="died", team_id=team, happened_on=TODAY, place="home"), None)
            db.session.commit()
        elif step == "ask_for_more":
            referral = db.session.get(Referral, world.referral)
            ask_for_more(chair, referral, message="Which hospice?", seen_version=referral.version)
            db.session.commit()
        elif step == "finish_live":
            from mdt.meetings.models import Meeting
            from mdt.meetings.service import finish_meeting
            finish_meeting(chair, db.session.get(Meeting, world.live))
            db.session.commit()
        elif step == "merge_visits":
            from mdt.visits.models import Visit
            versions = {v.id: v.version for v in db.session.scalars(select(Visit))}
            merge_visits(chair, host_visit_id=world.visit2, visit_ids=[world.visit1],
                         versions=versions)
            db.session.commit()


def _fill(template, world):
    values = {"action": world.action, "meeting": world.meeting, "live": world.live,
              "p1": world.p1.id, "p2": world.p2.id, "p3": world.p3.id,
              "referral": world.referral, "visit1": world.visit1, "case1": world.case1,
              "case2": world.case2, "chair_id": world.chair.id, "nurse_id": world.nurse.id,
              "tomorrow": TOMORROW.isoformat()}
    if isinstance(template, list):
        return [_fill(t, world) for t in template]
    return template.format(**values) if isinstance(template, str) else template


def _form_fields(form) -> list[tuple[str, str]]:
    """What a browser would send for this form unchanged."""
    fields = []
    for element in form.select("input, textarea, select"):
        name = element.get("name")
        if not name or element.has_attr("disabled"):
            continue
        kind = (element.get("type") or "text").lower()
        if element.name == "textarea":
            fields.append((name, element.get_text()))
        elif element.name == "select":
            chosen = element.select_one("option[selected]") or next(
                (o for o in element.select("option") if o.get("value")), None)
            fields.append((name, chosen.get("value", "") if chosen else ""))
        elif kind in ("radio", "checkbox"):
            if element.has_attr("checked"):
                fields.append((name, element.get("value", "on")))
        elif kind not in ("submit", "button", "file"):
            fields.append((name, element.get("value", "")))
    radios = {e.get("name") for e in form.select("input[type=radio]")}
    for name in radios - {n for n, _ in fields}:  # none checked: the first
        first = form.select_one(f"input[type=radio][name='{name}']")
        fields.append((name, first.get("value", "")))
    return fields


def _request(app, client, world, endpoint):
    """(path, data) for the route, from the form on its page."""
    spec = ROUTES[endpoint]
    who, page_url, extra = spec[0], spec[1], spec[2]
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    data, form = {}, None
    if page_url is None:
        path = rule.rule.replace("<int:meeting_id>", str(world.meeting))
    else:
        url = _fill(page_url, world)
        html = client.client.get(url).get_data(as_text=True)
        page = BeautifulSoup(html, "html.parser")
        forms = [(f.get("action") or url, f) for f in page.select("form[method=post]")]
        # An element that posts its form's fields by htmx (a draft kept as the chair types).
        forms += [(e["hx-post"], e.find_parent("form")) for e in page.select("[hx-post]")
                  if e.name != "form" and e.get("hx-include") == "closest form"]
        forms = [(action, f) for action, f in forms
                 if _matches(rule, action.split("#")[0].split("?")[0])]
        assert forms, f"{endpoint}: no form for {rule.rule} on {url}"
        path, form = forms[0]
        forms = [form]
        for name, value in _form_fields(forms[0]):
            if name in data:
                data[name] = data[name] if isinstance(data[name], list) else [data[name]]
                data[name].append(value)
            else:
                data[name] = value
    for name, value in extra.items():
        if value is FIRST_BOX:
            value = form.select_one(f"input[type=checkbox][name='{name}']")["value"]
        data[name] = _fill(value, world)
    data["csrf_token"] = client.csrf_token()
    return who, path, data


def _matches(rule, path) -> bool:
    try:
        endpoint, _ = rule.map.bind("localhost").match(path, method="POST")
    except Exception:  # noqa: BLE001 - not this route
        return False
    return endpoint == rule.endpoint


def _effects(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.outcome == "ok", AuditEvent.action.in_(("create", "change"))))


def _fresh(app, make_user, make_patient, endpoint):
    with app.app_context():
        db.session.remove()
        empty_all_tables(db.engine)
        forget_throttles()
    world = World(app, make_user, make_patient)
    if len(ROUTES[endpoint]) > 3:
        _setup(app, world, ROUTES[endpoint][3])
    clients = {"chair": ClientRequest(app).sign_in(world.chair),
               "nurse": ClientRequest(app).sign_in(world.nurse)}
    return world, clients


def _race(app, sends) -> list[int]:
    barrier = threading.Barrier(len(sends))
    statuses, errors = [None] * len(sends), []

    def go(n, client, path, data):
        barrier.wait()
        try:
            statuses[n] = client.client.post(path, data=data).status_code
        except Exception as exc:  # noqa: BLE001 - an exception is a 500 here
            errors.append(repr(exc))
            statuses[n] = 500

    threads = [threading.Thread(target=go, args=(n, *send)) for n, send in enumerate(sends)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    return statuses


def test_every_state_changing_route_survives_a_race(app, make_user, make_patient,
                                                    monkeypatch):
    # As in production: a busy server may answer a double click's first copy before it
    # reads the second; within the gap that second copy is still a double click.
    monkeypatch.setitem(app.config, "SUBMIT_REPEAT_GAP_SECONDS", 2)
    raced = sorted(r.endpoint for r in app.url_map.iter_rules() if "POST" in r.methods
                   and (r.endpoint.split(".")[0] in RACED_BLUEPRINTS or r.endpoint in EXTRA))
    assert sorted(ROUTES) == raced, set(raced) ^ set(ROUTES)
    report, problems = [], []
    for endpoint in raced:
        world, clients = _fresh(app, make_user, make_patient, endpoint)
        try:
            who, path, data = _request(app, clients[ROUTES[endpoint][0]], world, endpoint)
        except AssertionError as exc:
            problems.append(str(exc).splitlines()[0])
            continue
        start = _effects(app)
        response = clients[who].client.post(path, data=data)
        single = response.status_code
        one = _effects(app) - start
        if single >= 400:
            summary = BeautifulSoup(response.get_data(as_text=True), "html.parser") \
                .select_one(".nhsuk-error-summary, h1")
            problems.append(f"{endpoint}: a single request answered {single}: "
                            f"{' '.join(summary.get_text().split()) if summary else ''}")
            continue
        # A double click: the same request twice at once.
        world, clients = _fresh(app, make_user, make_patient, endpoint)
        who, path, data = _request(app, clients[who], world, endpoint)
        before = _effects(app)
        twin = ClientRequest(app)
        twin.client = clients[who].client  # the same browser, the same session
        statuses = _race(app, [(clients[who], path, data), (twin, path, data)])
        double = _effects(app) - before
        # Two chairs at once (the chair and the second chair), for the chairs' routes.
        pair, pair_effects = [], None
        if who == "chair":
            world, clients = _fresh(app, make_user, make_patient, endpoint)
            second = ClientRequest(app).sign_in(world.chair2)
            _, path, data = _request(app, clients["chair"], world, endpoint)
            data2 = {**data, "csrf_token": second.csrf_token()}
            before = _effects(app)
            pair = _race(app, [(clients["chair"], path, data), (second, path, data2)])
            pair_effects = _effects(app) - before
        report.append((endpoint, statuses, pair))
        if 500 in statuses or 500 in pair:
            problems.append(f"{endpoint}: a 500 ({statuses}, {pair})")
        if double != one:
            problems.append(f"{endpoint}: a double click had {double} effects, one request {one}")
        if pair_effects is not None and endpoint not in ADDITIVE_FOR_TWO and \
                pair_effects != one:
            problems.append(f"{endpoint}: two chairs at once had {pair_effects} effects, "
                            f"one request {one}")
    print(f"races: {len(report)} routes raced, "
          f"{sum(s.count(500) + p.count(500) for _, s, p in report)} answers 500")
    assert problems == [], "\n".join(problems)
