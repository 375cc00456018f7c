"""Meetings and series: schedule, open an occurrence, move, cancel, start, finish.
Finishing or cancelling carries every undiscussed case forward: no case is ever dropped."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from blinker import Namespace
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound, Refused
from mdt.extensions import db
from mdt.meetings import recurrence
from mdt.meetings.lifecycle import MEETING_TRANSITIONS, MeetingStatus
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.teams.models import Membership
from mdt.teams.service import is_member
from mdt.timeutil import checked_london_to_utc, clock_problem, london_to_utc, to_london, utcnow
from mdt.transitions import check_transition

MAX_GUESTS = 50
TEXT_LIMITS = {"title": 120, "location": 200, "video_url": 500}


class MeetingError(Refused):
    """A meeting change refused: {field: message} for the form, nothing saved."""


@dataclass(frozen=True)
class MeetingDetails:
    """What a scheduling form gives: UK local date and times."""
    title: str
    day: date | None
    start: time | None
    end: time | None
    location: str = ""
    video_url: str = ""
    chair_id: int | None = None
    guest_emails: str = ""
    start_fold: int | None = None  # which 01:30 on the night the clocks go back (0 BST, 1 GMT)
    end_fold: int | None = None

    def starts_at(self) -> datetime:
        return checked_london_to_utc(self.day, self.start, self.start_fold)

    def ends_at(self) -> datetime:
        return checked_london_to_utc(self.day, self.end, self.end_fold)


def _new_uid() -> str:
    return f"{uuid.uuid4()}@neighbourhood-mdt"


def parse_guests(text: str) -> list[str]:
    """Guest emails, one per line or separated by commas; normalised, de-duplicated."""
    found = []
    for raw in (text or "").replace(",", "\n").replace(";", "\n").splitlines():
        raw = raw.strip()
        if not raw:
            continue
        try:
            email = validate_email(raw, check_deliverability=False).normalized.lower()
        except EmailNotValidError:
            raise MeetingError({"guest_emails": f"'{raw[:60]}' is not an email address"}) \
                from None
        if email not in found:
            found.append(email)
    if len(found) > MAX_GUESTS:
        raise MeetingError({"guest_emails": f"Invite {MAX_GUESTS} guests or fewer"})
    return found


def validate_details(actor: Actor, team_id: int, details: MeetingDetails, *,
                     allow_past=False) -> list[str]:
    errors = {}
    if not details.title.strip():
        errors["title"] = "Enter a title for the meeting"
    for field, limit in TEXT_LIMITS.items():
        if len(getattr(details, field) or "") > limit:
            errors[field] = f"{field.replace('_', ' ').capitalize()} must be {limit} " \
                            "characters or fewer"
    if details.video_url and not details.video_url.startswith(("https://", "http://")):
        errors["video_url"] = "Video link must start with https://"
    if details.day is None:
        errors["day"] = "Enter the date of the meeting"
    if details.start is None:
        errors["start"] = "Enter the start time, for example 12:30"
    if details.end is None:
        errors["end"] = "Enter the end time, for example 14:00"
    starts = ends = None
    if details.day and details.start:
        try:
            starts = details.starts_at()
        except ValueError as exc:  # a time the clocks skip, or one that happens twice
            errors["start"] = str(exc)
    if details.day and details.end:
        try:
            ends = details.ends_at()
        except ValueError as exc:
            errors["end"] = str(exc)
    if starts and ends and ends <= starts:  # compared in UTC: right across a clock change
        errors["end"] = "The meeting must end after it starts"
    if starts and not allow_past and starts < utcnow():
        errors["day"] = "The meeting must be in the future"
    if not is_member(team_id, details.chair_id):
        errors["chair_id"] = "Choose a chair from the team"
    try:
        guests = parse_guests(details.guest_emails)
    except MeetingError as exc:
        errors.update(exc.errors)
        guests = []
    if errors:
        raise MeetingError(errors)
    return guests


def _invite_team(meeting: Meeting, guests: list[str]) -> None:
    members = db.session.execute(select(User.id, User.email, User.name).join(
        Membership, Membership.user_id == User.id).where(
        Membership.team_id == meeting.team_id, User.is_active.is_(True))).all()
    emails = set()
    for user_id, email, name in members:
        db.session.add(Invitee(meeting_id=meeting.id, user_id=user_id, email=email, name=name))
        emails.add(email)
    for email in guests:
        if email not in emails:
            db.session.add(Invitee(meeting_id=meeting.id, email=email, name=email))


def _audit(actor, team_id, action, meeting_id, changes=None, record_type="meeting"):
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action=action, record_type=record_type, record_id=meeting_id,
                 changes=changes or {})


def schedule_meeting(actor: Actor, team_id: int, details: MeetingDetails) -> Meeting:
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    guests = validate_details(actor, team_id, details)
    meeting = Meeting(team_id=team_id, title=details.title.strip(),
                      starts_at=details.starts_at(), ends_at=details.ends_at(),
                      location=details.location.strip(), video_url=details.video_url.strip(),
                      chair_id=details.chair_id, uid=_new_uid())
    db.session.add(meeting)
    db.session.flush()
    _invite_team(meeting, guests)
    _audit(actor, team_id, "create", meeting.id, {"title": meeting.title,
                                                  "starts_at": meeting.starts_at.isoformat()})
    db.session.flush()
    return meeting


SERIES_CHECK_YEARS = 15


def series_clock_check(rule: str, details: MeetingDetails) -> None:
    """A series meets at the same UK clock time on every date: refuse a time that, on one
    of its dates in the next years, the clocks skip or repeat (the meeting would move or
    be ambiguous that day)."""
    dates = recurrence.occurrences(rule, details.day, after=details.day - timedelta(days=1),
                                   count=SERIES_CHECK_YEARS * 53)
    for field, clock in (("start", details.start), ("end", details.end)):
        for day in dates:
            if clock_problem(day, clock):
                raise MeetingError({field: f"The clocks change on {day.day} {day:%B %Y}, one "
                                           f"of this series' dates, so {clock:%H:%M} does "
                                           "not happen once that day: choose a time outside "
                                           "01:00 to 01:59"})


def create_series(actor: Actor, team_id: int, details: MeetingDetails, rule: str) -> MeetingSeries:
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    guests = validate_details(actor, team_id, details)
    series_clock_check(rule, details)
    series = MeetingSeries(team_id=team_id, title=details.title.strip(), rrule=rule,
                           first_date=details.day, start_time=details.start,
                           end_time=details.end, location=details.location.strip(),
                           video_url=details.video_url.strip(), chair_id=details.chair_id,
                           guest_emails=guests, uid=_new_uid())
    db.session.add(series)
    db.session.flush()
    _audit(actor, team_id, "create", series.id, {"rrule": rule}, record_type="meeting_series")
    db.session.flush()
    return series


def open_occurrence(actor: Actor | None, series: MeetingSeries, day: date) -> Meeting:
    """The Meeting for one date of a series, made the first time it is needed. A colleague
    opening the same date at the same moment is caught at a SAVEPOINT: the caller's
    transaction goes on with theirs."""
    existing = db.session.scalar(select(Meeting).where(Meeting.series_id == series.id,
                                                       Meeting.occurrence_date == day))
    if existing:
        return existing
    if not recurrence.is_occurrence(series.rrule, series.first_date, day):
        raise NotFound("not a date of this series")
    meeting = Meeting(team_id=series.team_id, series_id=series.id, occurrence_date=day,
                      title=series.title, starts_at=london_to_utc(day, series.start_time),
                      ends_at=london_to_utc(day, series.end_time), location=series.location,
                      video_url=series.video_url, chair_id=series.chair_id, uid=_new_uid())
    try:
        with db.session.begin_nested():
            db.session.add(meeting)
    except IntegrityError:  # opened by a colleague at the same moment
        return db.session.scalar(select(Meeting).where(Meeting.series_id == series.id,
                                                       Meeting.occurrence_date == day))
    _invite_team(meeting, series.guest_emails or [])
    db.session.flush()
    return meeting


def move_meeting(actor: Actor, meeting: Meeting, details: MeetingDetails) -> Meeting:
    if meeting.status in ("finished", "cancelled"):
        raise MeetingError({"day": f"This meeting is {meeting.status_label.lower()}: it "
                                   "cannot be moved"})
    validate_details(actor, meeting.team_id, details)
    before = (meeting.starts_at, meeting.ends_at, meeting.location, meeting.video_url)
    meeting.title = details.title.strip()
    meeting.starts_at, meeting.ends_at = details.starts_at(), details.ends_at()
    meeting.location, meeting.video_url = details.location.strip(), details.video_url.strip()
    meeting.chair_id = details.chair_id
    if (meeting.starts_at, meeting.ends_at, meeting.location, meeting.video_url) != before:
        meeting.sequence += 1  # calendars: time or place changed (RFC 5546 needs a new SEQUENCE)
    _audit(actor, meeting.team_id, "change", meeting.id,
           {"starts_at": [before[0].isoformat(), meeting.starts_at.isoformat()]})
    db.session.flush()
    return meeting


def start_meeting(actor: Actor, meeting: Meeting) -> Meeting:
    if meeting.status == "scheduled":
        check_transition(MEETING_TRANSITIONS, meeting.status, MeetingStatus.IN_PROGRESS,
                         MeetingError)
        meeting.status, meeting.started_at = "in_progress", utcnow()
        _audit(actor, meeting.team_id, "change", meeting.id, {"status": ["scheduled",
                                                                        "in_progress"]})
        db.session.flush()
    return meeting


def next_meeting(meeting: Meeting) -> Meeting:
    """The meeting undiscussed cases go to: the series' next occurrence (made if needed),
    else the team's next scheduled meeting, else a new one four weeks on."""
    if meeting.series_id:
        series = db.session.get(MeetingSeries, meeting.series_id)
        after = (meeting.occurrence_date or to_london(meeting.starts_at).date()) + timedelta(days=1)
        for day in recurrence.occurrences(series.rrule, series.first_date, after=after, count=24):
            candidate = open_occurrence(None, series, day)
            if candidate.status in ("scheduled", "in_progress") and candidate.id != meeting.id:
                return candidate
    later = _later_meeting(meeting)
    if later:
        return later
    follow_up = Meeting(team_id=meeting.team_id, title=meeting.title,
                        starts_at=meeting.starts_at + timedelta(weeks=4),
                        ends_at=meeting.ends_at + timedelta(weeks=4), location=meeting.location,
                        video_url=meeting.video_url, chair_id=meeting.chair_id, uid=_new_uid())
    db.session.add(follow_up)
    db.session.flush()
    _invite_team(follow_up, [])
    return follow_up


