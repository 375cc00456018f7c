"""My actions, the team board, one action with its log, and the action forms."""

from dateutil.relativedelta import relativedelta
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from mdt.actions import queries, service
from mdt.actions.forms import (
    ActionForm,
    BulkCancelForm,
    CancelForm,
    DueForm,
    NoteForm,
    ReassignForm,
)
from mdt.actions.models import Action
from mdt.actions.pages import BoardPage
from mdt.audit.reads import shows_patient_data
from mdt.auth.models import User
from mdt.auth.scope import current_actor, current_teams, team_member_required
from mdt.extensions import db, htmx
from mdt.forms import apply_errors, error_list, int_or_none
from mdt.loaders import chosen_team, load, register
from mdt.patients import service as patients
from mdt.teams.service import team_members
from mdt.timeutil import london_today

bp = Blueprint("actions", __name__, url_prefix="/actions")

register("action_id", "action", lambda actor, id_, _: service.get_action(actor, id_))




def _owner_choices(team_id: int) -> list:
    return [("", "Choose an owner")] + [
        (user.id, f"{user.name} ({user.profession_label}, {user.organisation})")
        for _, user in team_members([team_id])]


@bp.get("")
@team_member_required
@shows_patient_data("my_actions")
def index():
    actor = current_actor()
    patient_id = int_or_none(request.args.get("patient_id"))
    patient = patients.get_patient(actor, patient_id) if patient_id else None
    groups = queries.my_actions(actor, london_today(), patient.id if patient else None)
    today = london_today()
    return render_template("actions/index.html", groups=groups, patient=patient,
                           today=today, log_from=today - relativedelta(months=3),
                           note_form=NoteForm())


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
def new():
    actor = current_actor()
    patient_id = int_or_none(request.values.get("patient_id"))
    concern_id = int_or_none(request.values.get("concern_id"))
    patient = patients.get_patient(actor, patient_id) if patient_id else None
    if patient_id and patient is None:
        abort(404)
    team_id = (patients.primary_team_id(actor, patient.id) if patient
               else int_or_none(request.values.get("team_id")) or actor.team_ids[0])
    if team_id not in actor.team_ids:
        abort(404)
    form = ActionForm()
    form.owner_id.choices = _owner_choices(team_id)
    if form.validate_on_submit():
        try:
            action = service.create_action(
                actor, team_id=team_id, description=form.description.data,
                owner_id=form.owner_id.data, due_on=form.due_on.data,
                priority=form.priority.data, patient_id=patient.id if patient else None,
                concern_id=concern_id)
            db.session.commit()
        except service.ActionError as exc:
            apply_errors(form, exc.errors)
        else:
            flash("Action added")
            target = (url_for("patients.show", patient_id=patient.id) + "#actions" if patient
                      else url_for("actions.show", action_id=action.id))
            return redirect(target, code=303)
    elif not form.is_submitted():
        form.description.data = request.args.get("description", "")[:500]
        form.owner_id.data = actor.user_id
    status = 400 if form.errors or form.form_errors else 200
    return render_template("actions/new.html", form=form, patient=patient, team_id=team_id,
                           concern_id=concern_id, errors=error_list(form)), status


@bp.get("/<int:action_id>")
@team_member_required
@shows_patient_data("action_page")
@load("action_id")
def show(action_id: int, action: Action):
    actor = current_actor()
    return _detail(actor, action)


def _detail(actor, action, status=200, **forms):
    forms.setdefault("note_form", NoteForm())
    forms.setdefault("reassign_form", ReassignForm(data={"owner_id": action.owner_id,
                                                         "version": action.version}))
    forms.setdefault("due_form", DueForm(data={"due_on": action.due_on,
                                               "version": action.version}))
    forms.setdefault("cancel_form", CancelForm())
    forms["reassign_form"].owner_id.choices = _owner_choices(action.team_id)
    errors = [item for form in forms.values() for item in error_list(form)]
    row = queries.ActionRow(action, "", None)
    owner = db.session.get(User, action.owner_id)  # may have left the team since
    patient = patients.get_patient(actor, action.patient_id) if action.patient_id else None
    return render_template("actions/show.html", action=action, owner_name=owner.name,
                           patient=patient, log=queries.log_for([action.id])[action.id],
                           overdue=row.is_overdue(london_today()), errors=errors,
                           **forms), status


