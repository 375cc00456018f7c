"""One way to build data, for the demo (`flask --app wsgi seed-demo`), the tests' fixtures
(tests/conftest.py) and bench/: teams, people, patients and visits.

What a person could make through the app goes through its service, so it is checked and
audited as in real use (a patient made `by` someone, a visit). The services leave the commit
to their caller (one unit of work per request or job), so the builder commits after each
thing it makes, as a request would. Users and memberships have no audited service (an
administrator's CLI makes them): they are rows, as `add_user` makes them.
"""

from datetime import date

from sqlalchemy import select

from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients.models import Patient, PatientTeam
from mdt.patients.nhs_number import numbers_in_test_range
from mdt.teams.models import Membership, Team
from mdt.teams.service import get_or_create_team

nhs_numbers = numbers_in_test_range  # valid NHS numbers in the 999 test range


def team(name: str) -> Team:
    """The team of that name, made if new (committed)."""
    found = get_or_create_team(name)
    db.session.commit()
    return found


def team_actor(user_id: int, team_id: int, role: str = "chair") -> Actor:
    """Someone acting in one team (for the services the builder calls)."""
    return Actor(user_id, (team_id,), {team_id: role})


def user(*, email: str, password_hash: str, name: str = "Test User", team: str | None = None,
         role: str = "member", **fields) -> User:
    """A user (with a password hash made by the caller: argon2 is slow on purpose, so tests
    hash once), on `team` in `role` when given. Committed."""
    made = User(email=email, name=name, password_hash=password_hash, **fields)
    db.session.add(made)
    db.session.flush()
    if team:
        db.session.add(Membership(team_id=get_or_create_team(team).id, user_id=made.id,
                                  role=role))
    db.session.commit()
    return made


def patient(*, team: str | int, given: str, family: str, nhs_number: str,
            date_of_birth: date = date(1950, 1, 2), by: Actor | None = None,
            **fields) -> Patient:
    """A patient on a team's list. Made `by` a team member through the patients service
    (validated, refused if a duplicate, audited), the way the app makes one; without `by`
    (the tests' fixtures) as rows, with no audit event to disturb what a test counts.
    Fields the service does not take (stage, usual GP, title, ...) are set afterwards."""
    team_id = team if isinstance(team, int) else get_or_create_team(team).id
    if by is not None:
        from mdt.patients.service import FIELDS, create_patient

        data = {"nhs_number": nhs_number, "given_name": given, "family_name": family,
                "date_of_birth": date_of_birth}
        data |= {key: fields.pop(key) for key in FIELDS if key in fields}
        listed_on = fields.pop("listed_on", None)
        made = create_patient(by, team_id, data)
        for key, value in fields.items():
            setattr(made, key, value)
        if listed_on is not None:
            db.session.scalar(select(PatientTeam).where(
                PatientTeam.patient_id == made.id, PatientTeam.team_id == team_id)
            ).listed_on = listed_on
        db.session.commit()
        return made
    listed_on = fields.pop("listed_on", None)
    made = Patient(nhs_number=nhs_number, given_name=given, family_name=family,
                   date_of_birth=date_of_birth, **fields)
    db.session.add(made)
    db.session.flush()
    db.session.add(PatientTeam(patient_id=made.id, team_id=team_id,
                               **({"listed_on": listed_on} if listed_on else {})))
    db.session.commit()
    return made


def visit(by: Actor, *, team_id: int, patient_id: int, professional_id: int, day: date,
          window: str, tasks: list[str], minutes: int | None = None):
    """A planned visit through the visits service (checked and audited), its tasks named
    from the team's catalogue (made if the team has none yet). Committed."""
    from mdt.visits.service import ensure_task_catalogue, plan_visit, task_types

    ensure_task_catalogue(team_id)
    ids = {t.name: t.id for t in task_types(team_id)}
    made, _warnings = plan_visit(by, team_id=team_id, patient_id=patient_id,
                                 professional_id=professional_id, day=day, window=window,
                                 at_time=None, minutes=minutes or 30 * len(tasks),
                                 task_type_ids=[ids[name] for name in tasks])
    db.session.commit()
    return made


def action(by: Actor, *, team_id: int, description: str, owner_id: int, due_on: date,
           patient_id: int | None = None, case_id: int | None = None, raised=None,
           done_at=None, done_by: Actor | None = None, cancelled_at=None,
           cancelled_by: Actor | None = None, cancel_reason: str = ""):
    """An action through the actions service (its log and audit trail as in real use): raised
    `by` someone at `raised`, then done at `done_at` or cancelled at `cancelled_at` (each
    step at its own time, by clock_at; None is now). Committed after each step."""
    from mdt.actions import service

    with _at(raised):
        made = service.create_action(by, team_id=team_id, description=description,
                                     owner_id=owner_id, due_on=due_on, patient_id=patient_id,
                                     case_id=case_id)
        db.session.commit()
    if done_at is not None:
        with _at(done_at):
            service.complete(done_by or by, made)
            db.session.commit()
    if cancelled_at is not None:
        with _at(cancelled_at):
            service.cancel(cancelled_by or by, made, cancel_reason)
            db.session.commit()
    return made


def _at(moment):
    from contextlib import nullcontext

    from mdt.timeutil import clock_at

    return nullcontext() if moment is None else clock_at(moment)


def referral(by: Actor, *, team_id: int, patient_id: int, question: str,
             urgency: str = "routine", presenter_id: int | None = None):
    """A referral to the MDT, sent through the referrals service (the chairs told, audited).
    Committed."""
    from mdt.referrals.service import send_referral

    made = send_referral(by, team_id=team_id, patient_id=patient_id, question=question,
                         urgency=urgency, presenter_id=presenter_id)
    db.session.commit()
    return made
