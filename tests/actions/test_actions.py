"""Actions end to end: my actions, the board, the log, the patient page and exports."""

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mdt.actions.models import Action, ActionLogEntry
from mdt.extensions import db
from mdt.timeutil import london_today
from tests.conftest import ClientRequest, count_queries
from tests.patients.test_views import _events

TODAY = london_today()


def _date(prefix, day):
    return {f"{prefix}[day]": str(day.day), f"{prefix}[month]": str(day.month),
            f"{prefix}[year]": str(day.year)}


@pytest.fixture
def team(make_user, make_patient):
    chair = make_user(name="Grace Okafor", role="chair")
    nurse = make_user(name="Priya Patel")
    outsider = make_user(name="Out Sider", team="Hillside")
    patient = make_patient(given="Margaret", family="Ellis")
    return type("Team", (), dict(chair=chair, nurse=nurse, outsider=outsider, patient=patient))


def _add(client, patient_id, owner_id, description="Order a hospital bed", due=None,
         status=303):
    data = {"description": description, "owner_id": owner_id, "priority": "normal",
            **_date("due_on", due or TODAY + timedelta(days=3))}
    if patient_id:
        data["patient_id"] = patient_id
    return client.post("actions.new", _data=data, _expected_status=status)


def _action_id(app, description):
    with app.app_context():
        return db.session.scalar(select(Action.id).where(Action.description == description))


def test_key_worker_sees_their_open_actions_in_due_order_and_completes_one(
        app, client_request, team):
    client_request.sign_in(team.chair)
    _add(client_request, team.patient.id, team.nurse.id, "Later task", TODAY + timedelta(days=20))
    _add(client_request, team.patient.id, team.nurse.id, "This week task", TODAY)
    _add(client_request, team.patient.id, team.chair.id, "Not mine", TODAY)
    with app.app_context():  # an overdue one (raised earlier, so allowed)
        action = db.session.get(Action, _action_id(app, "This week task"))
        action.due_on = TODAY - timedelta(days=2)
        action.description = "Overdue task"
        db.session.commit()
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)
    page = nurse.get("actions.index")
    assert [a.get_text() for a in page.select(".action-row td:first-child a")] == [
        "Overdue task", "Later task"]
    assert "1 overdue" in page.select_one("#action-counts").get_text()
    # Mark done with htmx: the row is swapped, nothing else reloaded.
    overdue_id = _action_id(app, "Overdue task")
    fragment = nurse.post("actions.complete", action_id=overdue_id, _htmx=True,
                          _expected_status=200)
    assert fragment.title is None and "Action marked as done" in fragment.get_text()
    assert "0 overdue" in fragment.select_one("#action-counts").get_text()
    # ...and everyone sees it, with who and when.
    board = client_request.get("actions.board", status="done")
    assert "Overdue task" in board.get_text()
    patient_page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "Done" in patient_page.select_one("#actions").get_text()
    log = client_request.get("actions.show", action_id=overdue_id).select("tr.log-entry")
    assert [row.select("td")[2].get_text() for row in log] == ["Created", "Completed"]
    assert "Priya Patel" in log[1].get_text()


def test_completing_twice_is_idempotent(app, client_request, team):
    client_request.sign_in(team.chair)
    _add(client_request, None, team.chair.id, "Solo")
    action_id = _action_id(app, "Solo")
    client_request.post("actions.complete", action_id=action_id)
    client_request.post("actions.complete", action_id=action_id)  # double submit
    with app.app_context():
        kinds = db.session.scalars(select(ActionLogEntry.kind).where(
            ActionLogEntry.action_id == action_id)).all()
    assert kinds == ["created", "completed"]


@pytest.mark.parametrize("change, message", [
    ({"due": TODAY - timedelta(days=1)}, "Due date must be today or later"),
    ({"owner": "outsider"}, "Choose an owner from the team"),
    ({"description": ""}, "Enter a description"),
    ({"description": "x" * 501}, "500 characters or fewer"),
])
def test_bad_new_actions_are_refused(app, client_request, team, change, message):
    client_request.sign_in(team.chair)
    owner = team.outsider.id if change.get("owner") else team.nurse.id
    page = _add(client_request, team.patient.id, owner, change.get("description", "Task"),
                change.get("due"), status=400)
    assert message in page.select_one(".nhsuk-error-summary").get_text()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Action)) == 0


