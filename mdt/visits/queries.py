"""Reading visits: day lists, the team board, merge suggestions and figures, each in a fixed
number of queries."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import case, select

from mdt.auth.models import SKILLS, User
from mdt.extensions import db
from mdt.notifications.models import Notification
from mdt.patients.models import Patient
from mdt.teams.models import Membership
from mdt.visits import merge as engine
from mdt.visits.models import TaskType, Visit, VisitMerge, VisitTask, when_label

WINDOW_ORDER = case((Visit.window == "morning", 0), (Visit.window == "timed", 1),
                    (Visit.window == "afternoon", 2), else_=3)


@dataclass
class VisitRow:
    visit: Visit
    patient: Patient
    professional: str
    tasks: list  # TaskType


def day_rows(team_ids, day: date, professional_id: int | None = None,
             include_inactive=False) -> list[VisitRow]:
    stmt = (select(Visit, Patient, User.name).join(Patient, Patient.id == Visit.patient_id)
            .join(User, User.id == Visit.professional_id)
            .where(Visit.team_id.in_(list(team_ids)), Visit.day == day))
    if professional_id:
        stmt = stmt.where(Visit.professional_id == professional_id)
    if not include_inactive:
        stmt = stmt.where(Visit.status.in_(("planned", "done")))
    found = db.session.execute(stmt.order_by(User.name, WINDOW_ORDER, Visit.at_time,
                                             Visit.id)).all()
    tasks = tasks_for([visit.id for visit, _, _ in found])
    return [VisitRow(visit, patient, name, tasks[visit.id]) for visit, patient, name in found]


def tasks_for(visit_ids) -> dict[int, list]:
    found = defaultdict(list)
    if visit_ids:
        for visit_id, task in db.session.execute(
                select(VisitTask.visit_id, TaskType).join(TaskType)
                .where(VisitTask.visit_id.in_(list(visit_ids))).order_by(VisitTask.id)):
            found[visit_id].append(task)
    return found


@dataclass
class SuggestionView:
    suggestion: engine.Suggestion
    text: str
    versions: dict  # visit id -> version, for the merge form
    professionals: set
    patient_name: str = ""
    replaces: tuple = ()  # "Priya Patel, afternoon: Dressing" for each visit in the group


def suggestions(team_id: int, day: date) -> list[SuggestionView]:
    """Merge suggestions for a team's day in two queries whatever the number of visits: the
    day's planned visits with their tasks and patient (plain rows, exactly the columns the
    engine and the suggestion cards need, one row per task), and the team's professionals
    with their skills."""
    rows = db.session.connection().execute(  # Core rows: no ORM loading step per row
        select(Visit.id, Visit.patient_id, Visit.professional_id, Visit.minutes,
               TaskType.skill, TaskType.name, Visit.version, Visit.window, Visit.at_time,
               Patient.given_name, Patient.family_name)
        .join(Patient, Patient.id == Visit.patient_id)
        .outerjoin(VisitTask, VisitTask.visit_id == Visit.id)
        .outerjoin(TaskType, TaskType.id == VisitTask.task_type_id)
        .where(Visit.team_id == team_id, Visit.day == day, Visit.status == "planned")
        .order_by(Visit.id, VisitTask.id)).all()
    if not rows:
        return []
    members = db.session.execute(select(User.id, User.name, User.skills).join(
        Membership, Membership.user_id == User.id).where(Membership.team_id == team_id)).all()
    skills = {uid: frozenset(held or ()) for uid, _, held in members}
    names = {uid: name for uid, name, _ in members}
    visits = {}  # id -> (its first row, the skills its tasks need, the tasks' names)
    for row in rows:
        seen = visits.get(row[0])
        if seen is None:
            seen = visits[row[0]] = (row, set(), [])
        if row[4] is not None:  # a visit without tasks still holds its professional's time
            seen[1].add(row[4])
            seen[2].append(row[5])
    data = [engine.VisitData(vid, row[1], day, row[2], row[3], frozenset(needs))
            for vid, (row, needs, _) in visits.items()]
    out = []
    for found in engine.suggest(data, skills):
        group = [visits[i] for i in (found.host_visit_id, *found.merged_visit_ids)]
        host = group[0][0]
        out.append(SuggestionView(
            found, found.explain(names, SKILLS), {row[0]: row[6] for row, _, _ in group},
            {row[2] for row, _, _ in group}, f"{host[9]} {host[10]}",
            tuple(f"{names.get(row[2], 'Someone')}, {when_label(row[7], row[8]).lower()}: "
                  f"{', '.join(tasks)}" for row, _, tasks in group)))
    return out


def notices(user_id: int, limit: int = 10) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(
        Notification.user_id == user_id, Notification.kind == "visit")
        .order_by(Notification.id.desc()).limit(limit)))


def merges_for_day(team_ids, day: date) -> dict[int, VisitMerge]:
    """Live merges of the day by host visit id (for the unmerge buttons)."""
    return {m.host_visit_id: m for m in db.session.scalars(select(VisitMerge).where(
        VisitMerge.team_id.in_(list(team_ids)), VisitMerge.day == day,
        VisitMerge.undone_at.is_(None)))}


def weekly_figures(team_id: int, weeks: int = 12, today: date | None = None) -> list[dict]:
    """Visits saved and minutes saved by merging, per week (Monday first), newest first."""
    today = today or date.today()
    start = today - timedelta(days=today.weekday() + 7 * (weeks - 1))
    totals = defaultdict(lambda: [0, 0])
    for day, saved, minutes in db.session.execute(
            select(VisitMerge.day, VisitMerge.visits_saved, VisitMerge.minutes_saved).where(
                VisitMerge.team_id == team_id, VisitMerge.undone_at.is_(None),
                VisitMerge.day >= start)):
        week = day - timedelta(days=day.weekday())
        totals[week][0] += saved
        totals[week][1] += minutes
    return [{"week": start + timedelta(weeks=n), "visits_saved": totals[start + timedelta(
        weeks=n)][0], "minutes_saved": totals[start + timedelta(weeks=n)][1]}
            for n in reversed(range(weeks))]
