def test_chair_sees_the_refused_and_the_accepted_attempt(app, client_request, make_user):
    from tests.patients.test_views import GOOD, _team_id

    client_request.sign_in(make_user(role="chair"))
    team_id = _team_id(app)
    client_request.post("patients.new", _data=dict(GOOD, nhs_number="1234567890",
                                                   team_id=team_id), _expected_status=400)
    client_request.post("patients.new", _data=dict(GOOD, team_id=team_id))
    page = client_request.get("audit.index")
    rows = [r.get_text(" ", strip=True) for r in page.select("tr.audit-event")]
    creates = [r for r in rows if " create patient" in r]
    assert len(creates) == 2
    assert "refused" in creates[1] and "ok" in creates[0]  # newest first


def test_members_cannot_see_the_audit_log(client_request, make_user):
    client_request.sign_in(make_user(role="member"))
    client_request.get("audit.index", _expected_status=403)


def test_a_chair_sees_only_their_teams_events(app, client_request, make_user, make_patient):
    other = make_patient(team="Hillside", family="Hidden")
    outsider = make_user(team="Hillside")
    from tests.conftest import ClientRequest
    theirs = ClientRequest(app)
    theirs.sign_in(outsider)
    theirs.get("patients.show", patient_id=other.id)
    client_request.sign_in(make_user(role="chair"))
    page = client_request.get("audit.index")
    assert f"patient {other.id}" not in page.get_text()