def _later_meeting(meeting: Meeting) -> Meeting | None:
    """The team's next scheduled meeting after this one (where a one-off's cases go)."""
    return db.session.scalar(select(Meeting).where(
        Meeting.team_id == meeting.team_id, Meeting.id != meeting.id,
        Meeting.status == "scheduled", Meeting.starts_at > meeting.starts_at)
        .order_by(Meeting.starts_at).limit(1))


def carry_forward(meeting: Meeting, target: Meeting) -> int:
    """Copies every listed or deferred case onto `target`, keeping reason and history."""
    cases = db.session.scalars(select(Case).where(
        Case.meeting_id == meeting.id, Case.status.in_(("listed", "deferred")))
        .order_by(Case.position)).all()
    already = set(db.session.scalars(select(Case.patient_id).where(Case.meeting_id == target.id)))
    position = db.session.scalar(select(func.coalesce(func.max(Case.position), 0)).where(
        Case.meeting_id == target.id))
    moved = []
    for case in cases:
        if case.status == "listed":
            case.status = "carried_forward"
        if case.patient_id in already:
            continue
        position += 1
        moved.append((case.id, Case(
            meeting_id=target.id, patient_id=case.patient_id, position=position,
            reason=case.reason, urgency=case.urgency, presenter_id=case.presenter_id,
            referred_by=case.referred_by, minutes=case.minutes, carried_from_id=case.id)))
    db.session.add_all(new for _, new in moved)
    db.session.flush()
    _follow_referrals(moved, target)
    return len(moved)


