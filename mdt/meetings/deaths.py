"""Deaths since the last meeting: their own section of the next case list, for a short
reflective review (what went well, what we would change) that goes into the minutes."""

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.meetings.models import DeathReview, Meeting
from mdt.meetings.service import MeetingError
from mdt.patients.models import LifecycleEvent, Patient
from mdt.timeutil import to_london

TEXT_LIMIT = 2000
FIRST_WINDOW = timedelta(days=60)  # a team's first meeting looks back this far
CONFLICT = ("Someone else saved this review while you were writing. Your text is below and "
            "not yet saved: check theirs, then save again.")


@dataclass
class DeathRow:
    patient: Patient
    event: LifecycleEvent
    review: DeathReview | None


def window(meeting: Meeting):
    """(after, up to) in UK dates: deaths after the team's previous meeting, up to this one."""
    day = to_london(meeting.starts_at).date()
    previous = db.session.scalar(
        select(Meeting.starts_at).where(Meeting.team_id == meeting.team_id,
                                        Meeting.starts_at < meeting.starts_at,
                                        Meeting.status != "cancelled")
        .order_by(Meeting.starts_at.desc()).limit(1))
    after = to_london(previous).date() if previous else day - FIRST_WINDOW
    return after, day


def deaths_since_last(meeting: Meeting) -> list[DeathRow]:
    """The team's deaths in the window, each with its review at this meeting: 3 queries."""
    after, upto = window(meeting)
    rows = db.session.execute(
        select(Patient, LifecycleEvent).join(LifecycleEvent,
                                             LifecycleEvent.patient_id == Patient.id)
        .where(LifecycleEvent.team_id == meeting.team_id, LifecycleEvent.to_status == "died",
               LifecycleEvent.happened_on > after, LifecycleEvent.happened_on <= upto)
        .order_by(LifecycleEvent.happened_on, Patient.id)).all()
    reviews = {r.patient_id: r for r in db.session.scalars(
        select(DeathReview).where(DeathReview.meeting_id == meeting.id))} if rows else {}
    return [DeathRow(patient, event, reviews.get(patient.id)) for patient, event in rows]


def save_review(actor: Actor, meeting: Meeting, patient_id: int, *, went_well: str,
                would_change: str, seen_version: int | None) -> DeathReview:
    if meeting.status == "cancelled":
        raise MeetingError({"form": "This meeting was cancelled"})
    if patient_id not in {row.patient.id for row in deaths_since_last(meeting)}:
        raise NotFound("not a death for this meeting")
    went_well, would_change = (went_well or "").strip(), (would_change or "").strip()
    errors = {}
    for name, value, label in (("went_well", went_well, "What went well"),
                               ("would_change", would_change, "What we would change")):
        if len(value) > TEXT_LIMIT:
            errors[name] = f"{label} must be {TEXT_LIMIT} characters or fewer"
    if not (went_well or would_change):
        errors["went_well"] = "Enter what went well or what the team would change"
    if errors:
        raise MeetingError(errors)
    review = db.session.scalar(select(DeathReview).where(
        DeathReview.meeting_id == meeting.id, DeathReview.patient_id == patient_id))
    if review is not None and (seen_version is None or seen_version != review.version):
        # A colleague saved one since this form was drawn (it had no review, or an older one).
        raise MeetingError({"form": CONFLICT})
    try:
        with db.session.begin_nested():  # a collision undoes this save only
            if review is None:
                review = DeathReview(meeting_id=meeting.id, patient_id=patient_id,
                                     recorded_by_id=actor.user_id)
                db.session.add(review)
            review.went_well, review.would_change = went_well, would_change
            review.recorded_by_id = actor.user_id
            audit.record(user_id=actor.user_id, role=actor.role(meeting.team_id),
                         team_id=meeting.team_id, action="change", record_type="death_review",
                         record_id=meeting.id, patient_id=patient_id,
                         changes={"went_well": len(went_well),
                                  "would_change": len(would_change)})
    except StaleDataError:  # a colleague's save landed in between
        raise MeetingError({"form": CONFLICT}) from None
    return review
