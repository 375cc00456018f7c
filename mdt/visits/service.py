"""Visits: plan, cancel (for one or for everyone that day), merge and unmerge. Every change
is audited; professionals whose day changes get an in-app notice."""

from contextlib import contextmanager
from datetime import date, time

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound, Refused
from mdt.extensions import db
from mdt.notifications.models import Notification
from mdt.patients.models import PatientTeam
from mdt.patients.service import closed_message
from mdt.teams.service import is_member
from mdt.timeutil import clock_problem, format_date, london_today, utcnow
from mdt.transitions import check_transition
from mdt.visits import merge as engine
from mdt.visits.lifecycle import TRANSITIONS, VisitStatus
from mdt.visits.models import WINDOWS, TaskType, Visit, VisitMerge, VisitTask

REASON_LIMIT = 500


class VisitError(Refused):
    """A visit change refused: {field: message} for the form, nothing saved."""


def _audit(actor, team_id, action, visit_id, changes, record_type="visit"):
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action=action, record_type=record_type, record_id=visit_id, changes=changes)


def notify(user_id: int, text: str, link: str = "") -> None:
    # No patient names: the text may later leave the app by email (reminders).
    db.session.add(Notification(user_id=user_id, text=text[:300], link=link[:200]))


def get_visit(actor: Actor, visit_id: int) -> Visit | None:
    return db.session.scalar(select(Visit).where(Visit.id == visit_id,
                                                 Visit.team_id.in_(actor.team_ids)))


def task_types(team_id: int, active_only=True) -> list[TaskType]:
    stmt = select(TaskType).where(TaskType.team_id == team_id)
    if active_only:
        stmt = stmt.where(TaskType.active.is_(True))
    return list(db.session.scalars(stmt.order_by(TaskType.name)))


def ensure_task_catalogue(team_id: int) -> None:
    from mdt.visits.models import DEFAULT_TASKS
    if not task_types(team_id, active_only=False):
        db.session.add_all(TaskType(team_id=team_id, name=name, skill=skill, minutes=minutes)
                           for name, skill, minutes in DEFAULT_TASKS)
        db.session.flush()


def add_task_type(team_id: int, *, name: str, skill: str, minutes: int | None) -> TaskType:
    """A new task for the team's catalogue (chairs only: the view checks)."""
    from mdt.auth.models import SKILLS
    errors = {}
    if not name:
        errors["name"] = "Enter the task's name"
    if skill not in SKILLS:
        errors["skill"] = "Choose the skill the task needs"
    if not minutes or not 5 <= minutes <= 480:
        errors["minutes"] = "Usual minutes must be between 5 and 480"
    if errors:
        raise VisitError(errors)
    task = TaskType(team_id=team_id, name=name, skill=skill, minutes=minutes)
    db.session.add(task)
    db.session.flush()
    return task


def team_skills(team_id: int) -> set[str]:
    from mdt.teams.service import team_members
    return {skill for _, user in team_members([team_id]) for skill in (user.skills or [])}


def visit_time_problem(day: date, at_time: time) -> str | None:
    """A set visit time the clocks skip or repeat that night: refused (a nurse would not
    know which 01:30 to come at)."""
    if clock_problem(day, at_time) is None:
        return None
    return (f"The clocks change at night on {format_date(day)}, so {at_time:%H:%M} does not "
            "happen once that day: choose a time outside 01:00 to 01:59")