def test_reassign_due_date_note_cancel_and_the_log(app, client_request, team, make_user):
    client_request.sign_in(team.chair)
    _add(client_request, team.patient.id, team.nurse.id, "Refer to hospice")
    action_id = _action_id(app, "Refer to hospice")
    version = lambda: client_request.get("actions.show", action_id=action_id).select_one(  # noqa: E731
        "input[name=version]")["value"]
    client_request.post("actions.reassign", action_id=action_id,
                        _data={"owner_id": team.chair.id, "version": version()})
    client_request.post("actions.change_due", action_id=action_id,
                        _data={**_date("due_on", TODAY + timedelta(days=9)), "version": version()})
    client_request.post("actions.add_note", action_id=action_id, _data={"note": "Phoned hospice"})
    # A stale form (someone changed it meanwhile) is refused.
    page = client_request.post("actions.reassign", action_id=action_id,
                               _data={"owner_id": team.nurse.id, "version": "1"},
                               _expected_status=400)
    assert "Someone else changed this action" in page.get_text()
    # Reassigning to a user who is not (or no longer) on the team is refused.
    page = client_request.post("actions.reassign", action_id=action_id,
                               _data={"owner_id": team.outsider.id, "version": version()},
                               _expected_status=400)
    assert "on the team now" in page.get_text()
    client_request.post("actions.cancel", action_id=action_id, _data={"reason": "Not needed"})
    page = client_request.post("actions.change_due", action_id=action_id,
                               _data={**_date("due_on", TODAY + timedelta(days=20)),
                                      "version": "5"}, _expected_status=400)
    assert "cancelled. Reopen it" in page.get_text()
    page = client_request.get("actions.show", action_id=action_id)
    kinds = [row.select("td")[2].get_text() for row in page.select("tr.log-entry")]
    assert kinds == ["Created", "Reassigned", "Due date changed", "Note added", "Cancelled"]
    reassigned = page.select("tr.log-entry")[1].get_text()
    assert "Priya Patel" in reassigned and "Grace Okafor" in reassigned
    assert len([e for e in _events(app, record_type="action") if e[2] == "ok"]) == 5


def test_hna_concern_becomes_an_action(app, client_request, team):
    client_request.sign_in(team.chair)
    client_request.post("patients.new_hna", patient_id=team.patient.id, _data={
        **_date("assessed_on", TODAY), "assessed_by_id": team.nurse.id,
        "concerns": "Carer exhausted"})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    link = page.select_one(".hna li a")["href"]
    assert "concern_id=" in link
    form = client_request.client.get(link).get_data(as_text=True)
    assert "Carer exhausted" in form
    concern_id = int(link.split("concern_id=")[1].split("&")[0])
    client_request.client.post("/actions/new", data={
        "csrf_token": client_request.csrf_token(), "patient_id": team.patient.id,
        "concern_id": concern_id, "description": "Arrange respite for carer",
        "owner_id": team.nurse.id, "priority": "high",
        **_date("due_on", TODAY + timedelta(days=7))})
    page = client_request.get("patients.show", patient_id=team.patient.id)
    assert "action raised" in page.select_one(".hna").get_text()
    assert "Arrange respite for carer" in page.select_one("#actions").get_text()


def test_another_teams_action_is_404_and_board_is_for_chairs(app, client_request, team,
                                                             make_patient):
    client_request.sign_in(team.chair)
    _add(client_request, team.patient.id, team.nurse.id, "Ours")
    ours = _action_id(app, "Ours")
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    outsider.get("actions.show", action_id=ours, _expected_status=404)
    outsider.post("actions.complete", action_id=ours, _expected_status=404)
    theirs = make_patient(team="Hillside")
    client_request.get("actions.new", patient_id=theirs.id, _expected_status=404)
    nurse = ClientRequest(app)
    nurse.sign_in(team.nurse)
    nurse.get("actions.board", _expected_status=403)


def test_bulk_cancel_from_the_board(app, client_request, team):
    client_request.sign_in(team.chair)
    for name in ("One", "Two", "Three"):
        _add(client_request, None, team.nurse.id, name)
    ids = [_action_id(app, n) for n in ("One", "Two")]
    page = client_request.post("actions.bulk_cancel", _data={
        "team_id": _team_id(app), "action_ids": ids, "reason": ""}, _expected_status=400)
    assert "Enter the reason for cancelling" in page.get_text()
    client_request.post("actions.bulk_cancel", _data={
        "team_id": _team_id(app), "action_ids": ids, "reason": "Patient moved away"})
    with app.app_context():
        statuses = dict(db.session.execute(select(Action.description, Action.status)).all())
    assert statuses == {"One": "cancelled", "Two": "cancelled", "Three": "open"}


def _team_id(app, name="Riverside"):
    from mdt.teams.service import get_or_create_team
    with app.app_context():
        return get_or_create_team(name).id


