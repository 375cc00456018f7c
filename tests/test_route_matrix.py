"""Every GET route in the URL map, for every kind of user, answers what it should.

A new route without a row here fails `test_every_route_is_in_the_matrix`. Record-level
routes are called with the ids of the chair's team's records, so "other" (a member of
another team) must get 404 on them: no record of another team is reachable by id (no IDOR).
"""

from datetime import time, timedelta

import pytest

from mdt.extensions import db
from tests.conftest import ClientRequest

ROLES = ("signed_out", "member", "chair", "other", "admin")
OK, LOGIN, FORBIDDEN, MISSING = 200, "login", 403, 404

# endpoint: (signed out, member, chair, member of another team, admin with no team)
TEAM_PAGE = (LOGIN, OK, OK, OK, FORBIDDEN)
RECORD = (LOGIN, OK, OK, MISSING, FORBIDDEN)
CHAIR_PAGE = (LOGIN, FORBIDDEN, OK, FORBIDDEN, FORBIDDEN)
CHAIR_RECORD = (LOGIN, FORBIDDEN, OK, MISSING, FORBIDDEN)
SIGNED_IN = (LOGIN, OK, OK, OK, OK)
MATRIX = {
    "actions.index": TEAM_PAGE, "actions.new": TEAM_PAGE, "actions.show": RECORD,
    "actions.board": CHAIR_PAGE, "actions.log_page": TEAM_PAGE, "actions.log_csv": TEAM_PAGE,
    "audit.index": (LOGIN, FORBIDDEN, OK, FORBIDDEN, OK),
    "audit.events_csv": (LOGIN, FORBIDDEN, OK, FORBIDDEN, OK),
    "auth.change_password": SIGNED_IN, "auth.sign_in": (OK, 302, 302, 302, 302),
    "calendar.invite": RECORD, "calendar.settings": SIGNED_IN,
    "calendar.personal_feed": (MISSING,) * 5, "calendar.team_feed": (MISSING,) * 5,
    "favicon": (302,) * 5, "home.index": (302, OK, OK, OK, 302), "static": (OK,) * 5,
    "health.health": (OK,) * 5,
    "meetings.index": TEAM_PAGE, "meetings.new": CHAIR_PAGE, "meetings.show": RECORD,
    "meetings.case_status": RECORD, "meetings.minutes": RECORD, "meetings.actions_csv": RECORD,
    "meetings.edit": CHAIR_RECORD, "meetings.live": CHAIR_RECORD,
    "meetings.finish_check": CHAIR_RECORD,
    "patients.index": TEAM_PAGE, "patients.new": TEAM_PAGE, "patients.show": RECORD,
    "patients.edit": RECORD, "patients.key_information": RECORD, "patients.key_worker": RECORD,
    "patients.new_hna": RECORD, "patients.stage": RECORD, "patients.summary": RECORD,
    "teams.settings": (LOGIN, FORBIDDEN, OK, MISSING, MISSING),
    "reminders.notifications": SIGNED_IN, "reminders.dev_outbox": SIGNED_IN,
    "reminders.admin": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reminders.dev_message": (LOGIN, MISSING, MISSING, MISSING, MISSING),
    "reminders.dev_message_html": (LOGIN, MISSING, MISSING, MISSING, MISSING),
    "reminders.team_settings": (LOGIN, FORBIDDEN, OK, MISSING, MISSING),
    "reminders.unsubscribe": (MISSING,) * 5,
    "reports.figures": RECORD, "lifecycle.change": RECORD,
    "visits.index": TEAM_PAGE, "visits.board": TEAM_PAGE, "visits.new": TEAM_PAGE,
    "visits.tasks": TEAM_PAGE, "visits.figures": TEAM_PAGE, "visits.edit": RECORD,
    "referrals.index": TEAM_PAGE, "referrals.new": TEAM_PAGE, "referrals.show": RECORD,
    "referrals.edit": (LOGIN, OK, FORBIDDEN, MISSING, FORBIDDEN),  # the referrer only
    "imports.upload": CHAIR_PAGE,
    "letters.index": TEAM_PAGE, "letters.show": RECORD, "letters.pdf": RECORD,
    "letters.practice_pdf": RECORD, "fhir.patient_bundle": RECORD,
    "care_plans.show": RECORD, "care_plans.printable": RECORD, "care_plans.pdf": RECORD,
    # An upload is reached by its opaque token, by the chair who made it only.
    "imports.preview": (LOGIN, FORBIDDEN, MISSING, FORBIDDEN, MISSING),
    # OpenID Connect: no provider is configured here, so a provider's callback is a 404
    # (tests/oidc drives it against a real provider).
    "oidc.callback": (MISSING,) * 5, "oidc.settings": SIGNED_IN,
    "oidc.invitations": (LOGIN, FORBIDDEN, OK, MISSING, MISSING),
}
QUERY = {"actions.log_page": "?from=2026-01-01&to=2026-12-31",
         "actions.log_csv": "?from=2026-01-01&to=2026-12-31"}