def plan_visit(actor: Actor, *, team_id: int, patient_id: int | None, professional_id,
               day: date | None, window: str, at_time: time | None, minutes: int | None,
               task_type_ids: list[int], visit: Visit | None = None,
               seen_version: int | None = None) -> tuple[Visit, list[str]]:
    """Create (or, given `visit` and the `seen_version` the user saw, change) a planned
    visit. Returns (visit, warnings)."""
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    if patient_id is None or db.session.scalar(select(PatientTeam.patient_id).where(
            PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)) is None:
        raise NotFound("patient not on this team")
    errors = {}
    if visit is None and (closed := closed_message(patient_id, team_id)):
        raise VisitError({"patient_id": closed})
    if not is_member(team_id, professional_id):
        errors["professional_id"] = "Choose a professional from the team"
    if day is None:
        errors["day"] = "Enter the day of the visit"
    elif day < london_today():
        errors["day"] = "The visit must be today or later"
    if window not in WINDOWS:
        errors["window"] = "Choose morning, afternoon, evening or a set time"
    elif window == "timed" and at_time is None:
        errors["at_time"] = "Enter the time of the visit, for example 10:30"
    elif window == "timed" and day is not None and (problem := visit_time_problem(day,
                                                                                   at_time)):
        errors["at_time"] = problem
    if minutes is None or not 5 <= minutes <= 480:
        errors["minutes"] = "Expected duration must be between 5 and 480 minutes"
    chosen = [t for t in task_types(team_id) if t.id in set(task_type_ids)]
    if not chosen:
        errors["task_type_ids"] = "Choose at least one task"
    if visit is not None and visit.status != "planned":
        errors["form"] = f"This visit is {visit.status_label.lower()}: it cannot be changed"
    elif visit is not None and seen_version != visit.version:
        errors["form"] = ("Someone else changed this visit while you were editing it. Your "
                          "changes have not been saved: check the visit below, then try again.")
    if errors:
        raise VisitError(errors)
    held = team_skills(team_id)
    warnings = [f"Nobody on the team holds the skill for '{t.name}'"
                for t in chosen if t.skill not in held]
    with _changing():
        creating = visit is None
        if creating:
            visit = Visit(team_id=team_id, patient_id=patient_id, created_by_id=actor.user_id)
            db.session.add(visit)
        before = {"professional_id": visit.professional_id, "day": str(visit.day or ""),
                  "window": visit.window}
        visit.professional_id, visit.day, visit.window = professional_id, day, window
        visit.at_time = at_time if window == "timed" else None
        visit.minutes = minutes
        db.session.flush()
        if not creating:
            for task in db.session.scalars(select(VisitTask).where(VisitTask.visit_id == visit.id)):
                db.session.delete(task)
        db.session.add_all(VisitTask(visit_id=visit.id, task_type_id=t.id) for t in chosen)
        _audit(actor, team_id, "create" if creating else "change", visit.id,
               audit.diff(before, {"professional_id": professional_id, "day": str(day),
                                   "window": window}) | {"patient_id": patient_id})
        if not creating and before["professional_id"] not in (None, professional_id):
            notify(before["professional_id"], f"A visit on {format_date(day)} was moved to a "
                                              "colleague", f"/visits/{visit.id}")
    return visit, warnings


@contextmanager
def _changing(message="Someone else changed these visits at the same moment. "
                      "Check the day list, then try again."):
    """One change in a SAVEPOINT: if a colleague's change landed first (a stale version),
    this change alone is undone and refused."""
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError:
        raise VisitError({"form": message}) from None


def cancel_visit(actor: Actor, visit: Visit, reason: str) -> Visit:
    reason = (reason or "").strip()
    if not reason:
        raise VisitError({"reason": "Enter the reason for cancelling"})
    if len(reason) > REASON_LIMIT:
        raise VisitError({"reason": f"Reason must be {REASON_LIMIT} characters or fewer"})
    if visit.status == "cancelled":
        return visit
    if visit.status != "planned":
        raise VisitError({"form": f"This visit is {visit.status_label.lower()}: only planned "
                                  "visits can be cancelled"})
    with _changing():
        cancel_planned(actor, visit, reason)
    return visit


def cancel_planned(actor: Actor, visit: Visit, reason: str) -> None:
    """Cancel a planned visit in the caller's unit of work: audited, and the professional told
    (unless they cancelled it themselves)."""
    check_transition(TRANSITIONS, visit.status, VisitStatus.CANCELLED, VisitError)
    visit.status, visit.cancel_reason = "cancelled", reason
    _audit(actor, visit.team_id, "change", visit.id, {"status": ["planned", "cancelled"],
                                                      "reason": reason,
                                                      "patient_id": visit.patient_id})
    if visit.professional_id != actor.user_id:
        # Not the typed reason: it may name the patient, and notices go out by email.
        notify(visit.professional_id, f"Your visit on {format_date(visit.day)} was cancelled. "
                                      "The reason is in the app.", f"/visits/{visit.id}")


def cancel_for_everyone(actor: Actor, team_id: int, patient_id: int, day: date,
                        reason: str) -> int:
    """Cancels every planned visit to the patient that day, whoever was going, and tells
    each of them: nobody turns up after the patient cancelled."""
    reason = (reason or "").strip()
    if not reason:
        raise VisitError({"reason": "Enter the reason, for example 'admitted to hospital'"})
    if len(reason) > REASON_LIMIT:
        raise VisitError({"reason": f"Reason must be {REASON_LIMIT} characters or fewer"})
    visits = db.session.scalars(select(Visit).where(
        Visit.team_id == team_id, Visit.team_id.in_(actor.team_ids),
        Visit.patient_id == patient_id, Visit.day == day, Visit.status == "planned")).all()
    with _changing():
        for visit in visits:
            visit.status, visit.cancel_reason = "cancelled", reason
            _audit(actor, team_id, "change", visit.id, {"status": ["planned", "cancelled"],
                                                        "reason": reason, "for_everyone": True})
            notify(visit.professional_id, f"Visit on {format_date(day)} cancelled for everyone. "
                                          "The reason is in the app.", f"/visits/{visit.id}")
    return len(visits)


