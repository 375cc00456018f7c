"""Outcome letters: made when a meeting finishes (one per patient discussed), the practice
told in the app (never by email), downloads and filing recorded. Plain functions: they add
and flush; the caller commits."""

from sqlalchemy import func, select

from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import Refused
from mdt.extensions import db
from mdt.letters.content import practice_key
from mdt.letters.models import OutcomeLetter
from mdt.meetings.models import Case, Meeting
from mdt.meetings.service import MeetingError, meeting_finished, meeting_reopening
from mdt.notifications.models import Notification
from mdt.patients.models import Patient
from mdt.teams.models import Membership
from mdt.timeutil import to_london, utcnow


class LetterRefused(Refused):
    """Only the practice (or a chair) files a letter."""


def prepare_letters(actor: Actor, meeting: Meeting) -> list[OutcomeLetter]:
    """A letter for each patient discussed (idempotent), and a notification to the members
    of the team who work at each patient's practice."""
    done = set(db.session.scalars(select(OutcomeLetter.case_id).where(
        OutcomeLetter.meeting_id == meeting.id)))
    made = []
    for case, practice in db.session.execute(
            select(Case, Patient.gp_practice).join(Patient, Patient.id == Case.patient_id)
            .where(Case.meeting_id == meeting.id, Case.status == "discussed")
            .order_by(Case.position)):
        if case.id in done:
            continue
        letter = OutcomeLetter(team_id=meeting.team_id, meeting_id=meeting.id, case_id=case.id,
                               patient_id=case.patient_id,
                               practice=" ".join((practice or "").split()))
        db.session.add(letter)
        made.append(letter)
    db.session.flush()
    for letter in made:
        audit.record(user_id=actor.user_id, role=actor.role(meeting.team_id),
                     team_id=meeting.team_id, action="create", record_type="outcome_letter",
                     record_id=letter.id, patient_id=letter.patient_id,
                     changes={"meeting_id": meeting.id})
    _notify(meeting, made)
    db.session.flush()
    return made


def _notify(meeting: Meeting, letters: list[OutcomeLetter]) -> None:
    counts: dict[str, int] = {}
    for letter in letters:
        if letter.practice:
            counts[practice_key(letter.practice)] = counts.get(practice_key(letter.practice),
                                                               0) + 1
    if not counts:
        return
    day = f"{to_london(meeting.starts_at):%-d %b %Y}"
    for user_id, organisation in db.session.execute(
            select(User.id, User.organisation).join(Membership, Membership.user_id == User.id)
            .where(Membership.team_id == meeting.team_id, User.is_active.is_(True),
                   func.lower(User.organisation).in_(list(counts)))):
        count = counts.get(practice_key(organisation), 0)
        if count:  # no patient named: the count, the meeting and a link
            db.session.add(Notification(
                user_id=user_id, kind="letters", link="/letters",
                text=f"{count} outcome letter{'s' if count > 1 else ''} ready for your "
                     f"practice from the MDT meeting of {day}"))


def _on_meeting_finished(meeting: Meeting, actor: Actor) -> None:
    prepare_letters(actor, meeting)


meeting_finished.connect(_on_meeting_finished)


def _on_meeting_reopening(meeting: Meeting, actor: Actor) -> None:
    """Finishing undone: its letters go, unless the practice has already had one."""
    letters = db.session.scalars(select(OutcomeLetter).where(
        OutcomeLetter.meeting_id == meeting.id)).all()
    if any(letter.first_downloaded_at or letter.filed_at for letter in letters):
        raise MeetingError({"form": "A practice has already downloaded or filed an outcome "
                                    "letter from this meeting, so finishing cannot be undone"})
    for letter in letters:
        db.session.delete(letter)


meeting_reopening.connect(_on_meeting_reopening)


def is_practice_member(organisation: str, letter: OutcomeLetter) -> bool:
    return bool(practice_key(organisation)) and \
        practice_key(organisation) == practice_key(letter.practice)


def record_download(actor: Actor, letters: list[OutcomeLetter], what: str) -> None:
    """Who downloaded which letter and when: an audit row each, and the first download on
    the letter itself."""
    now = utcnow()
    for letter in letters:
        audit.record(user_id=actor.user_id, role=actor.role(letter.team_id),
                     team_id=letter.team_id, action="export", record_type="outcome_letter",
                     record_id=letter.id, patient_id=letter.patient_id,
                     changes={"format": what, "patients": [letter.patient_id]})
        if letter.first_downloaded_at is None:
            letter.first_downloaded_at, letter.first_downloaded_by_id = now, actor.user_id
    db.session.flush()


def mark_filed(actor: Actor, organisation: str, letter: OutcomeLetter) -> bool:
    """The practice has filed the letter in the GP record. Only a member of that practice
    (or the team's chair) may say so. False when it was already filed."""
    if not (is_practice_member(organisation, letter) or actor.is_chair(letter.team_id)):
        raise LetterRefused("Only the patient's practice can mark this letter filed")
    if letter.filed_at is not None:
        return False
    letter.filed_at, letter.filed_by_id = utcnow(), actor.user_id
    audit.record(user_id=actor.user_id, role=actor.role(letter.team_id), team_id=letter.team_id,
                 action="change", record_type="outcome_letter", record_id=letter.id,
                 patient_id=letter.patient_id, changes={"filed": ["", "yes"]})
    db.session.flush()
    return True
