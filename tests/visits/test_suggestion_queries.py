"""Merge suggestions through the database (queries.suggestions): the same answer as the
engine on the same data, in a fixed number of queries whatever the size of the day."""

import random
from datetime import timedelta

from sqlalchemy import select

from mdt.auth.models import Membership, User
from mdt.demo import builder
from mdt.extensions import db
from mdt.patients.models import Patient, PatientTeam
from mdt.timeutil import london_today
from mdt.visits import merge as engine
from mdt.visits import queries
from mdt.visits.models import TaskType, Visit, VisitTask
from mdt.visits.service import ensure_task_catalogue
from tests.conftest import count_queries

DAY = london_today() + timedelta(days=3)
SKILL_SETS = [["syringe_driver", "wound_care", "injections"], ["wound_care", "injections"],
              ["bloods", "catheter_care"], ["wound_care", "bloods", "medication_review"],
              ["injections"], ["wellbeing", "wound_care", "catheter_care", "bloods"]]


def _team_id(name="Riverside"):
    from mdt.teams.service import get_or_create_team
    return get_or_create_team(name).id


def _day_of(count: int, team_id: int, professionals: list[int], seed: int, day=DAY,
            first_number=300001):
    """`count` visits to count // 2 new patients on `day`, some no longer planned."""
    rng = random.Random(seed)
    ensure_task_catalogue(team_id)
    tasks = db.session.scalars(select(TaskType).where(TaskType.team_id == team_id)).all()
    patients = [Patient(nhs_number=number, given_name="Test", family_name=f"Patient {n}",
                        date_of_birth=DAY.replace(year=1940))
                for n, number in enumerate(builder.nhs_numbers(max(count // 2, 1),
                                                               start=first_number))]
    db.session.add_all(patients)
    db.session.flush()
    db.session.add_all(PatientTeam(patient_id=p.id, team_id=team_id) for p in patients)
    visits = [Visit(team_id=team_id, patient_id=rng.choice(patients).id,
                    professional_id=rng.choice(professionals), day=day,
                    window=rng.choice(["morning", "afternoon", "timed"]),
                    at_time=None, minutes=rng.choice([15, 20, 30, 45, 60]),
                    status=rng.choice(["planned"] * 8 + ["done", "cancelled"]),
                    created_by_id=professionals[0]) for _ in range(count)]
    db.session.add_all(visits)
    db.session.flush()
    db.session.add_all(VisitTask(visit_id=v.id, task_type_id=t.id) for v in visits
                       for t in rng.sample(tasks, rng.choice([1, 1, 2])))
    db.session.commit()


def _engine_answer(team_id: int):
    """The engine on the team's day, its input read the plain ORM way."""
    visits = db.session.scalars(select(Visit).where(Visit.team_id == team_id,
                                                    Visit.day == DAY)).all()
    needs = {}
    for visit_id, skill in db.session.execute(select(VisitTask.visit_id, TaskType.skill).join(
            TaskType).where(VisitTask.visit_id.in_([v.id for v in visits]))):
        needs.setdefault(visit_id, set()).add(skill)
    skills = {user.id: frozenset(user.skills) for user in db.session.scalars(
        select(User).join(Membership).where(Membership.team_id == team_id))}
    return engine.suggest([engine.VisitData(
        id=v.id, patient_id=v.patient_id, day=v.day, professional_id=v.professional_id,
        minutes=v.minutes, skills=frozenset(needs.get(v.id, ())), status=v.status)
        for v in visits], skills)


def _suggestions_counted(app, team_id):
    with app.app_context(), count_queries(db.engine) as statements:
        found = queries.suggestions(team_id, DAY)
    return found, statements


def test_suggestions_are_the_engines_in_two_queries_at_10_and_500_visits(app, make_user):
    # About eight visits each at 500, as in a real day: room left to take a colleague's.
    professionals = [make_user(name=f"Pro {n}", skills=SKILL_SETS[n % len(SKILL_SETS)]).id
                     for n in range(60)]
    make_user(name="Elsewhere", team="Hillside", skills=["wound_care"])
    with app.app_context():
        team_id, other_team = _team_id(), _team_id("Hillside")
        _day_of(10, team_id, professionals, seed=1)
    few, few_statements = _suggestions_counted(app, team_id)
    with app.app_context():
        assert [s.suggestion for s in few] == _engine_answer(team_id)
        _day_of(490, team_id, professionals, seed=2, first_number=310001)
        # Neither another day of the team nor another team's day is read.
        _day_of(60, team_id, professionals, seed=3, day=DAY + timedelta(days=1),
                first_number=330001)
        _day_of(60, other_team, professionals, seed=4, first_number=340001)
    many, many_statements = _suggestions_counted(app, team_id)
    with app.app_context():
        expected = _engine_answer(team_id)
        assert len(expected) > 20
        assert [s.suggestion for s in many] == expected
        visits = {v.id: v for v in db.session.scalars(select(Visit).where(
            Visit.team_id == team_id, Visit.day == DAY))}
        patients = dict(db.session.execute(select(Patient.id, Patient.family_name)).all())
    assert len(few_statements) == len(many_statements) <= 2
    for item in many:  # what the suggestion card shows and posts
        group = (item.suggestion.host_visit_id, *item.suggestion.merged_visit_ids)
        assert item.versions == {i: visits[i].version for i in group}
        assert item.professionals == {visits[i].professional_id for i in group}
        assert item.patient_name == f"Test {patients[item.suggestion.patient_id]}"
        assert [line.split(",")[0] for line in item.replaces] == [
            f"Pro {professionals.index(visits[i].professional_id)}" for i in group]


def test_a_day_without_visits_costs_one_query(app, make_user):
    make_user(name="Pro", skills=["wound_care"])
    with app.app_context():
        team_id = _team_id()
    found, statements = _suggestions_counted(app, team_id)
    assert found == [] and len(statements) == 1
