"""A form that worked, sent again within SUBMIT_REPEAT_GAP_SECONDS, is a double click: acted
on once, and the second copy sent where the first went. A refused form sent again, or the
same form after the gap, is a new request."""

from datetime import timedelta

from sqlalchemy import func, select, update

from mdt.actions.models import Action, ActionLogEntry
from mdt.extensions import db
from mdt.once import Submission
from mdt.timeutil import london_today, utcnow


def _notes(app, action_id) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(ActionLogEntry).where(
            ActionLogEntry.action_id == action_id, ActionLogEntry.kind == "note_added"))


def _setup(app, client_request, make_user, make_patient, monkeypatch):
    monkeypatch.setitem(app.config, "SUBMIT_REPEAT_GAP_SECONDS", 2)
    chair = make_user(role="chair")
    patient = make_patient()
    with app.app_context():
        from mdt.teams.service import get_or_create_team

        action = Action(team_id=get_or_create_team("Riverside").id, patient_id=patient.id,
                        description="Order a bed", owner_id=chair.id, created_by_id=chair.id,
                        due_on=london_today() + timedelta(days=3))
        db.session.add(action)
        db.session.commit()
        action_id = action.id
    client_request.sign_in(chair)
    return action_id


def test_a_double_click_is_acted_on_once_and_lands_where_the_first_went(
        app, client_request, make_user, make_patient, monkeypatch):
    action_id = _setup(app, client_request, make_user, make_patient, monkeypatch)
    token = client_request.csrf_token()
    path = f"/actions/{action_id}/notes"
    first = client_request.client.post(path, data={"note": "Phoned", "csrf_token": token})
    second = client_request.client.post(path, data={"note": "Phoned", "csrf_token": token})
    assert first.status_code == second.status_code == 303
    assert second.headers["Location"] == first.headers["Location"]
    assert _notes(app, action_id) == 1
    # After the gap the same note is a new request (someone phoned twice).
    with app.app_context():
        db.session.execute(update(Submission).values(done_at=utcnow() - timedelta(seconds=3)))
        db.session.commit()
    third = client_request.client.post(path, data={"note": "Phoned", "csrf_token": token})
    assert third.status_code == 303 and _notes(app, action_id) == 2


def test_a_refused_form_sent_again_is_judged_again(app, client_request, make_user,
                                                   make_patient, monkeypatch):
    action_id = _setup(app, client_request, make_user, make_patient, monkeypatch)
    token = client_request.csrf_token()
    path = f"/actions/{action_id}/notes"
    for _ in range(2):
        refused = client_request.client.post(path, data={"note": "", "csrf_token": token})
        assert refused.status_code == 400 and "Enter" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Submission)) == 0
    assert _notes(app, action_id) == 0
