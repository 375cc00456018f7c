"""The one place a patient's lifecycle changes (died, discharged, moved to another team,
re-referred) and everything that follows it, in one transaction, shown before it is done.

`preview()` says what a change would do; `apply()` does exactly that in the caller's unit
of work (the view commits once). The transition itself is checked against the table in
mdt/patients/lifecycle.py."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import select

from mdt.actions import service as actions
from mdt.actions.models import Action
from mdt.audit import service as audit
from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.meetings import cases
from mdt.meetings.models import Case, Meeting
from mdt.notifications.models import Notification
from mdt.patients.key_info_queries import load_sections
from mdt.patients.lifecycle import (
    DISCHARGE_REASONS,
    PLACES,
    Status,
    TransitionRefused,
    check,
    preferred_place_met,
)
from mdt.patients.models import KeyInfoSection, LifecycleEvent, Patient, PatientTeam
from mdt.teams.models import Membership, Team
from mdt.timeutil import format_date, london_today, utcnow
from mdt.visits import service as visits
from mdt.visits.models import Visit

CONFLICT = ("Someone else changed this patient's record while you were reading the summary. "
            "Check it again, then confirm.")
NOTE_LIMIT = 1000


@dataclass
class Change:
    """What the user asked for, as plain data (from the form)."""
    target: str  # a Status
    team_id: int  # the team whose caseload changes (a death changes every team's)
    happened_on: date | None = None
    place: str = ""  # place of death
    reason: str = ""  # discharge reason (a DISCHARGE_REASONS key)
    notes: str = ""
    to_team_id: int | None = None  # transfer
    keep_action_ids: frozenset = frozenset()
    bereavement: bool = True


@dataclass
class Effects:
    """What the change will do: shown before it is confirmed, then done exactly."""
    patient: Patient
    change: Change
    team_ids: list  # the caseloads that change
    visits: list = field(default_factory=list)  # (visit, professional name)
    cases: list = field(default_factory=list)  # (case, meeting)
    actions: list = field(default_factory=list)  # (action, owner name)
    reviews_set_aside: bool = False
    key_worker: User | None = None
    carer: dict = field(default_factory=dict)
    preferred_place: str = ""
    to_team: Team | None = None

    @property
    def carer_call(self) -> str:
        """Who the bereavement follow-up calls: 'Tom Fletcher (Son, 07700 900123)'."""
        who = self.carer.get("carer_name") or "the main carer"
        about = ", ".join(v for v in (self.carer.get("carer_relationship"),
                                      self.carer.get("carer_phone")) if v)
        return f"{who} ({about})" if about else who

    @property
    def kept(self) -> list:
        return [a for a, _ in self.actions if a.id in self.change.keep_action_ids]

    @property
    def closing(self) -> list:
        return [a for a, _ in self.actions if a.id not in self.change.keep_action_ids]


def validate(change: Change, patient: Patient, today: date) -> dict:
    """Messages for the fields that are wrong ({} when the change can go ahead)."""
    errors = {}
    if change.target == Status.DIED:
        if change.happened_on is None:
            errors["happened_on"] = "Enter the date of death"
        elif change.happened_on > today:
            errors["happened_on"] = "Date of death must be today or in the past"
        elif change.happened_on < patient.date_of_birth:
            errors["happened_on"] = "Date of death must be after the date of birth"
        if change.place not in PLACES:
            errors["place"] = "Choose the place of death"
    elif change.target == Status.DISCHARGED:
        if change.reason not in DISCHARGE_REASONS:
            errors["reason"] = "Choose the reason for discharge"
        if change.reason == "other" and not change.notes.strip():
            errors["notes"] = "Say why the patient is being discharged"
    elif change.target == Status.TRANSFERRED:
        if change.to_team_id is None:
            errors["to_team_id"] = "Choose the team taking over"
        elif change.to_team_id == change.team_id:
            errors["to_team_id"] = "Choose a team other than this one"
    if len(change.notes) > NOTE_LIMIT:
        errors["notes"] = f"Notes must be {NOTE_LIMIT} characters or fewer"
    return errors


def _links(patient_id: int, team_ids) -> list[PatientTeam]:
    return list(db.session.scalars(select(PatientTeam).where(
        PatientTeam.patient_id == patient_id, PatientTeam.team_id.in_(list(team_ids)))
        .order_by(PatientTeam.team_id)))


def _affected_teams(patient: Patient, change: Change) -> list[int]:
    """A death ends care on every team the patient is on; the rest, on one team only."""
    if change.target == Status.DIED:
        return [link.team_id for link in db.session.scalars(select(PatientTeam).where(
            PatientTeam.patient_id == patient.id, PatientTeam.status != Status.DIED))]
    return [change.team_id]


def preview(patient: Patient, change: Change) -> Effects:
    """Everything the change will do, read in a fixed number of queries."""
    team_ids = _affected_teams(patient, change)
    today = london_today()
    start = max(today, change.happened_on or today)
    effects = Effects(patient=patient, change=change, team_ids=team_ids)
    if change.target == Status.ON_CASELOAD:
        return effects
    effects.visits = db.session.execute(
        select(Visit, User.name).join(User, User.id == Visit.professional_id)
        .where(Visit.patient_id == patient.id, Visit.team_id.in_(team_ids),
               Visit.status == "planned", Visit.day >= start)
        .order_by(Visit.day, Visit.id)).all()
    effects.cases = db.session.execute(
        select(Case, Meeting).join(Meeting, Meeting.id == Case.meeting_id)
        .where(Case.patient_id == patient.id, Meeting.team_id.in_(team_ids),
               Case.status.in_(("listed", "deferred")),
               Meeting.status.in_(("scheduled", "in_progress")))
        .order_by(Meeting.starts_at)).all()
    effects.actions = db.session.execute(
        select(Action, User.name).join(User, User.id == Action.owner_id)
        .where(Action.patient_id == patient.id, Action.team_id.in_(team_ids),
               Action.status == "open").order_by(Action.due_on, Action.id)).all()
    links = _links(patient.id, [change.team_id])
    effects.reviews_set_aside = bool(links and links[0].key_worker_id)
    if links and links[0].key_worker_id:
        effects.key_worker = db.session.get(User, links[0].key_worker_id)
    sections = load_sections(patient.id)
    people = sections.get("people")
    effects.carer = dict(people[0].data) if people else {}
    wishes = sections.get("wishes")
    effects.preferred_place = (wishes[0].data.get("preferred_place_of_death") or ""
                               if wishes else "")
    if change.to_team_id:
        effects.to_team = db.session.get(Team, change.to_team_id)
    return effects


def apply(actor: Actor, patient: Patient, change: Change, seen_version: int | None) -> Effects:
    """Make the change and everything that follows it (flushed: the view commits). Refused
    (nothing done) when the transition is not allowed, a field is wrong, or the record
    changed since the summary was shown (a double submit, two people at once)."""
    links = {link.team_id: link for link in _links(patient.id, [change.team_id])}
    link = links.get(change.team_id)
    if link is None:
        raise NotFound("patient not on this team")
    name = check(link.status, change.target)
    errors = validate(change, patient, london_today())
    if change.target == Status.TRANSFERRED and not errors:
        target_link = _links(patient.id, [change.to_team_id])
        if db.session.get(Team, change.to_team_id) is None:
            errors["to_team_id"] = "Choose the team taking over"
        elif target_link and target_link[0].status == Status.ON_CASELOAD:
            errors["to_team_id"] = "The patient is already on that team's caseload"
    if errors:
        raise TransitionRefused(errors)
    if seen_version is not None and seen_version != patient.version:
        raise TransitionRefused({"form": CONFLICT})
    effects = preview(patient, change)
    happened_on = change.happened_on or london_today()
    reason = _reason_text(change, happened_on)
    for visit, _ in effects.visits:
        visits.cancel_planned(actor, visit, reason)
    for case, meeting in effects.cases:
        cases.take_off(actor, meeting, case, reason)
    for action in effects.closing:
        actions.close_no_longer_needed(actor, action, f"No longer needed: {reason.lower()}")
    details = _details(change, effects)
    for team_id in effects.team_ids:
        _set_status(actor, patient, team_id, change.target, happened_on, details, name)
    if change.target == Status.DIED:
        _record_death_in_key_information(actor, patient, change)
        if change.bereavement:
            _bereavement_action(actor, patient, change, effects)
    if change.target == Status.TRANSFERRED:
        _receive(actor, patient, change, happened_on)
    patient.updated_at = utcnow()  # bumps the version: a second confirm is refused
    db.session.flush()  # a second confirm fails here (a stale version): nothing is kept
    return effects


def _reason_text(change: Change, happened_on: date) -> str:
    if change.target == Status.DIED:
        return f"Patient died on {format_date(happened_on)}"
    if change.target == Status.DISCHARGED:
        return f"Patient discharged from the caseload: {DISCHARGE_REASONS[change.reason]}"
    if change.target == Status.TRANSFERRED:
        return "Patient moved to another neighbourhood team"
    return "Patient re-referred"


def _details(change: Change, effects: Effects) -> dict:
    details = {"notes": change.notes.strip()} if change.notes.strip() else {}
    if change.target == Status.DIED:
        met = preferred_place_met(effects.preferred_place, change.place)
        details.update(place=change.place, preferred_place=effects.preferred_place or None,
                       preferred_place_met=met)
    elif change.target == Status.DISCHARGED:
        details["reason"] = change.reason
    elif change.target == Status.TRANSFERRED:
        details["to_team_id"] = change.to_team_id
    return details


def _set_status(actor, patient, team_id, target, happened_on, details, name) -> None:
    link = _links(patient.id, [team_id])[0]
    before = link.status
    link.status, link.status_changed_on = target, happened_on
    db.session.add(LifecycleEvent(patient_id=patient.id, team_id=team_id, from_status=before,
                                  to_status=target, happened_on=happened_on, details=details,
                                  recorded_by_id=actor.user_id))
    audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                 action="change", record_type="lifecycle", record_id=patient.id,
                 changes={"transition": name, "status": [before, str(target)],
                          "on": happened_on.isoformat(), **details})


def _record_death_in_key_information(actor, patient, change) -> None:
    """The shared record says it too, in the EPaCCS words (date and actual place)."""
    section = db.session.scalar(select(KeyInfoSection).where(
        KeyInfoSection.patient_id == patient.id, KeyInfoSection.section == "death"))
    data = {"date_of_death": change.happened_on.isoformat(), "actual_place_of_death": change.place}
    if section is None:
        db.session.add(KeyInfoSection(patient_id=patient.id, section="death", data=data,
                                      changed_by_id=actor.user_id))
    else:
        section.data, section.changed_by_id, section.changed_at = data, actor.user_id, utcnow()


def _bereavement_action(actor, patient, change, effects) -> None:
    owner = effects.key_worker.id if effects.key_worker else actor.user_id
    due = max(london_today(), change.happened_on + timedelta(days=14))
    actions.create_action(
        actor, team_id=change.team_id, owner_id=owner, due_on=due, patient_id=patient.id,
        description=f"Bereavement follow-up: call {effects.carer_call} within 2 weeks of "
                    "the death",
        bereavement=True)


def _receive(actor, patient, change, happened_on) -> None:
    """The receiving team takes the patient on (history kept: the old rows stay), and its
    chairs are told."""
    existing = _links(patient.id, [change.to_team_id])
    if existing:
        link = existing[0]
        before, link.status, link.status_changed_on = link.status, Status.ON_CASELOAD, happened_on
    else:
        before = None
        db.session.add(PatientTeam(patient_id=patient.id, team_id=change.to_team_id,
                                   listed_on=happened_on))
    db.session.add(LifecycleEvent(
        patient_id=patient.id, team_id=change.to_team_id, from_status=before or "",
        to_status=Status.ON_CASELOAD, happened_on=happened_on,
        details={"from_team_id": change.team_id}, recorded_by_id=actor.user_id))
    audit.record(user_id=actor.user_id, role=actor.role(change.to_team_id),
                 team_id=change.to_team_id, action="change", record_type="lifecycle",
                 record_id=patient.id, changes={"transition": "transferred_in",
                                                "from_team_id": change.team_id})
    for chair_id in db.session.scalars(select(Membership.user_id).where(
            Membership.team_id == change.to_team_id, Membership.role == "chair")):
        # No name in the text: notices may leave the app by email.
        db.session.add(Notification(user_id=chair_id, kind="patient",
                                    text="A patient has been moved to your team's caseload",
                                    link=f"/patients/{patient.id}"))
