"""Deaths since the last meeting: the team's reflective review of each, from the meeting
page (routes on the meetings blueprint)."""

from flask import flash, redirect, render_template, request, url_for

from mdt.audit import service as audit
from mdt.auth.scope import current_actor, team_member_required
from mdt.extensions import db
from mdt.loaders import load
from mdt.meetings import deaths
from mdt.meetings import service as meetings
from mdt.meetings.models import Meeting
from mdt.meetings.views import _page_context, bp
from mdt.patients.models import Patient


@bp.post("/<int:meeting_id>/deaths/<int:patient_id>")
@team_member_required
@load("meeting_id", "patient_id")
def death_review(meeting_id: int, patient_id: int, meeting: Meeting, patient: Patient):
    """The team's reflective review of one death (any member may write it)."""
    actor = current_actor()
    version = request.form.get("version", "")
    try:
        deaths.save_review(actor, meeting, patient_id,
                           went_well=request.form.get("went_well", ""),
                           would_change=request.form.get("would_change", ""),
                           seen_version=int(version) if version.isdigit() else None)
        db.session.commit()
    except meetings.MeetingError as exc:
        audit.refused(actor, meeting.team_id, action="change", record_type="death_review",
                      record_id=meeting.id, errors=list(exc.errors), patient_id=patient_id)
        db.session.commit()  # the refusal is kept
        context = _page_context(actor, meeting)
        context["errors"] = [{"text": text, "href": f"#death-{patient_id}-{name}"}
                             for name, text in exc.errors.items()]
        context["death_form"] = {"patient_id": patient_id, **request.form}
        return render_template("meetings/show.html", **context), 400
    flash("Review saved")
    return redirect(url_for("meetings.show", meeting_id=meeting.id) + "#deaths", code=303)
