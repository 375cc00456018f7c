"""Referrals to the meeting: send, answer a request for more, withdraw; and the chair's
triage: accept onto a meeting's case list, ask for more information, decline.

Plain functions of an Actor and data (no request, no session); each change is audited and
flushed in the caller's unit of work with its history event and in-app notifications (the
view commits)."""

from contextlib import contextmanager
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound, Refused
from mdt.extensions import db
from mdt.meetings import cases as case_service
from mdt.meetings import service as meetings
from mdt.meetings.models import URGENCIES, Case, Meeting
from mdt.patients.models import Patient, PatientTeam
from mdt.patients.service import closed_message
from mdt.referrals.lifecycle import OPEN, TRANSITIONS, ReferralStatus
from mdt.referrals.models import STATUSES, Referral, ReferralEvent
from mdt.teams.models import Membership
from mdt.teams.service import is_member
from mdt.timeutil import format_date, to_london, utcnow
from mdt.transitions import check_transition

TEXT_LIMIT = 2000
MESSAGE_LIMIT = 2000
STALE = ("Someone else changed this referral while you were looking at it. Check what "
         "changed below, then try again if you still need to.")
FIELD_NAMES = {"question": "The question for the MDT", "background": "Relevant background",
               "tried": "What has been tried"}


class ReferralError(Refused):
    """A referral change refused: {field: message} for the form, nothing saved."""


def link(referral_id: int) -> str:
    """The referral page's address (stable: /referrals/<id>), for notifications."""
    return f"/referrals/{referral_id}"


# --- checks -------------------------------------------------------------------------------

def _validate(actor: Actor, team_id: int, *, question, background, tried, urgency,
              presenter_id, preferred_date, current_preferred=None, today=None) -> dict:
    values = {"question": (question or "").strip(), "background": (background or "").strip(),
              "tried": (tried or "").strip()}
    errors = {}
    if not values["question"]:
        errors["question"] = "Enter the question for the MDT"
    for name, value in values.items():
        if len(value) > TEXT_LIMIT and name not in errors:
            errors[name] = f"{FIELD_NAMES[name]} must be {TEXT_LIMIT} characters or fewer"
    if urgency not in URGENCIES:
        errors["urgency"] = "Choose how urgent the discussion is"
    if presenter_id is not None and not is_member(team_id, presenter_id):
        errors["presenter_id"] = "Choose who will present from the team"
    if preferred_date is not None and not isinstance(preferred_date, date):
        errors["preferred_date"] = "Choose a meeting from the list"
    elif preferred_date is not None and preferred_date != current_preferred and \
            today is not None and preferred_date < today:
        errors["preferred_date"] = "Choose a meeting that has not happened yet"
    if errors:
        raise ReferralError(errors)
    return values


def _require_referrer(actor: Actor, referral: Referral) -> None:
    if referral.team_id not in actor.team_ids:
        raise NotFound("not your team")
    if referral.referrer_id != actor.user_id:
        raise Refused("only the referrer can change a referral")


def _require_chair(actor: Actor, referral: Referral) -> None:
    if referral.team_id not in actor.team_ids:
        raise NotFound("not your team")
    if not actor.is_chair(referral.team_id):
        raise Refused("only a chair of the team triages referrals")


def _require_status(referral: Referral, allowed, doing: str) -> None:
    if referral.status not in allowed:
        label = STATUSES[referral.status].lower()
        if referral.status == "sent":
            label = "waiting for triage"
        raise ReferralError({"form": f"This referral is {label} already: it cannot be "
                                     f"{doing} now"})


def _require_version(referral: Referral, seen_version) -> None:
    if seen_version is None or seen_version != referral.version:
        raise ReferralError({"form": STALE})