def visit_data(visits, tasks_by_visit: dict, skill_of_task: dict) -> list[engine.VisitData]:
    return [engine.VisitData(id=v.id, patient_id=v.patient_id, day=v.day,
                             professional_id=v.professional_id, minutes=v.minutes,
                             skills=frozenset(skill_of_task[t] for t in tasks_by_visit[v.id]),
                             status=v.status, merged_into=v.merged_into_id)
            for v in visits]


def merge_visits(actor: Actor, *, host_visit_id: int, visit_ids: list[int],
                 versions: dict) -> VisitMerge:
    """Folds `visit_ids` into the host visit. `versions` ({id: version the user saw}) makes
    two people merging the same group at once safe: the second is refused."""
    ids = sorted(set(visit_ids) - {host_visit_id})
    visits = {v.id: v for v in db.session.scalars(select(Visit).where(
        Visit.id.in_([host_visit_id, *ids]), Visit.team_id.in_(actor.team_ids)))}
    if host_visit_id not in visits or len(visits) != len(ids) + 1 or not ids:
        raise NotFound("visits not found")
    host, guests = visits[host_visit_id], [visits[i] for i in ids]
    group = [host, *guests]
    if any(versions.get(v.id) != v.version for v in group):
        raise VisitError({"form": "These visits changed since you looked (perhaps a colleague "
                                  "merged them already). Check the day list."})
    if any(v.status != "planned" for v in group):
        raise VisitError({"form": "Only planned visits can be merged: one of these is already "
                                  "merged, done or cancelled"})
    if len({(v.patient_id, v.day) for v in group}) != 1:
        raise VisitError({"form": "Only visits to the same patient on the same day can be "
                                  "merged"})
    tasks = db.session.execute(select(VisitTask.visit_id, VisitTask.task_type_id, TaskType.skill)
                               .join(TaskType).where(VisitTask.visit_id.in_(list(visits)))).all()
    needed = {skill for _, _, skill in tasks}
    professional = db.session.get(User, host.professional_id)
    missing = needed - set(professional.skills or [])
    if missing:
        raise VisitError({"form": f"{professional.name} does not hold every skill needed "
                                  f"({', '.join(sorted(missing))})"})
    added = sum(v.minutes for v in guests)
    for guest in guests:
        check_transition(TRANSITIONS, guest.status, VisitStatus.MERGED, VisitError)
    with _changing("A colleague merged or changed these visits at the same moment. "
                   "Check the day list."):
        merge = VisitMerge(team_id=host.team_id, host_visit_id=host.id, merged_visit_ids=ids,
                           host_before={"minutes": host.minutes}, day=host.day,
                           visits_saved=len(guests),
                           minutes_saved=engine.MINUTES_SAVED_PER_VISIT * len(guests),
                           created_by_id=actor.user_id)
        db.session.add(merge)
        host.minutes += added
        for guest in guests:
            guest.status, guest.merged_into_id = "merged", host.id
            for _, task_type_id, _ in [t for t in tasks if t[0] == guest.id]:
                db.session.add(VisitTask(visit_id=host.id, task_type_id=task_type_id,
                                         from_visit_id=guest.id))
        _audit(actor, host.team_id, "change", host.id, {"merged": ids}, record_type="visit_merge")
        when = format_date(host.day)
        for person in {v.professional_id for v in group} - {actor.user_id}:
            notify(person, f"Visits on {when} were merged: {professional.name} now makes one "
                           "visit", f"/visits?date={host.day.isoformat()}")
    return merge


def unmerge(actor: Actor, merge: VisitMerge) -> None:
    """Restores the host and the merged visits exactly as they were."""
    if merge.undone_at is not None:
        return
    host = db.session.get(Visit, merge.host_visit_id)
    if host.status != "planned":
        raise VisitError({"form": "The merged visit is no longer planned: it cannot be "
                                  "unmerged"})
    guests = db.session.scalars(select(Visit).where(Visit.id.in_(merge.merged_visit_ids))).all()
    for guest in guests:
        check_transition(TRANSITIONS, guest.status, VisitStatus.PLANNED, VisitError)
    with _changing():
        for task in db.session.scalars(select(VisitTask).where(
                VisitTask.visit_id == host.id, VisitTask.from_visit_id.in_(merge.merged_visit_ids))):
            db.session.delete(task)
        host.minutes = merge.host_before["minutes"]
        for guest in guests:
            guest.status, guest.merged_into_id = "planned", None
        merge.undone_at = utcnow()
        _audit(actor, host.team_id, "change", host.id, {"unmerged": merge.merged_visit_ids},
               record_type="visit_merge")
        for person in {v.professional_id for v in [host, *guests]} - {actor.user_id}:
            notify(person, f"A merge of visits on {format_date(host.day)} was undone: your "
                           "original visit is back", f"/visits?date={host.day.isoformat()}")
