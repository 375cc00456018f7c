"""Meetings: the list, scheduling, the meeting page with its case list, minutes, export."""

from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select

from mdt.actions import export
from mdt.audit import service as audit
from mdt.audit.reads import shows_patient_data
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db, htmx
from mdt.forms import apply_errors, error_list, int_or_none
from mdt.loaders import load, load_field, not_team_scoped, register
from mdt.meetings import cases as case_service
from mdt.meetings import deaths, queries, recurrence, timing
from mdt.meetings import service as meetings
from mdt.meetings.attendance import meeting_follow_through
from mdt.meetings.forms import (
    CaseForm,
    EditMeetingForm,
    MeetingForm,
    parse_clock,
    parse_fold,
)
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.meetings.pages import MeetingPage
from mdt.patients.listing import find_on_caseload
from mdt.patients.service import record_search
from mdt.teams.service import member_choices, team_names
from mdt.timeutil import london_today, to_london, utcnow

bp = Blueprint("meetings", __name__, url_prefix="/meetings")



def _case(actor, case_id, loaded):
    case = db.session.get(Case, case_id)
    return case if case is not None and case.meeting_id == loaded["meeting"].id else None


def _invitee(actor, invitee_id, loaded):
    return db.session.scalar(select(Invitee).where(Invitee.id == invitee_id,
                                                   Invitee.meeting_id == loaded["meeting"].id))


# The team's chairs and the meeting's own chair run it.
register("meeting_id", "meeting", lambda actor, id_, _: queries.get_meeting(actor, id_),
         chaired_by=lambda actor, meeting: meeting.chair_id == actor.user_id)
register("case_id", "case", _case, team_of=not_team_scoped)
register("invitee_id", "invitee", _invitee, team_of=not_team_scoped)
register("series_id", "series", lambda actor, id_, _: queries.get_series(actor, id_))




@bp.get("")
@team_member_required
def index():
    actor = current_actor()
    today = london_today()
    return render_template("meetings/index.html", upcoming=queries.upcoming(actor, today),
                           past=queries.past(actor, today), describe=recurrence.describe,
                           can_schedule=any(actor.is_chair(t) for t in actor.team_ids),
                           team_ids=actor.team_ids, team_names=team_names(actor.team_ids))


def _details(form) -> meetings.MeetingDetails:
    return meetings.MeetingDetails(
        title=form.title.data or "", day=form.day.data, start=parse_clock(form.start.data),
        end=parse_clock(form.end.data), start_fold=parse_fold(form.start.data),
        end_fold=parse_fold(form.end.data), location=form.location.data or "",
        video_url=form.video_url.data or "", chair_id=form.chair_id.data,
        guest_emails=form.guest_emails.data or "")


def _rule(form) -> str | None:
    if form.repeat.data == "monthly":
        return recurrence.monthly_rule(form.nth.data or 2, form.weekday.data or 0)
    if form.repeat.data == "weekly":
        return recurrence.weekly_rule(form.interval.data or 1, form.weekday.data or 0)
    return None


@bp.route("/new", methods=["GET", "POST"])
@team_member_required
def new():
    actor = current_actor()
    team_id = int_or_none(request.values.get("team_id")) or next(
        (t for t in actor.team_ids if actor.is_chair(t)), None)
    if team_id is not None and team_id not in actor.team_ids:
        abort(404)
    if team_id is None or not actor.is_chair(team_id):
        abort(403)
    form = MeetingForm()
    form.chair_id.choices = member_choices(team_id)
    if form.validate_on_submit():
        try:
            rule = _rule(form)
            if rule:
                series = meetings.create_series(actor, team_id, _details(form), rule)
                db.session.commit()
                flash(f"{series.title} scheduled: {recurrence.describe(rule).lower()}")
                return redirect(url_for("meetings.index"), code=303)
            meeting = meetings.schedule_meeting(actor, team_id, _details(form))
            db.session.commit()
        except ValueError as exc:
            apply_errors(form, getattr(exc, "errors", {"repeat": str(exc)}))
        except meetings.MeetingError as exc:
            apply_errors(form, exc.errors)
        else:
            flash("Meeting scheduled")
            return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    elif not form.is_submitted():
        form.chair_id.data = actor.user_id
    status = 400 if form.errors or form.form_errors else 200
    return render_template("meetings/new.html", form=form, team_id=team_id,
                           errors=error_list(form)), status


