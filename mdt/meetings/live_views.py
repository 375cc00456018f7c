"""Live meeting mode for the chair: step through cases, record the discussion, hand over
key workers and raise actions inline (htmx swaps the case panel); attendance; finish."""

from flask import flash, redirect, render_template, request, url_for

from mdt.actions import service as actions
from mdt.actions.forms import ActionForm
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import team_member_required
from mdt.extensions import db, htmx
from mdt.forms import apply_errors, error_list, int_or_none
from mdt.meetings import cases as case_service
from mdt.meetings import queries, timing
from mdt.meetings import service as meetings
from mdt.meetings.forms import DiscussionForm, WalkInForm
from mdt.meetings.models import ATTENDANCE
from mdt.meetings.views import bp, case_or_404, chaired_meeting
from mdt.patients.forms import KeyWorkerForm
from mdt.patients.handover import assign_key_worker
from mdt.patients.service import PatientError
from mdt.referrals.queries import referrals_for_cases
from mdt.reports.queries import often_absent
from mdt.teams.models import Team
from mdt.teams.service import member_choices
from mdt.timeutil import london_today, to_london, utcnow


def _live(actor, meeting, case_id=None, status=200, **forms):
    """The live page (or, for htmx, just the case panel) with the current case."""
    rows = queries.case_rows(meeting)
    current = next((r for r in rows if r.case.id == case_id), None) or next(
        (r for r in rows if r.case.status == "listed"), rows[0] if rows else None)
    index = rows.index(current) if current else 0
    members = member_choices(meeting.team_id)
    if current:
        forms.setdefault("discussion_form", DiscussionForm(data={
            "notes": current.case.notes, "outcome": current.case.outcome,
            "decisions": current.case.decisions, "version": str(current.case.version)}))
        forms.setdefault("key_worker_form", KeyWorkerForm(data={
            "key_worker_id": current.info.key_worker_id if current.info else None,
            "seen_key_worker_id": str(current.info.key_worker_id or "") if current.info else "",
            "reason": "Agreed at the MDT meeting"}))
        forms.setdefault("action_form", ActionForm())
        forms["key_worker_form"].key_worker_id.choices = [("", "No key worker")] + members
        forms["action_form"].owner_id.choices = [("", "Choose an owner")] + members
    forms.setdefault("walk_in_form", WalkInForm())
    team = db.session.get(Team, meeting.team_id)
    timetable = timing.meeting_plan(meeting, rows, team)
    clock = timing.meeting_progress(meeting, rows, utcnow())
    errors = [item for form in forms.values() for item in error_list(form)]
    context = dict(meeting=meeting, rows=rows, current=current, index=index,
                   previous=rows[index - 1] if current and index > 0 else None,
                   following=rows[index + 1] if current and index + 1 < len(rows) else None,
                   invitees=queries.invitees(meeting.id), attendance=ATTENDANCE,
                   today=london_today(), errors=errors, oob=bool(htmx), plan=timetable,
                   clock=clock, often_absent=often_absent(meeting.team_id, london_today()),
                   referral=referrals_for_cases([current.case.id]).get(
                       current.case.id) if current else None, **forms)
    template = "meetings/_live_case.html" if htmx else "meetings/live.html"
    return render_template(template, **context), status