def _done(action, message):
    """After a change: the row fragment for htmx, else back where the user came from."""
    if htmx:
        actor = current_actor()
        rows = [r for group in queries.my_actions(actor, london_today()).values() for r in group]
        row = next((r for r in rows if r.action.id == action.id), None)
        return render_template("actions/_changed.html", action=action, row=row,
                               today=london_today(), message=message, note_form=NoteForm())
    flash(message)
    back = request.form.get("next", "")
    if not (back.startswith("/actions") or back.startswith("/patients/")) or "//" in back:
        back = url_for("actions.show", action_id=action.id)
    return redirect(back, code=303)


def _run(action, change, message, form_name=None, form=None):
    actor = current_actor()
    try:
        change(actor, action)
        db.session.commit()
    except service.ActionError as exc:
        target = form or CancelForm()
        apply_errors(target, exc.errors)
        if htmx:
            return render_template("actions/_error.html", errors=error_list(target)), 400
        return _detail(actor, service.get_action(actor, action.id), 400,
                       **({form_name: target} if form_name else {"cancel_form": target}))
    return _done(action, message)


@bp.post("/<int:action_id>/complete")
@team_member_required
@load("action_id")
def complete(action_id: int, action: Action):
    return _run(action, service.complete, "Action marked as done")


@bp.post("/<int:action_id>/reopen")
@team_member_required
@load("action_id")
def reopen(action_id: int, action: Action):
    return _run(action, service.reopen, "Action reopened")


@bp.post("/<int:action_id>/notes")
@team_member_required
@load("action_id")
def add_note(action_id: int, action: Action):
    form = NoteForm()
    return _run(action, lambda actor, action: service.add_note(actor, action, form.note.data),
                "Progress note added", "note_form", form)


@bp.post("/<int:action_id>/reassign")
@team_member_required
@load("action_id")
def reassign(action_id: int, action: Action):
    form = ReassignForm()
    return _run(action, lambda actor, action: service.reassign(
        actor, action, int_or_none(form.owner_id.raw_data[0] if form.owner_id.raw_data else None),
        int_or_none(form.version.data)), "Action reassigned", "reassign_form", form)


@bp.post("/<int:action_id>/due")
@team_member_required
@load("action_id")
def change_due(action_id: int, action: Action):
    form = DueForm()
    form.validate()
    if form.due_on.errors:
        actor = current_actor()
        return _detail(actor, action, 400, due_form=form)
    return _run(action, lambda actor, action: service.change_due(
        actor, action, form.due_on.data, int_or_none(form.version.data)),
        "Due date changed", "due_form", form)


@bp.post("/<int:action_id>/cancel")
@team_member_required
@load("action_id")
def cancel(action_id: int, action: Action):
    form = CancelForm()
    return _run(action, lambda actor, action: service.cancel(actor, action, form.reason.data),
                "Action cancelled", "cancel_form", form)


def _board_page(actor, team_id, args, form, status_code=200):
    page = BoardPage.build(actor, team_id, [t for t in current_teams() if actor.is_chair(t.id)],
                           status=args.get("status"), owner_id=int_or_none(args.get("owner_id")),
                           overdue=args.get("overdue") == "1")
    return render_template("actions/board.html", **page.context(), form=form,
                           errors=error_list(form)), status_code


@bp.get("/board")
@team_member_required
@shows_patient_data("action_board")
def board():
    """The chair's view of the team's actions: by owner, by status, overdue first to see."""
    actor = current_actor()
    team_id = chosen_team(actor, request.args.get("team_id"), role="chair")
    return _board_page(actor, team_id, request.args, BulkCancelForm())


@bp.post("/board/cancel")
@team_member_required
def bulk_cancel():
    actor = current_actor()
    team_id = chosen_team(actor, request.form.get("team_id"), role="chair")
    form = BulkCancelForm()
    form.validate()
    try:
        count = service.bulk_cancel(actor, team_id, form.action_ids.data or [], form.reason.data)
        db.session.commit()
    except service.ActionError as exc:
        apply_errors(form, exc.errors)
        return _board_page(actor, team_id, request.form, form, 400)
    flash(f"{count} {'action' if count == 1 else 'actions'} cancelled")
    return redirect(url_for("actions.board", team_id=team_id), code=303)
