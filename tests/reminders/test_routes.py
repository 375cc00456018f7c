"""Who may open each reminders page (the rows tests/test_route_matrix.py should hold)."""

from tests.conftest import ClientRequest

LOGIN, OK, FORBIDDEN, MISSING = "login", 200, 403, 404
ROLES = ("signed_out", "member", "chair", "other", "admin")
EXPECTED = {  # signed out, member, chair, member of another team, admin with no team
    "reminders.notifications": (LOGIN, OK, OK, OK, OK),
    "reminders.admin": (LOGIN, FORBIDDEN, FORBIDDEN, FORBIDDEN, OK),
    "reminders.dev_outbox": (LOGIN, OK, OK, OK, OK),  # no SMTP_URL in the tests
    "reminders.dev_message": (LOGIN, MISSING, MISSING, MISSING, MISSING),
    "reminders.dev_message_html": (LOGIN, MISSING, MISSING, MISSING, MISSING),
    "reminders.team_settings": (LOGIN, FORBIDDEN, OK, MISSING, MISSING),
    "reminders.unsubscribe": (MISSING,) * 5,
}


def test_reminders_pages_answer_each_kind_of_user(app, make_user):
    from mdt.teams.service import get_or_create_team

    users = {"member": make_user(), "chair": make_user(role="chair"),
             "other": make_user(team="Hillside"), "admin": make_user(team=None, is_admin=True)}
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
    ids = {"team_id": team_id, "reminder_id": 1, "token": "not-a-real-token"}
    clients = {"signed_out": ClientRequest(app)}
    for role, user in users.items():
        clients[role] = ClientRequest(app).sign_in(user)
    rules = {r.endpoint: r for r in app.url_map.iter_rules() if r.endpoint.startswith("reminders.")
             and "GET" in r.methods}
    assert set(rules) == set(EXPECTED)
    adapter = app.url_map.bind("localhost")
    wrong = []
    for endpoint, expected in EXPECTED.items():
        path = adapter.build(endpoint, {a: ids[a] for a in rules[endpoint].arguments})
        for role, want in zip(ROLES, expected, strict=True):
            response = clients[role].client.get(path)
            got = LOGIN if response.status_code == 302 and "/sign-in" in \
                response.headers["Location"] else response.status_code
            if got != want:
                wrong.append(f"{endpoint} as {role}: {got}, expected {want}")
    assert wrong == []
