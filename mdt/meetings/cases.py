"""The case list: add, reorder, remove; and in the meeting: discussion, deferral."""

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.meetings.agenda import MAX_MINUTES, grouped_order
from mdt.meetings.lifecycle import CASE_TRANSITIONS, CaseStatus
from mdt.meetings.models import URGENCIES, Case, Meeting
from mdt.meetings.service import MeetingError
from mdt.meetings.timing import items
from mdt.patients.models import Patient, PatientTeam
from mdt.patients.service import closed_message
from mdt.teams.models import Team
from mdt.teams.service import is_member
from mdt.timeutil import utcnow
from mdt.transitions import check_transition

REASON_LIMIT = 1000
NOTES_LIMIT = 10000
CONFLICT = ("Someone else saved this case while you were writing. Your text is below and not "
            "yet saved: check their version, then save again.")


def _audit(actor, meeting, action, case, changes):
    # The case's patient goes on the event, so "who saw Mrs X?" finds her cases too.
    audit.record(user_id=actor.user_id, role=actor.role(meeting.team_id),
                 team_id=meeting.team_id, action=action, record_type="case", record_id=case.id,
                 changes=changes, patient_id=case.patient_id)


def take_off(actor: Actor, meeting: Meeting, case: Case, reason: str) -> None:
    """Take a case off a list that has not finished, in the caller's transaction."""
    before = case.status
    check_transition(CASE_TRANSITIONS, before, CaseStatus.REMOVED, MeetingError)
    case.status, case.removed_reason = "removed", reason[:REASON_LIMIT]
    _audit(actor, meeting, "change", case, {"status": [before, "removed"], "reason": reason})


def _editable(meeting: Meeting) -> None:
    if meeting.status in ("finished", "cancelled"):
        raise MeetingError({"form": f"This meeting is {meeting.status_label.lower()}: its "
                                    "case list cannot change"})


def add_case(actor: Actor, meeting: Meeting, *, patient_id: int | None, reason: str,
             urgency: str, presenter_id: int | None, referred_by: str) -> Case:
    _editable(meeting)
    if patient_id is None:
        raise MeetingError({"patient_id": "Choose a patient"})
    patient = db.session.scalar(select(Patient).join(PatientTeam).where(
        Patient.id == patient_id, PatientTeam.team_id == meeting.team_id))
    if patient is None:
        raise NotFound("patient not on this team")
    errors = {}
    if closed := closed_message(patient_id, meeting.team_id):
        errors["patient_id"] = closed
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = "Enter the reason for discussion"
    elif len(reason) > REASON_LIMIT:
        errors["reason"] = f"Reason must be {REASON_LIMIT} characters or fewer"
    if urgency not in URGENCIES:
        errors["urgency"] = "Choose how urgent the discussion is"
    if presenter_id is not None and not is_member(meeting.team_id, presenter_id):
        errors["presenter_id"] = "Choose a presenter from the team"
    if len(referred_by or "") > 120:
        errors["referred_by"] = "Referred by must be 120 characters or fewer"
    existing = db.session.scalar(select(Case).where(Case.meeting_id == meeting.id,
                                                    Case.patient_id == patient_id))
    if existing and existing.status != "removed":
        errors["patient_id"] = f"{patient.full_name} is already on this case list"
    if errors:
        raise MeetingError(errors)
    position = db.session.scalar(select(func.coalesce(func.max(Case.position), 0)).where(
        Case.meeting_id == meeting.id)) + 1
    minutes = db.session.get(Team, meeting.team_id).minutes_for(urgency)
    try:
        with db.session.begin_nested():  # a double submit undoes this addition only
            if existing:  # put back a removed case, history kept
                case = existing
                check_transition(CASE_TRANSITIONS, case.status, CaseStatus.LISTED,
                                 MeetingError)
                case.status, case.removed_reason, case.position = "listed", "", position
                case.reason, case.urgency, case.presenter_id = reason, urgency, presenter_id
                case.referred_by = (referred_by or "").strip()
                case.minutes = minutes
            else:
                case = Case(meeting_id=meeting.id, patient_id=patient_id, position=position,
                            reason=reason, urgency=urgency, presenter_id=presenter_id,
                            referred_by=(referred_by or "").strip(),
                            minutes=minutes)
                db.session.add(case)
    except IntegrityError:  # a double submit
        raise MeetingError({"patient_id": f"{patient.full_name} is already on this case "
                                          "list"}) from None
    _audit(actor, meeting, "create", case, {"patient_id": patient_id, "reason": reason,
                                               "urgency": urgency})
    db.session.flush()
    return case


def active_cases(meeting_id: int) -> list[Case]:
    return list(db.session.scalars(select(Case).where(
        Case.meeting_id == meeting_id, Case.status != "removed").order_by(Case.position,
                                                                           Case.id)))