def _follow_referrals(moved, target: Meeting) -> None:
    """An accepted referral goes with its case (mdt.referrals listens), so the next meeting
    shows its text and the referrer sees where it is now."""
    new_by_old = {old_id: new.id for old_id, new in moved}
    if new_by_old:
        cases_carried.send(target, new_by_old=new_by_old)


# Sent inside finish_meeting's unit of work: later capabilities (outcome letters) add their
# rows to the same commit without the meetings folder importing them.
meeting_finished = Namespace().signal("meeting-finished")
# Sent inside undo_finish's transaction before anything changes: a capability may take back
# what finishing made (letters not yet downloaded), or refuse with a MeetingError.
meeting_reopening = Namespace().signal("meeting-reopening")
# Cases carried to the next meeting (new_by_old: {case id: its copy's id}), and carried
# back when finishing is undone (old_by_new), inside the same transaction: what hangs off a
# case in a later feature (an accepted referral) follows it.
cases_carried = Namespace().signal("cases-carried")
cases_carried_back = Namespace().signal("cases-carried-back")


def finish_meeting(actor: Actor, meeting: Meeting) -> tuple[Meeting | None, int]:
    """Idempotent: a second finish changes nothing. Returns (next meeting, cases moved)."""
    if meeting.status == "finished":
        return None, 0
    if meeting.status == "cancelled":
        raise MeetingError({"form": "This meeting was cancelled"})
    check_transition(MEETING_TRANSITIONS, meeting.status, MeetingStatus.FINISHED, MeetingError)
    target = next_meeting(meeting)
    moved = carry_forward(meeting, target)
    meeting.status, meeting.finished_at = "finished", utcnow()
    _audit(actor, meeting.team_id, "change", meeting.id,
           {"status": ["in_progress", "finished"], "carried_forward": moved,
            "to_meeting": target.id})
    meeting_finished.send(meeting, actor=actor)
    db.session.flush()
    return target, moved


