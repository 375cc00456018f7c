"""My day's visits (/visits) as one object: my visits with their tasks and live merges, and
the merge suggestions that touch them, read in one query whatever the number of visits
(the visit notices beside it: two in all).

The suggestions need the whole day of each team I visit for (every planned visit, its
tasks, its professional's skills on that team), so the query reads those days, and only
for teams where I have a visit that day: a day with none of mine reads only mine. Patients
are loaded (and so audited as seen) for my own visits only."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import aliased

from mdt.auth.actor import Actor
from mdt.auth.models import SKILLS, User
from mdt.extensions import db
from mdt.patients.models import Patient
from mdt.teams.models import Membership
from mdt.visits import merge as engine
from mdt.visits import queries
from mdt.visits.models import TaskType, Visit, VisitMerge, VisitTask

SHOWN = ("planned", "done")  # the statuses a day list shows (as queries.day_rows)


@dataclass
class DayPage:
    day: date
    rows: list  # queries.VisitRow, mine, in order
    suggestions: list  # queries.SuggestionView touching one of my visits
    merges: dict  # host visit id -> VisitMerge (live), for the unmerge buttons
    notices: list

    @classmethod
    def build(cls, actor: Actor, day: date) -> "DayPage":
        me = actor.user_id
        mine = and_(Visit.professional_id == me, Visit.status.in_(SHOWN))
        mine_teams = aliased(Visit)  # (not correlated with the outer visits)
        my_teams = select(mine_teams.team_id).where(
            mine_teams.day == day, mine_teams.professional_id == me,
            mine_teams.status.in_(SHOWN), mine_teams.team_id.in_(list(actor.team_ids)))
        found = db.session.execute(
            select(Visit, Patient, User.name, User.skills, Membership.id, TaskType, VisitMerge)
            .join(User, User.id == Visit.professional_id)
            .outerjoin(Patient, and_(Patient.id == Visit.patient_id, mine))
            .outerjoin(Membership, and_(Membership.user_id == Visit.professional_id,
                                        Membership.team_id == Visit.team_id))
            .outerjoin(VisitTask, VisitTask.visit_id == Visit.id)
            .outerjoin(TaskType, TaskType.id == VisitTask.task_type_id)
            .outerjoin(VisitMerge, and_(VisitMerge.host_visit_id == Visit.id,
                                        VisitMerge.undone_at.is_(None)))
            .where(Visit.day == day, Visit.team_id.in_(my_teams),
                   or_(Visit.status == "planned", mine))
            .order_by(User.name, queries.WINDOW_ORDER, Visit.at_time, Visit.id, VisitTask.id))
        visits, patients, tasks, merges = {}, {}, defaultdict(list), {}
        names, skills = {}, defaultdict(dict)  # skills: team -> professional -> skills
        for visit, patient, name, held, member, task, merged in found:
            if visit.id not in visits:
                visits[visit.id] = visit
                names[visit.professional_id] = name
                if member is not None:
                    skills[visit.team_id][visit.professional_id] = frozenset(held or [])
            if patient is not None:
                patients[visit.id] = patient
            if task is not None and task not in tasks[visit.id]:
                tasks[visit.id].append(task)
            if merged is not None:
                merges[visit.id] = merged
        rows = [queries.VisitRow(visit, patients[visit.id], names[visit.professional_id],
                                 tasks[visit.id])
                for visit in visits.values() if visit.id in patients]
        return cls(day, rows, _suggestions(visits, tasks, names, skills, rows), merges,
                   queries.notices(me))


def _suggestions(visits, tasks, names, skills, rows) -> list:
    """The merge engine on each team's planned visits of the day (as queries.suggestions
    does for the team board), keeping those that touch one of my visits."""
    mine = {row.visit.id for row in rows}
    patient_names = {row.visit.patient_id: f"{row.patient.given_name} {row.patient.family_name}"
                     for row in rows}
    by_team = defaultdict(list)
    for visit in visits.values():
        if visit.status == "planned":
            by_team[visit.team_id].append(visit)
    out = []
    for team_id, planned in sorted(by_team.items()):
        data = [engine.VisitData(id=v.id, patient_id=v.patient_id, day=v.day,
                                 professional_id=v.professional_id, minutes=v.minutes,
                                 skills=frozenset(t.skill for t in tasks[v.id]))
                for v in planned]
        for s in engine.suggest(data, skills[team_id]):
            group = (s.host_visit_id, *s.merged_visit_ids)
            if not mine & set(group):
                continue
            replaces = tuple(f"{names.get(visits[i].professional_id, 'Someone')}, "
                             f"{visits[i].when_label.lower()}: "
                             f"{', '.join(t.name for t in tasks[i])}" for i in group)
            out.append(queries.SuggestionView(
                s, s.explain(names, SKILLS), {i: visits[i].version for i in group},
                {visits[i].professional_id for i in group},
                patient_names.get(s.patient_id, ""), replaces))
    return out