def move_case(actor: Actor, meeting: Meeting, case: Case, direction: str) -> None:
    """Up or down by one place (the keyboard and no-JS way to reorder)."""
    _editable(meeting)
    cases = active_cases(meeting.id)
    index = next((i for i, c in enumerate(cases) if c.id == case.id), None)
    if index is None:  # taken off the list meanwhile
        return
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(cases):
        cases[index], cases[other] = cases[other], cases[index]
        _renumber(cases)
        db.session.flush()


def reorder(actor: Actor, meeting: Meeting, case_ids: list[int]) -> None:
    """A whole new order (drag and drop). Ids must be exactly this meeting's active cases."""
    _editable(meeting)
    cases = {c.id: c for c in active_cases(meeting.id)}
    if sorted(case_ids) != sorted(cases):
        raise MeetingError({"form": "The case list changed meanwhile: reload and try again"})
    _renumber([cases[i] for i in case_ids])
    db.session.flush()


def _renumber(cases: list[Case]) -> None:
    for position, case in enumerate(cases, 1):
        if case.position != position:
            case.position = position


def remove_case(actor: Actor, meeting: Meeting, case: Case, reason: str) -> None:
    _editable(meeting)
    reason = (reason or "").strip()
    if not reason:
        raise MeetingError({"removed_reason": "Enter the reason for removing the case"})
    if len(reason) > REASON_LIMIT:
        raise MeetingError({"removed_reason": f"Reason must be {REASON_LIMIT} characters or "
                                              "fewer"})
    if case.status == "removed":  # removed already (a colleague, or a second click)
        return
    before = case.status
    check_transition(CASE_TRANSITIONS, before, CaseStatus.REMOVED, MeetingError)
    case.status, case.removed_reason = "removed", reason
    _audit(actor, meeting, "change", case, {"status": [before, "removed"], "reason": reason})
    db.session.flush()


def discussion_problems(meeting: Meeting, case: Case, *, notes: str, outcome: str,
                        decisions: str, seen_version: int) -> dict:
    """What stops this discussion being saved ({} when nothing). Writes nothing."""
    if meeting.status in ("cancelled",):
        return {"form": "This meeting was cancelled"}
    errors = {name: f"{name.capitalize()} must be {NOTES_LIMIT} characters or fewer"
              for name, value in (("notes", notes), ("outcome", outcome),
                                  ("decisions", decisions)) if len(value or "") > NOTES_LIMIT}
    if not errors and seen_version != case.version:
        errors["form"] = CONFLICT
    return errors


def apply_discussion(actor: Actor, meeting: Meeting, case: Case, *, notes: str, outcome: str,
                     decisions: str, status: str = "discussed") -> None:
    """The discussion onto the case, in the caller's unit of work (checked first by
    discussion_problems)."""
    before = {"notes": case.notes, "outcome": case.outcome, "decisions": case.decisions,
              "status": case.status}
    case.notes, case.outcome, case.decisions = notes or "", outcome or "", decisions or ""
    check_transition(CASE_TRANSITIONS, case.status, status, MeetingError)
    case.status = status
    if status == "discussed":
        case.discussed_at = case.discussed_at or utcnow()
    changes = audit.diff(before, {"notes": case.notes, "outcome": case.outcome,
                                  "decisions": case.decisions, "status": case.status})
    if changes:
        _audit(actor, meeting, "change", case, changes)


def set_timing(actor: Actor, meeting: Meeting, case: Case, *, minutes: int | None,
               break_after: int | None) -> Case:
    """The chair's estimate of a case's discussion time, and a break after it."""
    _editable(meeting)
    errors = {}
    if minutes is None or not 1 <= minutes <= MAX_MINUTES:
        errors[f"minutes-{case.id}"] = f"Enter the minutes for the case, from 1 to {MAX_MINUTES}"
    if break_after is None or not 0 <= break_after <= MAX_MINUTES:
        errors[f"break-{case.id}"] = (f"Enter the minutes of break after the case, from 0 to "
                                      f"{MAX_MINUTES}")
    if errors:
        raise MeetingError(errors)
    changes = audit.diff({"minutes": case.minutes, "break_after": case.break_after},
                         {"minutes": minutes, "break_after": break_after})
    case.minutes, case.break_after = minutes, break_after
    if changes:
        _audit(actor, meeting, "change", case, changes)
    db.session.flush()
    return case


def set_timings(actor: Actor, meeting: Meeting, changes) -> None:
    """Several cases' times at once ((case, minutes, break after) each: the case list's one
    form saves every time changed): all of them, or, with any refused, a MeetingError with
    every problem (the caller rolls back)."""
    _editable(meeting)
    errors = {}
    for case, minutes, break_after in changes:
        try:
            set_timing(actor, meeting, case, minutes=minutes, break_after=break_after)
        except MeetingError as exc:
            errors.update(exc.errors)
    if errors:
        raise MeetingError(errors)


def group_cases(actor: Actor, meeting: Meeting, rows, by: str) -> None:
    """Reorders the list so each GP practice's (or presenter's) cases come together, and
    each attendee can come for their block."""
    _editable(meeting)
    cases = {row.case.id: row.case for row in rows}
    _renumber([cases[i] for i in grouped_order(items(rows, by))])
    db.session.flush()