@bp.post("/series/<int:series_id>/<day>")
@team_member_required
@load("series_id")
def open_occurrence(series_id: int, day: str, series: MeetingSeries):
    from datetime import date
    actor = current_actor()
    try:
        meeting = meetings.open_occurrence(actor, series, date.fromisoformat(day))
        db.session.commit()
    except ValueError:
        abort(404)
    return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)


def _page_context(actor, meeting, case_form=None, **values):
    return MeetingPage.build(actor, meeting, current_user, case_form=case_form,
                             blocks=request.args.get("blocks"), **values).context()


def _audit_view(actor, meeting):
    audit.record(user_id=actor.user_id, role=actor.role(meeting.team_id),
                 team_id=meeting.team_id, action="view", record_type="meeting",
                 record_id=meeting.id)
    db.session.commit()


@bp.get("/<int:meeting_id>")
@team_member_required
@shows_patient_data("meeting")
@load("meeting_id")
def show(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    context = _page_context(actor, meeting)
    _audit_view(actor, meeting)  # after loading: the row names the patients the page shows
    return render_template("meetings/show.html", **context)


@bp.get("/<int:meeting_id>/case-status")
@team_member_required
@shows_patient_data("meeting_cases")
@load("meeting_id")
def case_status(meeting_id: int, meeting: Meeting):
    """The case list's statuses, polled by attendees while the meeting runs."""
    actor = current_actor()
    return render_template("meetings/_case_list.html", **_page_context(actor, meeting))


@bp.post("/<int:meeting_id>/cases")
@team_member_required
@load("meeting_id")
def add_case(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    form = CaseForm()
    form.validate()
    try:
        case_service.add_case(actor, meeting, patient_id=form.patient_id.data,
                              reason=form.reason.data, urgency=form.urgency.data,
                              presenter_id=form.presenter_id.data,
                              referred_by=form.referred_by.data)
        db.session.commit()
    except meetings.MeetingError as exc:
        apply_errors(form, exc.errors)
        return render_template("meetings/show.html",
                               **_page_context(actor, meeting, form)), 400
    flash("Case added")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#case-list", code=303)


@bp.post("/<int:meeting_id>/find-patient")
@team_member_required
@load("meeting_id")
def find_patient(meeting_id: int, meeting: Meeting):
    """The add-case picker's search: patients on the team's caseload and not on the list,
    by name or NHS number (a POST, so what is typed never goes into a URL or a log). htmx
    gets the results; without JavaScript the page comes back with them. Audited as a
    search (patients.service.record_search), not as a patient-list view."""
    actor = current_actor()
    found = find_on_caseload(meeting.team_id, request.form.get("find", ""),
                             exclude=queries.listed_patient_ids(meeting.id)) \
        if meeting.is_scheduled else None
    if found is not None:
        record_search(actor, meeting.team_id, found, record_id=meeting.id)
    if htmx:
        db.session.commit()
        return render_template("meetings/_patient_results.html", found=found,
                               case_form=CaseForm(formdata=None))
    context = _page_context(actor, meeting, found=found)
    _audit_view(actor, meeting)  # the whole page again, case list and all (commits)
    return render_template("meetings/show.html", **context)


def _after_case_change(actor, meeting, case=None):
    if htmx:
        return render_template("meetings/_case_list.html", **_page_context(actor, meeting))
    where = f"#case-{case.id}" if case is not None and case.status != "removed" else "#case-list"
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + where, code=303)


@bp.post("/<int:meeting_id>/cases/order")
@team_member_required
@load("meeting_id", role="chair")
def reorder_cases(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    ids = [int_or_none(v) for v in request.form.getlist("case_ids")]
    try:
        case_service.reorder(actor, meeting, [i for i in ids if i is not None])
        db.session.commit()
    except meetings.MeetingError as exc:
        return " ".join(exc.errors.values()), 409
    return _after_case_change(actor, meeting)


@bp.post("/<int:meeting_id>/cases/group")
@team_member_required
@load("meeting_id", role="chair")
def group_cases(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    by = request.form.get("by")
    if by not in timing.GROUPINGS:
        abort(400)
    try:
        case_service.group_cases(actor, meeting, queries.case_rows(meeting), by)
        db.session.commit()
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
    else:
        flash(f"Cases grouped by {timing.GROUPING_WORDS[by]}")
    if htmx:
        return render_template("meetings/_case_list.html", **_page_context(actor, meeting))
    return redirect(url_for("meetings.show", meeting_id=meeting.id, blocks=by) + "#case-list",
                    code=303)


# The case list's one form: each button carries its case's id (one CSRF token and no URL
# per case); Enter in a time box presses the form's first button, which saves the times.
CASE_BUTTONS = ("move_up", "move_down", "remove", "save_time")


def _typed_times(meeting) -> dict:
    """{case id: (minutes, break) as typed} for the cases whose times she changed: the
    boxes' values against what the page showed her (times_shown: "id:minutes:break ..."),
    so a colleague's change to another case is never written back over."""
    typed = {}
    for item in request.form.get("times_shown", "").split()[:2000]:
        parts = item.split(":")
        case_id = int_or_none(parts[0]) if len(parts) == 3 else None
        if case_id is None:
            continue
        now = (request.form.get(f"minutes-{case_id}", parts[1])[:20],
               request.form.get(f"break_after-{case_id}", parts[2])[:20])
        if now != (parts[1], parts[2]):
            typed[case_id] = now
    return typed


def _save_times(actor, meeting, typed: dict, pressed) -> None:
    cases = {case.id: case for case in case_service.active_cases(meeting.id)}
    if pressed is not None and pressed.id not in typed and pressed.id in cases:
        typed[pressed.id] = (request.form.get(f"minutes-{pressed.id}", "")[:20],
                             request.form.get(f"break_after-{pressed.id}", "")[:20])
    changes = []
    for case_id, (minutes, break_after) in typed.items():
        case = cases.get(case_id) or load_field("case_id", case_id, {"meeting": meeting})
        if case.id in cases:  # one taken off meanwhile keeps its times
            changes.append((case, int_or_none(minutes), int_or_none(break_after or "0")))
    case_service.set_timings(actor, meeting, changes)


@bp.post("/<int:meeting_id>/cases/change")
@team_member_required
@load("meeting_id", role="chair")
def change_cases(meeting_id: int, meeting: Meeting):
    """Move a case up or down, take it off the list, or save the times changed."""
    actor = current_actor()
    button = next((name for name in CASE_BUTTONS if name in request.form), None)
    case = load_field("case_id", request.form[button], {"meeting": meeting}) \
        if button else None  # another meeting's or team's case: 404, audited
    typed = _typed_times(meeting) if button in (None, "save_time") else {}
    try:
        if button in ("move_up", "move_down"):
            case_service.move_case(actor, meeting, case, button.removeprefix("move_"))
        elif button == "remove":
            case_service.remove_case(actor, meeting, case,
                                     request.form.get(f"removed_reason-{case.id}", ""))
        else:
            _save_times(actor, meeting, typed, case)
        db.session.commit()
    except meetings.MeetingError as exc:
        db.session.rollback()
        if button in ("move_up", "move_down"):
            flash(" ".join(exc.errors.values()))
            return _after_case_change(actor, meeting, case)
        context = _page_context(actor, meeting, typed=typed, typed_errors=exc.errors)
        href = (lambda key: f"#remove-{case.id}") if button == "remove" else \
            (lambda key: f"#{key}")
        context["errors"] = [{"text": m, "href": href(k)} for k, m in exc.errors.items()]
        template = "meetings/_case_list.html" if htmx else "meetings/show.html"
        return render_template(template, **context), 400
    if button == "remove":
        flash("Case removed from the list")
    return _after_case_change(actor, meeting, case)


@bp.route("/<int:meeting_id>/edit", methods=["GET", "POST"])
@team_member_required
@load("meeting_id", role="chair")
def edit(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    form = EditMeetingForm()
    form.chair_id.choices = member_choices(meeting.team_id)
    if form.validate_on_submit():
        if int_or_none(form.version.data) != meeting.version:
            form.form_errors.append("Someone else changed this meeting meanwhile: check it, "
                                    "then save again")
        else:
            try:
                meetings.move_meeting(actor, meeting, _details(form))
                db.session.commit()
            except meetings.MeetingError as exc:
                apply_errors(form, exc.errors)
            else:
                flash("Meeting changed: invitees will get an updated invitation")
                return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    elif not form.is_submitted():
        start, end = to_london(meeting.starts_at), to_london(meeting.ends_at)
        form.process(data={"title": meeting.title, "day": start.date(),
                           "start": f"{start:%H:%M}", "end": f"{end:%H:%M}",
                           "location": meeting.location, "video_url": meeting.video_url,
                           "chair_id": meeting.chair_id, "version": str(meeting.version)})
    form.version.data = str(meeting.version) if form.form_errors else form.version.data
    status = 400 if form.errors or form.form_errors else 200
    return render_template("meetings/edit.html", form=form, meeting=meeting,
                           errors=error_list(form)), status


@bp.post("/<int:meeting_id>/cancel")
@team_member_required
@load("meeting_id", role="chair")
def cancel(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    try:
        target, moved = meetings.cancel_meeting(actor, meeting)
        db.session.commit()
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    if target:
        flash(f"Meeting cancelled. {moved} {'case' if moved == 1 else 'cases'} moved to the "
              f"meeting on {to_london(target.starts_at):%d %b %Y}")
    return redirect(url_for("meetings.show", meeting_id=target.id if target else meeting.id),
                    code=303)


@bp.get("/<int:meeting_id>/minutes")
@team_member_required
@shows_patient_data("minutes")
@load("meeting_id")
def minutes(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    _audit_view(actor, meeting)
    rows = queries.case_rows(meeting, include_removed=True)
    undo_until = meeting.finished_at + timedelta(minutes=meetings.UNDO_MINUTES) \
        if meeting.status == "finished" and meeting.finished_at and actor.role(
            meeting.team_id) == "chair" else None
    return render_template("meetings/minutes.html", meeting=meeting, rows=rows,
                           undo_until=undo_until if undo_until and undo_until > utcnow()
                           else None,
                           invitees=queries.invitees(meeting.id),
                           actions=queries.meeting_actions(meeting.id),
                           handovers=queries.meeting_handovers(meeting.id),
                           follow_through=meeting_follow_through(meeting.id),
                           deaths=deaths.deaths_since_last(meeting))


@bp.post("/<int:meeting_id>/apologies")
@team_member_required
@load("meeting_id")
def apologies(meeting_id: int, meeting: Meeting):
    """The signed-in invitee sends (or takes back) her apologies before the meeting."""
    actor = current_actor()
    sending = request.form.get("send") != "no"
    try:
        meetings.send_apologies(actor, meeting, sending)
        db.session.commit()
    except meetings.MeetingError as exc:
        flash(" ".join(exc.errors.values()))
        return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)
    flash("Apologies sent to the chair" if sending else "Apologies taken back")
    return redirect(url_for("meetings.show", meeting_id=meeting.id), code=303)


@bp.get("/<int:meeting_id>/actions.csv")
@team_member_required
@shows_patient_data("meeting_actions")
@load("meeting_id")
def actions_csv(meeting_id: int, meeting: Meeting):
    actor = current_actor()
    audit.record(user_id=actor.user_id, role=actor.role(meeting.team_id),
                 team_id=meeting.team_id, action="export", record_type="meeting_actions",
                 record_id=meeting.id, changes={"format": "csv"})
    db.session.commit()
    rows = (export.action_row(row) for row in queries.meeting_actions(meeting.id))
    name = f"meeting-{meeting.id}-actions-{to_london(meeting.starts_at):%Y-%m-%d}.csv"
    return Response(export.stream(export.ACTION_COLUMNS, rows), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})
