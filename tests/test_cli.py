from sqlalchemy import func, select

from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients.models import Patient
from mdt.patients.nhs_number import normalise
from mdt.teams.models import Membership


def test_seed_demo_loads_a_team_and_is_idempotent(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["seed-demo", "--password", "a-demo-password-1"])
    assert result.exit_code == 0, result.output
    assert "chair@example.nhs.uk" in result.output and "a-demo-password-1" in result.output
    again = runner.invoke(args=["seed-demo", "--password", "a-demo-password-1"])
    assert again.exit_code == 0
    with app.app_context():
        chair = db.session.scalar(select(User).where(User.email == "chair@example.nhs.uk"))
        assert chair.profession == "community_matron"
        role = db.session.scalar(select(Membership.role).where(Membership.user_id == chair.id))
        assert role == "chair"
        numbers = db.session.scalars(select(Patient.nhs_number)).all()
        assert len(numbers) == 16  # 15 for the demo team, 1 for the other team
        assert all(n.startswith("999") and normalise(n) == n for n in numbers)
        users = db.session.scalar(select(func.count()).select_from(User))
        assert users == 12  # 10 on the demo team, the other team's chair, an admin
        assert all(u.email.endswith("@example.nhs.uk") for u in db.session.scalars(select(User)))
    assert "admin@example.nhs.uk" in again.output
    # The demo's promise: tomorrow the matron's and a district nurse's visits to Sunita
    # Sharma can merge, and the suggestion names her and the visits it replaces.
    from datetime import timedelta

    from mdt.teams.models import Team
    from mdt.timeutil import london_today
    from mdt.visits.queries import suggestions
    with app.app_context():
        team = db.session.scalar(select(Membership.team_id).where(Membership.user_id == chair.id))
        found = suggestions(team, london_today() + timedelta(days=1))
        assert db.session.get(Team, team) is not None
    assert [s.patient_name for s in found] == ["Sunita Sharma"]
    assert len(found[0].replaces) == 2 and "Grace Okafor holds" in found[0].text
    # Made through the services, so audited as in real use, and the chain holds.
    from mdt.audit.chain import verify
    from mdt.audit.models import AuditEvent
    with app.app_context():
        kinds = set(db.session.scalars(select(AuditEvent.record_type)))
        assert {"patient", "meeting_series", "meeting", "case", "action", "referral", "visit",
                "key_worker", "pathway_stage", "hna", "key_information", "lifecycle"} <= kinds
        assert verify().ok


def test_create_user_on_a_team(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "New.Person@Example.nhs.uk", "--name", "New Person",
        "--password", "a-long-enough-password", "--profession", "district_nurse",
        "--team", "Riverside", "--role", "chair", "--skill", "wound_care"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new.person@example.nhs.uk"))
        assert user.skills == ["wound_care"]


def test_create_user_refuses_a_short_password(app):
    result = app.test_cli_runner().invoke(args=[
        "create-user", "--email", "x@example.nhs.uk", "--name", "X", "--password", "short"])
    assert result.exit_code != 0 and "at least 12 characters" in result.output