UNDO_MINUTES = 10  # how long finishing a meeting can be undone


@dataclass(frozen=True)
class FinishPreview:
    discussed: int
    to_move: int  # listed or deferred: carried to the next meeting
    next_day: date | None  # None: a new meeting four weeks on is made


def finish_preview(meeting: Meeting) -> FinishPreview:
    """What finishing will do, without doing it (no next meeting is made to find out)."""
    counts = dict(db.session.execute(select(Case.status, func.count(Case.id)).where(
        Case.meeting_id == meeting.id).group_by(Case.status)).all())
    return FinishPreview(discussed=counts.get("discussed", 0),
                         to_move=counts.get("listed", 0) + counts.get("deferred", 0),
                         next_day=_next_meeting_day(meeting))


def _next_meeting_day(meeting: Meeting) -> date:
    if meeting.series_id:
        series = db.session.get(MeetingSeries, meeting.series_id)
        after = (meeting.occurrence_date or to_london(meeting.starts_at).date()) + timedelta(days=1)
        gone = set(db.session.scalars(select(Meeting.occurrence_date).where(
            Meeting.series_id == meeting.series_id,
            Meeting.status.in_(("finished", "cancelled")))))
        for day in recurrence.occurrences(series.rrule, series.first_date, after=after, count=24):
            if day not in gone:
                return day
    later = _later_meeting(meeting)
    return to_london(later.starts_at if later else
                     meeting.starts_at + timedelta(weeks=4)).date()


def undo_finish(actor: Actor, meeting: Meeting, now=None) -> int:
    """Within UNDO_MINUTES of finishing: the meeting is in progress again and the cases it
    carried forward come back (refused once the next meeting has started using them).
    Returns the number of cases brought back."""
    now = now or utcnow()
    if meeting.status != "finished":
        raise MeetingError({"form": "This meeting is not finished"})
    if meeting.finished_at is None or now - meeting.finished_at > timedelta(
            minutes=UNDO_MINUTES):
        raise MeetingError({"form": f"Finishing can be undone for {UNDO_MINUTES} minutes "
                                    "only. Add any missed case to the next meeting instead."})
    from mdt.actions.models import Action
    from mdt.meetings.models import CaseDraft
    mine = {c.id: c for c in db.session.scalars(select(Case).where(
        Case.meeting_id == meeting.id))}
    carried = db.session.scalars(select(Case).where(Case.carried_from_id.in_(list(mine)))).all() \
        if mine else []
    ids = [c.id for c in carried]
    used = any(c.status != "listed" or c.notes or c.outcome for c in carried) or (ids and (
        db.session.scalar(select(func.count(Action.id)).where(Action.case_id.in_(ids)))
        or db.session.scalar(select(func.count(CaseDraft.id)).where(CaseDraft.case_id.in_(ids)))))
    if used:
        raise MeetingError({"form": "The next meeting has already started on the cases "
                                    "carried to it, so finishing cannot be undone"})
    check_transition(MEETING_TRANSITIONS, meeting.status, MeetingStatus.IN_PROGRESS,
                     MeetingError)
    meeting_reopening.send(meeting, actor=actor)
    if ids:
        cases_carried_back.send(meeting, old_by_new={c.id: c.carried_from_id for c in carried})
    db.session.flush()
    for case in carried:
        db.session.delete(case)
    for case in mine.values():
        if case.status == "carried_forward":
            case.status = "listed"
    meeting.status, meeting.finished_at = "in_progress", None
    _audit(actor, meeting.team_id, "change", meeting.id,
           {"status": ["finished", "in_progress"], "undone": True, "brought_back": len(ids)})
    db.session.flush()
    return len(ids)