def _get_rules(app):
    return {rule.endpoint: rule for rule in app.url_map.iter_rules() if "GET" in rule.methods}


def test_every_route_is_in_the_matrix(app):
    assert sorted(set(_get_rules(app)) - set(MATRIX)) == []
    assert sorted(set(MATRIX) - set(_get_rules(app))) == []


@pytest.fixture
def world(app, make_user, make_patient):
    """The chair's team with one of each record; a member; another team's member; an admin."""
    from mdt.actions.models import Action
    from mdt.meetings.models import Meeting
    from mdt.teams.service import get_or_create_team
    from mdt.timeutil import london_to_utc, london_today
    from mdt.visits.models import Visit

    users = {"member": make_user(), "chair": make_user(role="chair"),
             "other": make_user(team="Hillside"), "admin": make_user(team=None, is_admin=True)}
    patient = make_patient()
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        chair_id = users["chair"].id
        day = london_today() + timedelta(days=3)
        meeting = Meeting(team_id=team_id, title="MDT", starts_at=london_to_utc(day, time(12)),
                          ends_at=london_to_utc(day, time(13)), chair_id=chair_id,
                          uid="matrix@test")
        action = Action(team_id=team_id, patient_id=patient.id, description="Do it",
                        owner_id=chair_id, due_on=day, created_by_id=chair_id)
        visit = Visit(team_id=team_id, patient_id=patient.id, professional_id=chair_id, day=day,
                      created_by_id=chair_id)
        db.session.add_all([meeting, action, visit])
        db.session.flush()
        from mdt.letters.models import OutcomeLetter
        from mdt.meetings.models import Case
        case = Case(meeting_id=meeting.id, patient_id=patient.id, reason="Why", position=1,
                    status="discussed")
        db.session.add(case)
        db.session.flush()
        letter = OutcomeLetter(team_id=team_id, meeting_id=meeting.id, case_id=case.id,
                               patient_id=patient.id, practice="")
        db.session.add(letter)
        from mdt.care_plans.models import CarePlanVersion
        db.session.add(CarePlanVersion(patient_id=patient.id, team_id=team_id, number=1,
                                       content={"title": "My care and support plan",
                                                "for": "Ann Example", "nhs_number": "",
                                                "team": "Riverside", "intro": "",
                                                "sections": []}, created_by_id=chair_id))
        from mdt.auth.oidc.models import Invitation
        from mdt.meetings.models import Invitee, MeetingSeries
        from mdt.visits.models import VisitMerge
        series = MeetingSeries(team_id=team_id, title="Monthly MDT", rrule="FREQ=MONTHLY;BYDAY=2TU",
                               first_date=day, start_time=time(12), end_time=time(13),
                               chair_id=chair_id, uid="matrix-series@test")
        invitee = Invitee(meeting_id=meeting.id, user_id=chair_id, email="chair@test",
                          name="Chair")
        invitation = Invitation(email="new@example.nhs.uk", team_id=team_id,
                                invited_by_id=chair_id, expires_at=london_to_utc(day, time(12)))
        merge = VisitMerge(team_id=team_id, host_visit_id=visit.id, merged_visit_ids=[],
                           host_before={}, day=day, visits_saved=0, minutes_saved=0,
                           created_by_id=chair_id)
        db.session.add_all([series, invitee, invitation, merge])
        db.session.commit()
        ids = {"patient_id": patient.id, "case_id": case.id, "series_id": series.id,
               "invitee_id": invitee.id, "invitation_id": invitation.id, "merge_id": merge.id,
               "day": day.isoformat(), "meeting_id": meeting.id, "action_id": action.id,
               "visit_id": visit.id, "team_id": team_id, "letter_id": letter.id, "number": 1, "section_name": "wishes",
               "filename": "css/app.css", "token": "not-a-real-token", "reminder_id": 999,
               "kind": "died", "provider": "test"}
    with app.app_context():  # a referral by the member, for the referral pages
        from mdt.referrals.models import Referral
        referral = Referral(team_id=ids["team_id"], patient_id=patient.id,
                            referrer_id=users["member"].id, question="What next?")
        db.session.add(referral)
        db.session.commit()
        ids["referral_id"] = referral.id
    return users, ids