@bp.post("/<int:meeting_id>/start")
@team_member_required
def start(meeting_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    meetings.start_meeting(actor, meeting)
    return redirect(url_for("meetings.live", meeting_id=meeting.id), code=303)


@bp.get("/<int:meeting_id>/live")
@team_member_required
@shows_patient_data("live_meeting")
def live(meeting_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    return _live(actor, meeting, int_or_none(request.args.get("case")))


@bp.post("/<int:meeting_id>/live/<int:case_id>/discussion")
@team_member_required
def save_discussion(meeting_id: int, case_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    case = case_or_404(meeting, case_id)
    form = DiscussionForm()
    try:
        case_service.record_discussion(actor, meeting, case, notes=form.notes.data,
                                       outcome=form.outcome.data, decisions=form.decisions.data,
                                       seen_version=int_or_none(form.version.data) or -1)
    except meetings.MeetingError as exc:
        apply_errors(form, exc.errors)
        form.version.data = str(case_or_404(meeting, case_id).version)
        return _live(actor, meeting, case_id, 400, discussion_form=form)
    if not htmx:
        flash("Discussion saved")
    return _after(actor, meeting, case_id)


def _after(actor, meeting, case_id):
    if htmx:
        return _live(actor, meeting, case_id)
    return redirect(url_for("meetings.live", meeting_id=meeting.id, case=case_id), code=303)


@bp.post("/<int:meeting_id>/live/<int:case_id>/defer")
@team_member_required
def defer(meeting_id: int, case_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    try:
        case_service.defer_case(actor, meeting, case_or_404(meeting, case_id))
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
    return _after(actor, meeting, case_id)


@bp.post("/<int:meeting_id>/live/<int:case_id>/key-worker")
@team_member_required
def key_worker(meeting_id: int, case_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    case = case_or_404(meeting, case_id)
    form = KeyWorkerForm()
    form.validate()
    try:
        assign_key_worker(actor, patient_id=case.patient_id, team_id=meeting.team_id,
                          to_user_id=form.key_worker_id.data, reason=form.reason.data,
                          seen_key_worker_id=int_or_none(form.seen_key_worker_id.data),
                          decided_in="meeting", meeting_case_id=case.id)
    except PatientError as exc:
        apply_errors(form, exc.errors)
        return _live(actor, meeting, case_id, 400, key_worker_form=form)
    return _after(actor, meeting, case_id)


@bp.post("/<int:meeting_id>/live/<int:case_id>/actions")
@team_member_required
def add_action(meeting_id: int, case_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    case = case_or_404(meeting, case_id)
    form = ActionForm()
    form.validate()
    try:
        actions.create_action(actor, team_id=meeting.team_id, description=form.description.data,
                              owner_id=form.owner_id.data, due_on=form.due_on.data,
                              priority=form.priority.data or "normal",
                              patient_id=case.patient_id, case_id=case.id)
    except actions.ActionError as exc:
        apply_errors(form, exc.errors)
        return _live(actor, meeting, case_id, 400, action_form=form)
    return _after(actor, meeting, case_id)


@bp.post("/<int:meeting_id>/attendance/<int:invitee_id>")
@team_member_required
def attendance(meeting_id: int, invitee_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    try:
        invitee = meetings.set_attendance(actor, meeting, invitee_id,
                                          request.form.get("attendance", ""))
    except LookupError:
        from flask import abort
        abort(404)
    except meetings.MeetingError:
        return "Choose present, apologies or absent", 400
    if htmx:
        return render_template("meetings/_invitee.html", meeting=meeting, invitee=invitee,
                               attendance=ATTENDANCE)
    return redirect(url_for("meetings.live", meeting_id=meeting.id) + "#attendance", code=303)


@bp.post("/<int:meeting_id>/walk-ins")
@team_member_required
def walk_in(meeting_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    form = WalkInForm()
    try:
        meetings.add_walk_in(actor, meeting, form.name.data, form.email.data or "")
    except meetings.MeetingError as exc:
        apply_errors(form, exc.errors)
        return _live(actor, meeting, None, 400, walk_in_form=form)
    flash("Attendee added")
    return redirect(url_for("meetings.live", meeting_id=meeting.id) + "#attendance", code=303)


@bp.post("/<int:meeting_id>/finish")
@team_member_required
def finish(meeting_id: int):
    actor, meeting = chaired_meeting(meeting_id)
    try:
        target, moved = meetings.finish_meeting(actor, meeting)
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    if target:
        flash(f"Meeting finished. {moved} {'case' if moved == 1 else 'cases'} carried "
              f"forward to {to_london(target.starts_at):%d %b %Y}")
    return redirect(url_for("meetings.minutes", meeting_id=meeting.id), code=303)