def starts_another_day(meeting: Meeting, today: date) -> bool:
    return meeting.status == "scheduled" and to_london(meeting.starts_at).date() != today


def cancel_meeting(actor: Actor, meeting: Meeting) -> tuple[Meeting | None, int]:
    """Cancels and moves the whole case list forward. Idempotent."""
    if meeting.status == "cancelled":
        return None, 0
    if meeting.status == "finished":
        raise MeetingError({"form": "This meeting has finished"})
    check_transition(MEETING_TRANSITIONS, meeting.status, MeetingStatus.CANCELLED, MeetingError)
    target = next_meeting(meeting)
    moved = carry_forward(meeting, target)
    meeting.status = "cancelled"
    meeting.sequence += 1
    _audit(actor, meeting.team_id, "change", meeting.id,
           {"status": ["scheduled", "cancelled"], "carried_forward": moved,
            "to_meeting": target.id})
    db.session.flush()
    return target, moved


def set_attendance(actor: Actor, meeting: Meeting, invitee_id: int, attendance: str) -> Invitee:
    from mdt.meetings.models import ATTENDANCE
    invitee = db.session.scalar(select(Invitee).where(Invitee.id == invitee_id,
                                                      Invitee.meeting_id == meeting.id))
    if invitee is None:
        raise NotFound("no such invitee")
    if attendance not in ATTENDANCE:
        raise MeetingError({"attendance": "Choose present, apologies or absent"})
    invitee.attendance = attendance
    db.session.flush()
    return invitee


def send_apologies(actor: Actor, meeting: Meeting, sending: bool = True) -> Invitee:
    """An invitee's apologies, sent before the meeting (or taken back): the chair's
    attendance checklist then starts from them."""
    if meeting.status not in ("scheduled", "in_progress"):
        raise MeetingError({"form": f"This meeting is {meeting.status_label.lower()}"})
    invitee = db.session.scalar(select(Invitee).where(Invitee.meeting_id == meeting.id,
                                                      Invitee.user_id == actor.user_id))
    if invitee is None:
        raise NotFound("not invited")
    invitee.attendance = "apologies" if sending else "invited"
    db.session.flush()
    return invitee


def everyone_present(actor: Actor, meeting: Meeting) -> int:
    """Everyone whose attendance is not yet recorded is present (apologies and absences
    already recorded stay). Returns how many were marked."""
    marked = db.session.execute(update(Invitee).where(
        Invitee.meeting_id == meeting.id, Invitee.attendance == "invited")
        .values(attendance="present")).rowcount
    db.session.flush()
    return marked


def add_walk_in(actor: Actor, meeting: Meeting, name: str, email: str) -> Invitee:
    name = (name or "").strip()
    errors = {}
    if not name:
        errors["name"] = "Enter the attendee's name"
    elif len(name) > 120:
        errors["name"] = "Name must be 120 characters or fewer"
    try:
        email = validate_email(email.strip(), check_deliverability=False).normalized.lower() \
            if (email or "").strip() else f"walk-in-{uuid.uuid4().hex[:8]}@invalid"
    except EmailNotValidError:
        errors["email"] = "Enter a real email address, or leave it blank"
    if errors:
        raise MeetingError(errors)
    existing = db.session.scalar(select(Invitee).where(Invitee.meeting_id == meeting.id,
                                                       Invitee.email == email))
    if existing:
        existing.attendance = "present"
        db.session.flush()
        return existing
    invitee = Invitee(meeting_id=meeting.id, email=email, name=name, attendance="present",
                      walk_in=True)
    db.session.add(invitee)
    db.session.flush()
    return invitee