def _status(client, app, endpoint, ids):
    rule = _get_rules(app)[endpoint]
    path = app.url_map.bind("localhost").build(endpoint, {a: ids[a] for a in rule.arguments})
    response = client.get(path + QUERY.get(endpoint, ""))
    response.close()
    if response.status_code == 302 and "/sign-in" in response.headers["Location"] \
            and endpoint not in ("home.index",):
        return LOGIN
    return response.status_code


def test_route_matrix(app, world):
    users, ids = world
    clients = {"signed_out": ClientRequest(app)}
    for role in ("member", "chair", "other", "admin"):
        clients[role] = ClientRequest(app).sign_in(users[role])
    wrong = []
    for endpoint, expected in sorted(MATRIX.items()):
        for role, want in zip(ROLES, expected, strict=True):
            got = _status(clients[role].client, app, endpoint, ids)
            if got != want:
                wrong.append(f"{endpoint} as {role}: {got}, expected {want}")
    assert wrong == []
    checked = len(MATRIX) * len(ROLES)
    assert checked >= 200


def test_record_ids_of_another_team_are_404_on_every_record_route(app, world):
    users, ids = world
    other = ClientRequest(app).sign_in(users["other"])
    record_routes = [e for e, row in MATRIX.items() if row[3] == MISSING and "token" not in
                     _get_rules(app)[e].arguments]
    assert len(record_routes) >= 15
    for endpoint in record_routes:
        assert _status(other.client, app, endpoint, ids) == MISSING, endpoint


def test_health_is_public_but_says_nothing_private(client_request):
    body = client_request.client.get("/health").get_data(as_text=True)
    assert set(__import__("json").loads(body)) <= {"status", "database", "redis"}




def _id_rules(app, method):
    """Every rule answering `method` whose URL names a record by id."""
    return [rule for rule in app.url_map.iter_rules() if method in rule.methods
            and any(a.endswith("_id") or a == "number" for a in rule.arguments)]


def test_record_ids_of_another_team_are_404_on_every_post_route(app, world):
    """No change can be made to another team's record by id (no IDOR on POST): a member of
    another team gets 404 on every id POST route (403 where only admins may: the record is
    not a team's), and each refusal is a row in the audit log."""
    from sqlalchemy import func, select

    from mdt.audit.models import AuditEvent

    users, ids = world
    other = ClientRequest(app).sign_in(users["other"])
    token = other.csrf_token()
    rules = _id_rules(app, "POST")
    assert len(rules) >= 40
    wrong = []
    for rule in rules:
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "loads", {})
        want = 403 if "admin" in roles.values() else MISSING
        path = app.url_map.bind("localhost").build(rule.endpoint,
                                                   {a: ids[a] for a in rule.arguments},
                                                   method="POST")
        with app.app_context():
            before = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.outcome == "refused", AuditEvent.user_id == users["other"].id))
        response = other.client.post(path, data={"csrf_token": token})
        response.close()
        with app.app_context():
            after = db.session.scalar(select(func.count()).select_from(AuditEvent).where(
                AuditEvent.outcome == "refused", AuditEvent.user_id == users["other"].id))
        if response.status_code != want:
            wrong.append(f"{rule.endpoint} {path}: {response.status_code}, expected {want}")
        elif after != before + 1:
            wrong.append(f"{rule.endpoint} {path}: refusal not audited ({after - before})")
    assert wrong == []
