"""Live meeting mode for the chair: step through cases, record the discussion, hand over
key workers and raise actions inline (htmx swaps the case panel); attendance; finish."""

from flask import flash, redirect, render_template, request, url_for

from mdt.actions.forms import ActionForm
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db, htmx
from mdt.forms import apply_errors, int_or_none
from mdt.loaders import load
from mdt.meetings import drafts, live_queries, queries, recording
from mdt.meetings import service as meetings
from mdt.meetings.attendance import often_absent
from mdt.meetings.forms import CaseRecordForm, WalkInForm
from mdt.meetings.models import ATTENDANCE, Case, Invitee, Meeting
from mdt.meetings.pages import LivePage
from mdt.meetings.views import bp
from mdt.timeutil import london_today, to_london, utcnow


def _live(actor, meeting, case_id=None, status=200, saved="", after=None, changed=(),
          **forms):
    """The live page (or, for htmx, just the case panel and, out-of-band, the navigation
    line of a case just saved) with the current case."""
    page = LivePage.build(actor, meeting, case_id=case_id, after=after, saved=saved,
                          whole_page=not htmx, changed=changed if htmx else (), forms=forms,
                          action_rows=_action_rows)
    template = "meetings/_live_case.html" if htmx else "meetings/live.html"
    return render_template(template, **page.context()), status


@bp.post("/<int:meeting_id>/start")
@team_member_required
@load("meeting_id", role="chair")
def start(meeting_id: int, meeting: Meeting):
    """Starts the meeting; one planned for another day asks first ("this meeting is on
    8 Dec: start it now?")."""
    actor = current_actor()
    if meetings.starts_another_day(meeting, london_today()) \
            and request.form.get("confirm") != "yes":
        return render_template("meetings/start_check.html", meeting=meeting,
                               today=london_today())
    meetings.start_meeting(actor, meeting)
    db.session.commit()
    return redirect(url_for("meetings.live", meeting_id=meeting.id), code=303)


