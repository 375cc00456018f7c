"""Home visits: my day, the team's day board with merge suggestions, plan / change / cancel
a visit, merge and unmerge, cancel for everyone, the task catalogue and the figures."""

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from mdt.audit.reads import shows_patient_data
from mdt.auth.models import SKILLS
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.forms import apply_errors, error_list, int_or_none
from mdt.loaders import chosen_team, load, register
from mdt.meetings.forms import parse_clock
from mdt.patients.listing import patient_choices
from mdt.teams.service import member_choices
from mdt.timeutil import london_today
from mdt.visits import queries, service
from mdt.visits.forms import CancelVisitForm, TaskTypeForm, VisitForm
from mdt.visits.models import TaskType, Visit, VisitMerge
from mdt.visits.pages import DayPage

bp = Blueprint("visits", __name__, url_prefix="/visits")



def _merge(actor, merge_id, loaded):
    merge = db.session.get(VisitMerge, merge_id)
    return merge if merge is not None and merge.team_id in actor.team_ids else None


register("visit_id", "visit", lambda actor, id_, _: service.get_visit(actor, id_))
register("merge_id", "merge", _merge)


def _day() -> date:
    try:
        return date.fromisoformat(request.args.get("date", ""))
    except ValueError:
        return london_today()


@bp.get("")
@team_member_required
@shows_patient_data("visit_day")
def index():
    """My visits for a day, in order, with address and tasks: two queries (visits/pages.py)."""
    page = DayPage.build(current_actor(), _day())
    return render_template("visits/index.html", rows=page.rows, day=page.day,
                           suggestions=page.suggestions, notices=page.notices,
                           merges=page.merges)


@bp.get("/board")
@team_member_required
@shows_patient_data("visit_board")
def board():
    """The team's day: every professional, every visit, and the merge suggestions."""
    actor = current_actor()
    day, team_id = _day(), chosen_team(actor, request.values.get("team_id"))
    rows = queries.day_rows([team_id], day)
    return render_template("visits/board.html", rows=rows, day=day, team_id=team_id,
                           suggestions=queries.suggestions(team_id, day),
                           merges=queries.merges_for_day([team_id], day),
                           cancel_form=CancelVisitForm())


def _visit_form(actor, team_id, form):
    service.ensure_task_catalogue(team_id)
    db.session.commit()
    form.patient_id.choices = patient_choices(actor, team_id)
    form.professional_id.choices = member_choices(team_id, "Choose a professional")
    form.task_type_ids.choices = [(t.id, f"{t.name} ({SKILLS.get(t.skill, t.skill)}, "
                                         f"{t.minutes} min)")
                                  for t in service.task_types(team_id)]


def _save(actor, team_id, form, visit=None):
    try:
        saved, warnings = service.plan_visit(
            actor, team_id=team_id, patient_id=form.patient_id.data,
            professional_id=form.professional_id.data, day=form.day.data,
            window=form.window.data, at_time=parse_clock(form.at_time.data),
            minutes=form.minutes.data, task_type_ids=form.task_type_ids.data or [], visit=visit,
            seen_version=form.seen_version() if visit else None)
        db.session.commit()
    except service.VisitError as exc:
        apply_errors(form, exc.errors)
        return None
    for warning in warnings:
        flash(warning)
    flash("Visit saved")
    return redirect(url_for("visits.board", date=saved.day.isoformat(), team_id=team_id),
                    code=303)


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("visit_page")
def new():
    actor = current_actor()
    team_id = chosen_team(actor, request.values.get("team_id"))
    form = VisitForm()
    _visit_form(actor, team_id, form)
    if form.is_submitted() and form.validate():
        done = _save(actor, team_id, form)
        if done:
            return done
    elif not form.is_submitted():
        form.patient_id.data = int_or_none(request.args.get("patient_id"))
        form.professional_id.data = actor.user_id
        form.day.process(None, london_today())
    status = 400 if form.errors or form.form_errors else 200
    return render_template("visits/form.html", form=form, team_id=team_id, visit=None,
                           errors=error_list(form)), status


@bp.route("/<int:visit_id>", methods=["GET", "POST"])
@team_member_required
@shows_patient_data("visit_page")
@load("visit_id")
def edit(visit_id: int, visit: Visit):
    actor = current_actor()
    form = VisitForm()
    _visit_form(actor, visit.team_id, form)
    if form.is_submitted() and form.validate():
        done = _save(actor, visit.team_id, form, visit)
        if done:
            return done
    elif not form.is_submitted():
        form.process(data={"patient_id": visit.patient_id,
                           "professional_id": visit.professional_id, "day": visit.day,
                           "window": visit.window, "minutes": visit.minutes,
                           "at_time": f"{visit.at_time:%H:%M}" if visit.at_time else "",
                           "task_type_ids": [t.id for t in queries.tasks_for([visit.id])[
                               visit.id]], "version": visit.version})
    status = 400 if form.errors or form.form_errors else 200
    return render_template("visits/form.html", form=form, team_id=visit.team_id, visit=visit,
                           cancel_form=CancelVisitForm(), errors=error_list(form)), status