def _message(value: str, name: str, missing: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ReferralError({name: missing})
    if len(value) > MESSAGE_LIMIT:
        raise ReferralError({name: f"{label} must be {MESSAGE_LIMIT} characters or fewer"})
    return value


# --- side effects -------------------------------------------------------------------------

def _audit(actor: Actor, referral: Referral, action: str, changes: dict) -> None:
    audit.record(user_id=actor.user_id, role=actor.role(referral.team_id),
                 team_id=referral.team_id, action=action, record_type="referral",
                 record_id=referral.id, changes=changes, patient_id=referral.patient_id)


def _event(actor: Actor, referral: Referral, kind: str, message: str = "") -> None:
    db.session.add(ReferralEvent(referral_id=referral.id, user_id=actor.user_id, kind=kind,
                                 message=message))


def _notify(user_ids, text: str, referral: Referral, actor: Actor) -> None:
    from mdt.notifications.models import Notification

    for user_id in sorted(set(user_ids) - {actor.user_id}):
        db.session.add(Notification(user_id=user_id, text=text[:300],
                                    link=link(referral.id), kind="referral"))


def _chair_ids(team_id: int) -> list[int]:
    return list(db.session.scalars(select(Membership.user_id).join(
        User, User.id == Membership.user_id).where(
        Membership.team_id == team_id, Membership.role == "chair", User.is_active.is_(True))))


@contextmanager
def _changing():
    """One change in a SAVEPOINT: if a colleague's change landed between our read and our
    write (a stale version), this change alone is undone and refused."""
    try:
        with db.session.begin_nested():
            yield
    except StaleDataError:
        raise ReferralError({"form": STALE}) from None


# --- the referrer -------------------------------------------------------------------------

def send_referral(actor: Actor, *, team_id: int, patient_id: int | None, question: str,
                  background: str = "", tried: str = "", urgency: str = "routine",
                  presenter_id: int | None = None, preferred_date: date | None = None,
                  today: date | None = None) -> Referral:
    """A new referral, waiting for triage; the team's chairs are told. Sending the same
    referral twice (a double submit) gives back the first, not a second."""
    if team_id not in actor.team_ids:
        raise NotFound("not your team")
    errors = {}
    if patient_id is None:
        errors["patient_id"] = "Choose the patient"
    elif db.session.scalar(select(PatientTeam.patient_id).where(
            PatientTeam.patient_id == patient_id, PatientTeam.team_id == team_id)) is None:
        raise NotFound("patient not on this team")
    elif closed := closed_message(patient_id, team_id):
        errors["patient_id"] = closed
    try:
        values = _validate(actor, team_id, question=question, background=background,
                           tried=tried, urgency=urgency, presenter_id=presenter_id,
                           preferred_date=preferred_date, today=today)
    except ReferralError as exc:
        errors.update(exc.errors)
    if errors:
        raise ReferralError(errors)
    existing = db.session.scalars(select(Referral).where(
        Referral.team_id == team_id, Referral.patient_id == patient_id,
        Referral.referrer_id == actor.user_id, Referral.status.in_(OPEN))
        .order_by(Referral.id.desc())).first()
    if existing is not None:
        if existing.question == values["question"]:
            return existing  # a double submit: already sent
        raise ReferralError({"form": "You have already referred this patient and the "
                                     "referral is waiting: change that referral instead"})
    referral = Referral(team_id=team_id, patient_id=patient_id, referrer_id=actor.user_id,
                        urgency=urgency, presenter_id=presenter_id,
                        preferred_date=preferred_date, status="sent", **values)
    db.session.add(referral)
    db.session.flush()
    _event(actor, referral, "sent")
    _audit(actor, referral, "create", {"patient_id": patient_id, "urgency": urgency,
                                       "status": "sent"})
    _notify(_chair_ids(team_id), f"New referral to the MDT ({URGENCIES[urgency].lower()}): "
                                 "waiting for triage", referral, actor)
    db.session.flush()
    return referral


def update_and_resend(actor: Actor, referral: Referral, *, question: str, background: str,
                      tried: str, urgency: str, presenter_id: int | None,
                      preferred_date: date | None, seen_version: int | None,
                      today: date | None = None) -> Referral:
    """The referrer changes a waiting referral; one asked for more information goes back to
    the chairs ("sent" again)."""
    _require_referrer(actor, referral)
    _require_status(referral, OPEN, "changed")
    _require_version(referral, seen_version)
    values = _validate(actor, referral.team_id, question=question, background=background,
                       tried=tried, urgency=urgency, presenter_id=presenter_id,
                       preferred_date=preferred_date, current_preferred=referral.preferred_date,
                       today=today)
    before = {"question": referral.question, "background": referral.background,
              "tried": referral.tried, "urgency": referral.urgency,
              "presenter_id": referral.presenter_id, "preferred_date": referral.preferred_date,
              "status": referral.status}
    check_transition(TRANSITIONS, referral.status, ReferralStatus.SENT, ReferralError)
    with _changing():
        resent = referral.status == "more_info"
        referral.question, referral.background, referral.tried = (
            values["question"], values["background"], values["tried"])
        referral.urgency, referral.presenter_id = urgency, presenter_id
        referral.preferred_date = preferred_date
        referral.status = "sent"
        changes = audit.diff(before, {"question": referral.question,
                                      "background": referral.background, "tried": referral.tried,
                                      "urgency": referral.urgency,
                                      "presenter_id": referral.presenter_id,
                                      "preferred_date": referral.preferred_date,
                                      "status": referral.status})
        if not changes and not resent:
            return referral
        referral.updated_at = utcnow()
        if resent:
            _event(actor, referral, "resent")
            _notify(_chair_ids(referral.team_id), "A referral was sent again with more "
                                                  "information", referral, actor)
        # The texts are clinical: the audit keeps which fields changed, the row keeps the text.
        _audit(actor, referral, "change", {k: v if k in ("urgency", "presenter_id", "status",
                                                         "preferred_date") else "changed"
                                           for k, v in changes.items()})
    return referral


def withdraw(actor: Actor, referral: Referral, seen_version: int | None) -> Referral:
    _require_referrer(actor, referral)
    _require_status(referral, OPEN, "withdrawn")
    _require_version(referral, seen_version)
    before = referral.status
    check_transition(TRANSITIONS, before, ReferralStatus.WITHDRAWN, ReferralError)
    with _changing():
        referral.status, referral.updated_at = "withdrawn", utcnow()
        _event(actor, referral, "withdrawn")
        _audit(actor, referral, "change", {"status": [before, "withdrawn"]})
    return referral


# --- the chair's triage -------------------------------------------------------------------

def ask_for_more(actor: Actor, referral: Referral, *, message: str,
                 seen_version: int | None) -> Referral:
    _require_chair(actor, referral)
    _require_status(referral, ("sent",), "sent back for more information")
    _require_version(referral, seen_version)
    message = _message(message, "message", "Enter what more information you need",
                       "Message")
    check_transition(TRANSITIONS, referral.status, ReferralStatus.MORE_INFO, ReferralError)
    with _changing():
        referral.status, referral.reply, referral.updated_at = "more_info", message, utcnow()
        _event(actor, referral, "more_info", message)
        _audit(actor, referral, "change", {"status": ["sent", "more_info"]})
        _notify([referral.referrer_id], "The MDT chair asked for more information about your "
                                        "referral", referral, actor)
    return referral


def decline(actor: Actor, referral: Referral, *, reason: str,
            seen_version: int | None) -> Referral:
    _require_chair(actor, referral)
    _require_status(referral, OPEN, "declined")
    _require_version(referral, seen_version)
    reason = _message(reason, "reason", "Enter the reason for declining the referral",
                      "Reason")
    before = referral.status
    check_transition(TRANSITIONS, before, ReferralStatus.DECLINED, ReferralError)
    with _changing():
        referral.status, referral.reply, referral.updated_at = "declined", reason, utcnow()
        _event(actor, referral, "declined", reason)
        _audit(actor, referral, "change", {"status": [before, "declined"]})
        _notify([referral.referrer_id], "Your referral to the MDT was declined", referral, actor)
    return referral


def accept(actor: Actor, referral: Referral, *, choice: str, seen_version: int | None,
           today: date, message: str = "") -> Case:
    """Onto the chosen meeting's case list (a series date is opened first). The referral
    update is flushed, so its version checked, before the case is made, and both are kept
    together: a case never exists without its referral marked accepted."""
    from mdt.referrals.queries import meeting_options

    _require_chair(actor, referral)
    _require_status(referral, OPEN, "accepted")
    _require_version(referral, seen_version)
    if len((message or "").strip()) > MESSAGE_LIMIT:
        raise ReferralError({"message": f"Message must be {MESSAGE_LIMIT} characters or "
                                        "fewer"})
    options = dict(meeting_options(actor, referral.team_id, today))
    item = options.get(choice or "")
    if item is None:
        raise ReferralError({"meeting": "Choose a meeting to accept the referral onto"})
    if item.meeting is not None:
        meeting = item.meeting
    else:
        try:
            meeting = meetings.open_occurrence(actor, item.series, item.day)
        except LookupError:
            raise ReferralError({"meeting": "Choose a meeting to accept the referral "
                                            "onto"}) from None
    names = dict(db.session.execute(select(User.id, User.name).where(
        User.id == referral.referrer_id)).all())
    patient_id, before = referral.patient_id, referral.status
    check_transition(TRANSITIONS, before, ReferralStatus.ACCEPTED, ReferralError)
    reason = referral.question
    if len(reason) > case_service.REASON_LIMIT:
        reason = reason[:case_service.REASON_LIMIT - 1].rstrip() + "…"
    try:
        with db.session.begin_nested():  # refused: the referral and the case list as they were
            referral.status, referral.meeting_id = "accepted", meeting.id
            referral.updated_at = utcnow()
            referral.reply = (message or "").strip()
            _event(actor, referral, "accepted", referral.reply)
            _audit(actor, referral, "change", {"status": [before, "accepted"],
                                               "meeting_id": meeting.id})
            _notify([referral.referrer_id], "Your referral was accepted onto the MDT case list "
                                            f"for {format_date(to_london(meeting.starts_at).date())}",
                    referral, actor)
            db.session.flush()  # the version check: a colleague's triage wins, ours is refused
            case = case_service.add_case(
                actor, meeting, patient_id=patient_id, reason=reason, urgency=referral.urgency,
                presenter_id=referral.presenter_id,
                referred_by=(names.get(referral.referrer_id) or "")[:120])
            referral.case_id = case.id
    except meetings.MeetingError as exc:
        raise ReferralError({"meeting" if key in ("patient_id", "form") else key: value
                             for key, value in exc.errors.items()}) from None
    except LookupError:
        raise ReferralError({"meeting": "The patient is no longer on this team's list"}) \
            from None
    except StaleDataError:
        raise ReferralError({"form": STALE}) from None
    db.session.flush()
    return case


def patient_on_team(team_id: int, patient_id: int) -> Patient | None:
    return db.session.scalar(select(Patient).join(PatientTeam).where(
        Patient.id == patient_id, PatientTeam.team_id == team_id))


# --- following a case to another meeting (meetings.service's signals; referrals.init_app)

def follow_carried_cases(target: Meeting, new_by_old: dict[int, int]) -> None:
    """An accepted referral goes with its case to the next meeting."""
    for referral in db.session.scalars(select(Referral).where(
            Referral.case_id.in_(list(new_by_old)), Referral.status == "accepted")):
        referral.case_id, referral.meeting_id = new_by_old[referral.case_id], target.id


def follow_cases_back(meeting: Meeting, old_by_new: dict[int, int]) -> None:
    """Finishing undone: a referral carried with its case comes back with it."""
    for referral in db.session.scalars(select(Referral).where(
            Referral.case_id.in_(list(old_by_new)))):
        referral.case_id, referral.meeting_id = old_by_new[referral.case_id], meeting.id