@bp.get("/<int:meeting_id>/live")
@team_member_required
@shows_patient_data("live_meeting")
@load("meeting_id", role="chair")
def live(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    return _live(actor, meeting, int_or_none(request.args.get("case")))


def _action_rows(count: int, formdata=None) -> list[ActionForm]:
    return [ActionForm(formdata=formdata, prefix=f"actions-{index}-", meta={"csrf": False})
            for index in range(count)]


@bp.post("/<int:meeting_id>/live/<int:case_id>/record")
@team_member_required
@load("meeting_id", "case_id", role="chair")
def record_case(meeting_id: int, case_id: int, meeting: Meeting, case: Case):
    """The whole case in one save; "Add another action" re-shows the form with one more
    row and everything typed kept (nothing is saved until the chair saves)."""
    actor = current_actor()
    form = CaseRecordForm()
    count = min(max(int_or_none(form.action_rows.data) or 1, 1), recording.MAX_ACTION_ROWS)
    if request.form.get("more") and count < recording.MAX_ACTION_ROWS:
        count += 1
    form.action_rows.data = str(count)
    rows = _action_rows(count, request.form)
    if request.form.get("more"):
        return _live(actor, meeting, case_id, 200, record_form=form, action_rows=rows)
    valid = all([form.validate(), *[row.validate() or _only_blank(row) for row in rows]])
    if valid:
        try:
            done = recording.record_case(actor, meeting, case, recording.CaseRecord(
                notes=form.notes.data, outcome=form.outcome.data,
                decisions=form.decisions.data, seen_version=int_or_none(form.version.data) or -1,
                actions=[recording.ActionRow(row.description.data or "", row.owner_id.data,
                                             row.due_on.data) for row in rows],
                key_worker_id=form.key_worker_id.data,
                seen_key_worker_id=int_or_none(form.seen_key_worker_id.data),
                key_worker_reason=form.key_worker_reason.data, defer=form.defer.data))
            db.session.commit()
        except meetings.MeetingError as exc:
            db.session.commit()  # a refused key worker change: its audit row
            _apply_record_errors(form, rows, exc.errors)
            form.version.data = str(case.version)
            return _live(actor, meeting, case_id, 400, record_form=form, action_rows=rows)
        message = recording.saved_message(done, to_london(utcnow()))
        onward = bool(request.form.get("next"))
        if htmx:
            return _live(actor, meeting, case_id, saved=message, changed=(case_id,),
                         after=case_id if onward else None)
        flash(message)
        return redirect(url_for("meetings.live", meeting_id=meeting.id,
                                case=_following(meeting, case_id) if onward else case_id),
                        code=303)
    return _live(actor, meeting, case_id, 400, record_form=form, action_rows=rows)


@bp.post("/<int:meeting_id>/live/<int:case_id>/draft")
@team_member_required
@load("meeting_id", "case_id", role="chair")
def save_draft(meeting_id: int, case_id: int, meeting: Meeting, case: Case):
    """Keeps what the chair has typed so far (posted by the page after a pause in typing)."""
    actor = current_actor()
    draft, writing = drafts.keep(actor.user_id, case, {name: request.form.get(name, "")
                                                       for name in drafts.FIELDS})
    kept_at = draft.updated_at
    db.session.commit()
    return render_template("meetings/_draft_status.html", kept_at=kept_at, writing=writing)


def _only_blank(row) -> bool:
    """A row left empty is no error (it is simply not an action)."""
    if (row.description.data or "").strip() or row.owner_id.data is not None \
            or any(row.due_on.parts.values()):
        return False
    for field in row:
        field.errors = []
    return True


def _apply_record_errors(form, rows, errors: dict) -> None:
    for name, message in errors.items():
        if name.startswith("actions-"):
            _, index, field = name.split("-", 2)
            apply_errors(rows[int(index)], {field: message})
        else:
            apply_errors(form, {name: message})


def _following(meeting, case_id) -> int:
    """The case after this one in the list (the last: itself)."""
    ids = [item.case_id for item in live_queries.outline(meeting.id)]
    return ids[ids.index(case_id) + 1] if case_id in ids and ids.index(case_id) + 1 < len(
        ids) else case_id


@bp.post("/<int:meeting_id>/attendance/<int:invitee_id>")
@team_member_required
@load("meeting_id", "invitee_id", role="chair")
def attendance(meeting_id: int, invitee_id: int, meeting: Meeting, invitee: Invitee):
    actor = current_actor()
    try:
        invitee = meetings.set_attendance(actor, meeting, invitee_id,
                                          request.form.get("attendance", ""))
        db.session.commit()
    except meetings.MeetingError:
        return "Choose present, apologies or absent", 400
    if htmx:
        return render_template("meetings/_invitee.html", meeting=meeting, invitee=invitee,
                               attendance=ATTENDANCE)
    return redirect(url_for("meetings.live", meeting_id=meeting.id) + "#attendance", code=303)


@bp.post("/<int:meeting_id>/attendance/everyone")
@team_member_required
@load("meeting_id", role="chair")
def everyone_present(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    marked = meetings.everyone_present(actor, meeting)
    db.session.commit()
    if htmx:
        return render_template("meetings/_attendance_list.html", meeting=meeting,
                               invitees=queries.invitees(meeting.id), attendance=ATTENDANCE,
                               often_absent=often_absent(meeting.team_id, london_today()))
    flash(f"{marked} {'person' if marked == 1 else 'people'} marked present")
    return redirect(url_for("meetings.live", meeting_id=meeting.id) + "#attendance", code=303)


@bp.post("/<int:meeting_id>/walk-ins")
@team_member_required
@load("meeting_id", role="chair")
def walk_in(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    form = WalkInForm()
    try:
        meetings.add_walk_in(actor, meeting, form.name.data, form.email.data or "")
        db.session.commit()
    except meetings.MeetingError as exc:
        apply_errors(form, exc.errors)
        return _live(actor, meeting, None, 400, walk_in_form=form)
    flash("Attendee added")
    return redirect(url_for("meetings.live", meeting_id=meeting.id) + "#attendance", code=303)


@bp.get("/<int:meeting_id>/finish")
@team_member_required
@load("meeting_id", role="chair")
def finish_check(meeting_id: int, meeting: Meeting):
    """What finishing will do, asked once before it is done."""
    if meeting.status == "finished":
        return redirect(url_for("meetings.minutes", meeting_id=meeting.id), code=303)
    return render_template("meetings/finish_check.html", meeting=meeting,
                           preview=meetings.finish_preview(meeting),
                           undo_minutes=meetings.UNDO_MINUTES)


@bp.post("/<int:meeting_id>/undo-finish")
@team_member_required
@load("meeting_id", role="chair")
def undo_finish(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    try:
        back = meetings.undo_finish(actor, meeting)
        db.session.commit()
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("meetings.minutes", meeting_id=meeting.id), code=303)
    flash(f"The meeting is running again; {back} {'case' if back == 1 else 'cases'} "
          "brought back from the next meeting")
    return redirect(url_for("meetings.live", meeting_id=meeting.id), code=303)


@bp.post("/<int:meeting_id>/finish")
@team_member_required
@load("meeting_id", role="chair")
def finish(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    try:
        target, moved = meetings.finish_meeting(actor, meeting)
        db.session.commit()
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    if target:
        flash(f"Meeting finished. {moved} {'case' if moved == 1 else 'cases'} carried "
              f"forward to {to_london(target.starts_at):%d %b %Y}")
    return redirect(url_for("meetings.minutes", meeting_id=meeting.id), code=303)