def test_log_csv_is_excel_friendly_scoped_and_audited(app, client_request, team):
    client_request.sign_in(team.chair)
    _add(client_request, team.patient.id, team.nurse.id, "=cmd|' /C calc'!A0")
    outsider = ClientRequest(app)
    outsider.sign_in(team.outsider)
    response = client_request.client.get(
        f"/actions/log.csv?from={TODAY.isoformat()}&to={TODAY.isoformat()}")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["at", "action_id", "change", "old_value", "new_value", "changed_by",
                       "description", "owner", "status", "due_on", "nhs_number", "patient"]
    assert len(rows) == 2 and rows[1][2] == "created"
    assert rows[1][6].startswith("'=cmd")  # neutralised
    assert rows[1][9] == (TODAY + timedelta(days=3)).isoformat()
    assert rows[1][11] == "Margaret Ellis"
    # Another team sees none of it.
    theirs = outsider.client.get(f"/actions/log.csv?from={TODAY}&to={TODAY}").get_data()
    assert len(list(csv.reader(io.StringIO(theirs.decode("utf-8-sig"))))) == 1
    assert [e[0] for e in _events(app, record_type="action_log")] == ["export", "export"]
    printable = client_request.client.get(f"/actions/log?from={TODAY}&to={TODAY}")
    assert printable.status_code == 200 and "Order a hospital bed" not in printable.get_data(
        as_text=True) and "=cmd" in printable.get_data(as_text=True)


def test_the_action_log_defaults_to_the_last_three_months(client_request, team):
    """Reachable from a screen with no dates typed: the page and its CSV link work."""
    from dateutil.relativedelta import relativedelta
    client_request.sign_in(team.chair)
    page = client_request.get("actions.log_page")
    start = TODAY - relativedelta(months=3)
    assert page.select_one("#log-from")["value"] == start.isoformat()
    assert page.select_one("#log-to")["value"] == TODAY.isoformat()
    csv_link = page.select_one("#log-csv")["href"]
    assert f"from={start.isoformat()}" in csv_link
    assert client_request.client.get(csv_link).status_code == 200
    assert client_request.client.get("/actions/log.csv").status_code == 200


@pytest.mark.parametrize("query", ["from=yesterday&to=2026-01-01",
                                   "from=2026-01-01&to=2026-02-30",
                                   "from=2026-01-01&to=2026-01-02&owner_id=abc",
                                   "from=2026-01-01&to=2026-01-02&sort=desc"])
def test_bad_export_urls_are_400_with_a_message(client_request, team, query):
    client_request.sign_in(team.chair)
    response = client_request.client.get(f"/actions/log.csv?{query}")
    assert response.status_code == 400
    assert "Check the export link" in response.get_data(as_text=True)


def _bulk_actions(app, owner_id, patient_id, count):
    with app.app_context():
        team_id = _team_id(app)
        for n in range(count):
            db.session.add(Action(team_id=team_id, patient_id=patient_id, owner_id=owner_id,
                                  description=f"Bulk {n}", due_on=TODAY + timedelta(days=n % 30),
                                  created_by_id=owner_id))
        db.session.commit()


def test_my_actions_and_board_queries_are_the_same_at_10_and_1000(app, client_request, team):
    client_request.sign_in(team.chair)
    _bulk_actions(app, team.chair.id, team.patient.id, 10)
    with app.app_context(), count_queries(db.engine) as mine_10:
        client_request.get("actions.index")
    with app.app_context(), count_queries(db.engine) as board_10:
        client_request.get("actions.board")
    _bulk_actions(app, team.chair.id, team.patient.id, 990)
    with app.app_context(), count_queries(db.engine) as mine_1000:
        page = client_request.get("actions.index")
    with app.app_context(), count_queries(db.engine) as board_1000:
        board = client_request.get("actions.board")
    assert len(page.select(".action-row")) == 1000
    assert board.select_one("#board-count").get_text().startswith("1000")
    assert len(mine_10) == len(mine_1000) and len(board_10) == len(board_1000)


def test_every_export_is_reachable_from_a_screen(app, client_request, team):
    """The action log (last 3 months, so the link always works) from My actions; the
    invitation download from the meeting page."""
    client_request.sign_in(team.chair)
    _add(client_request, team.patient.id, team.nurse.id)
    page = client_request.get("actions.index")
    links = [a["href"] for a in page.select("#action-log-links a")]
    assert len(links) == 2
    for href in links:
        response = client_request.client.get(href)
        assert response.status_code == 200, href
    assert "Order a hospital bed" in client_request.client.get(links[1]).get_data(as_text=True)