@bp.post("/<int:visit_id>/cancel")
@team_member_required
@load("visit_id")
def cancel(visit_id: int, visit: Visit):
    actor = current_actor()
    form = CancelVisitForm()
    try:
        service.cancel_visit(actor, visit, form.reason.data)
        db.session.commit()
    except service.VisitError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("visits.edit", visit_id=visit.id), code=303)
    flash("Visit cancelled")
    return redirect(url_for("visits.board", date=visit.day.isoformat(), team_id=visit.team_id),
                    code=303)


@bp.post("/cancel-day")
@team_member_required
def cancel_day():
    actor = current_actor()
    team_id = chosen_team(actor, request.values.get("team_id"))
    patient_id = int_or_none(request.form.get("patient_id"))
    try:
        day = date.fromisoformat(request.form.get("day", ""))
    except ValueError:
        abort(400)
    try:
        count = service.cancel_for_everyone(actor, team_id, patient_id, day,
                                            request.form.get("reason", ""))
        db.session.commit()
    except service.VisitError as exc:
        flash(" ".join(exc.errors.values()))
    else:
        flash(f"{count} {'visit' if count == 1 else 'visits'} cancelled for everyone; each "
              "professional has been told")
    return redirect(url_for("visits.board", date=day.isoformat(), team_id=team_id), code=303)


@bp.post("/merge")
@team_member_required
def merge():
    actor = current_actor()
    host = int_or_none(request.form.get("host_visit_id"))
    ids = [i for i in (int_or_none(v) for v in request.form.getlist("visit_ids")) if i]
    versions = {i: int_or_none(request.form.get(f"version_{i}")) for i in [host, *ids] if i}
    try:
        merged = service.merge_visits(actor, host_visit_id=host, visit_ids=ids,
                                      versions=versions)
        db.session.commit()
    except service.VisitError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(request.form.get("back") if str(request.form.get("back", "")).startswith(
            "/visits") else url_for("visits.index"), code=303)
    flash("Visits merged: the patient now has one visit")
    return redirect(url_for("visits.board", date=merged.day.isoformat(),
                            team_id=merged.team_id), code=303)


@bp.post("/merges/<int:merge_id>/unmerge")
@team_member_required
@load("merge_id")
def unmerge(merge_id: int, merge: VisitMerge):
    actor = current_actor()
    try:
        service.unmerge(actor, merge)
        db.session.commit()
    except service.VisitError as exc:
        flash(" ".join(exc.errors.values()))
    else:
        flash("Merge undone: the original visits are back")
    return redirect(url_for("visits.board", date=merge.day.isoformat(),
                            team_id=merge.team_id), code=303)


@bp.route("/tasks", methods=["GET", "POST"])
@team_member_required
def tasks():
    """The team's task catalogue; chairs add and retire tasks."""
    actor = current_actor()
    team_id = chosen_team(actor, request.values.get("team_id"))
    service.ensure_task_catalogue(team_id)
    db.session.commit()
    form = TaskTypeForm()
    if request.method == "POST":
        if not actor.is_chair(team_id):
            abort(403)
        retire = int_or_none(request.form.get("retire"))
        if retire:
            task = db.session.get(TaskType, retire)
            if task is None or task.team_id != team_id:
                abort(404)
            task.active = False
            db.session.commit()
            flash(f"'{task.name}' retired")
            return redirect(url_for("visits.tasks", team_id=team_id), code=303)
        if form.validate():
            try:
                service.add_task_type(team_id, name=form.name.data, skill=form.skill.data,
                                      minutes=form.minutes.data)
                db.session.commit()
            except service.VisitError as exc:
                apply_errors(form, exc.errors)
            else:
                flash("Task added")
                return redirect(url_for("visits.tasks", team_id=team_id), code=303)
    status = 400 if form.errors else 200
    return render_template("visits/tasks.html", tasks=service.task_types(team_id), form=form,
                           team_id=team_id, skills=SKILLS, is_chair=actor.is_chair(team_id),
                           held=service.team_skills(team_id), errors=error_list(form)), status


@bp.get("/figures")
@team_member_required
@shows_patient_data("visit_figures")
def figures():
    actor = current_actor()
    team_id = chosen_team(actor, request.values.get("team_id"))
    weeks = queries.weekly_figures(team_id, today=london_today())
    return render_template("visits/figures.html", weeks=weeks, team_id=team_id)
