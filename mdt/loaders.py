"""Scoped loaders: a route that takes a record's id loads the record here, once, before the
view runs, scoped to the signed-in user's teams (as GOV.UK Notify loads `current_service`).

    @bp.post("/<int:meeting_id>/cases/<int:case_id>/remove")
    @team_member_required
    @load("meeting_id", "case_id", role="chair")
    def remove_case(meeting_id: int, case_id: int, meeting: Meeting, case: Case): ...

- The first id is the team-scoped one; later ids are looked up inside the records loaded
  before them (a case of *this* meeting, an invitation of *this* team).
- The record is passed to the view as a keyword named after the id without `_id`
  (`meeting_id` -> `meeting`; the care plan's `number` -> `version`); the id stays too.
- Another team's id and an absent id get the same answer, 404 (`errors.NotFound`), so ids
  cannot be probed; a record of the user's team without the role needed is a 403. Both are
  written to the audit log by the app-wide handlers (`audit_refusal`, mdt/__init__.py).
- Roles: "member" (on the record's team), "chair" (chair of the record's team; a meeting's
  own chair too), "admin" (a site admin; not team-scoped).

The decorator marks the view with `view.loads = {argument: role}`; tests/test_loaders.py
fails any route with an id in its URL and no loader for it. Put `@load` next to the `def`
(innermost), under the sign-in decorators.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort, current_app
from flask_login import current_user
from sqlalchemy import select

from mdt.actions.service import get_action
from mdt.auth.actor import Actor
from mdt.auth.oidc.models import Invitation
from mdt.auth.scope import current_actor, current_teams
from mdt.care_plans.queries import get_version
from mdt.errors import NotFound
from mdt.extensions import db
from mdt.forms import int_or_none
from mdt.letters.queries import get_letter
from mdt.meetings.models import Case, Invitee
from mdt.meetings.queries import get_meeting, get_series
from mdt.patients.service import get_patient, primary_team_id
from mdt.referrals.queries import get_referral
from mdt.reminders.models import Reminder
from mdt.visits.models import VisitMerge
from mdt.visits.service import get_visit

ROLES = ("member", "chair", "admin")
Fetch = Callable[[Actor, int, dict], object | None]


@dataclass(frozen=True)
class Loader:
    name: str  # the view's keyword for the record
    fetch: Fetch  # (actor, id, the view's arguments so far) -> the record, or None
    team_of: Callable[[object], int | None] = lambda record: record.team_id
    chaired_by: Callable[[Actor, object], bool] = lambda actor, record: False


def _team(actor, team_id, loaded):
    if team_id not in actor.team_ids:
        return None
    return next((t for t in current_teams() if t.id == team_id), None)


def _merge(actor, merge_id, loaded):
    merge = db.session.get(VisitMerge, merge_id)
    return merge if merge is not None and merge.team_id in actor.team_ids else None


def _case(actor, case_id, loaded):
    case = db.session.get(Case, case_id)
    return case if case is not None and case.meeting_id == loaded["meeting"].id else None


def _invitee(actor, invitee_id, loaded):
    return db.session.scalar(select(Invitee).where(Invitee.id == invitee_id,
                                                   Invitee.meeting_id == loaded["meeting"].id))


def _invitation(actor, invitation_id, loaded):
    return db.session.scalar(select(Invitation).where(
        Invitation.id == invitation_id, Invitation.team_id == loaded["team"].id))


def _care_plan_version(actor, number, loaded):
    patient = loaded["patient"]
    return get_version(patient.id, primary_team_id(actor, patient.id), number)


def _reminder(actor, reminder_id, loaded):
    """The outbox (admins): any reminder."""
    return db.session.get(Reminder, reminder_id)


def own_sent_message(actor, reminder_id, loaded):
    """The development outbox (no SMTP_URL): a sent message of one's own, or any for an
    admin."""
    if current_app.config.get("SMTP_URL"):
        return None
    row = db.session.get(Reminder, reminder_id)
    if row is None or row.message is None or (
            not current_user.is_admin and row.recipient != current_user.email.lower()):
        return None
    return row


def _not_team_scoped(record):
    return None


LOADERS: dict[str, Loader] = {
    "meeting_id": Loader("meeting", lambda actor, id_, _: get_meeting(actor, id_),
                         chaired_by=lambda actor, meeting: meeting.chair_id == actor.user_id),
    "case_id": Loader("case", _case, team_of=_not_team_scoped),
    "invitee_id": Loader("invitee", _invitee, team_of=_not_team_scoped),
    "series_id": Loader("series", lambda actor, id_, _: get_series(actor, id_)),
    "patient_id": Loader("patient", lambda actor, id_, _: get_patient(actor, id_),
                         team_of=_not_team_scoped),
    "number": Loader("version", _care_plan_version),
    "action_id": Loader("action", lambda actor, id_, _: get_action(actor, id_)),
    "visit_id": Loader("visit", lambda actor, id_, _: get_visit(actor, id_)),
    "merge_id": Loader("merge", _merge),
    "referral_id": Loader("referral", lambda actor, id_, _: get_referral(actor, id_)),
    "letter_id": Loader("letter", lambda actor, id_, _: get_letter(actor, id_)),
    "team_id": Loader("team", _team, team_of=lambda team: team.id),
    "invitation_id": Loader("invitation", _invitation),
    "reminder_id": Loader("reminder", _reminder, team_of=_not_team_scoped),
}


def _allowed(role: str, actor: Actor, loader: Loader, record) -> bool:
    if role == "member":
        return True
    team_id = loader.team_of(record)
    return (team_id is not None and actor.is_chair(team_id)) or loader.chaired_by(actor, record)


def chosen_team(actor: Actor, raw_team_id, role: str = "member") -> int:
    """The team a route without an id in its URL works on (`?team_id=`, or the form's):
    the one chosen, else the user's first team with the role. The same answers as @load:
    another team's id is a 404, a team without the role a 403 (both audited)."""
    team_id = int_or_none(raw_team_id) or next(
        (t for t in actor.team_ids if role == "member" or actor.is_chair(t)), None)
    if team_id is not None and team_id not in actor.team_ids:
        raise NotFound(f"team {team_id} is not this user's")
    if team_id is None or (role == "chair" and not actor.is_chair(team_id)):
        abort(403)
    return team_id


def load(*arguments: str, role: str = "member", fetch: Fetch | None = None):
    """Load the records named by the URL's `arguments` (in order) into the view's keywords;
    `role` is needed on the first record's team. `fetch` replaces the first argument's usual
    lookup (same contract: None is a 404)."""
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}")
    unknown = [a for a in arguments if a not in LOADERS]
    if unknown or not arguments:
        raise ValueError(f"no loader for {unknown or 'nothing'}")

    def wrap(view):
        @wraps(view)
        def loaded(*args, **kwargs):
            if role == "admin" and not current_user.is_admin:
                abort(403)  # not team-scoped: whether the record exists is not a team secret
            actor = current_actor()
            for index, argument in enumerate(arguments):
                loader = LOADERS[argument]
                lookup = fetch if fetch is not None and index == 0 else loader.fetch
                record = lookup(actor, kwargs[argument], kwargs)
                if record is None:
                    raise NotFound(f"no {loader.name} {kwargs[argument]} for this user")
                if index == 0 and role == "chair" and not _allowed(role, actor, loader, record):
                    abort(403)
                kwargs[loader.name] = record
            return view(*args, **kwargs)

        loaded.loads = {**getattr(view, "loads", {}), **dict.fromkeys(arguments, role)}
        return loaded
    return wrap
