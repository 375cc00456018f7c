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

Each feature registers the loaders of its records with `register(...)` (in its views
module), so this module imports no feature. The decorator marks the view with `view.loads = {argument: role}`; tests/test_loaders.py
fails any route with an id in its URL and no loader for it. Put `@load` next to the `def`
(innermost), under the sign-in decorators.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from flask import abort
from flask_login import current_user

from mdt.auth.actor import Actor
from mdt.auth.scope import current_actor, current_teams
from mdt.errors import NotFound
from mdt.forms import int_or_none

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


def not_team_scoped(record):
    """team_of for a record scoped through the one loaded before it (a case of a meeting)."""
    return None


# {URL argument: its loader}. Each feature registers the loaders of its own records (in its
# views module, so this module imports no feature and sits below them all).
LOADERS: dict[str, Loader] = {
    "team_id": Loader("team", _team, team_of=lambda team: team.id),
}


def register(argument: str, name: str, fetch: Fetch, *,
             team_of: Callable[[object], int | None] | None = None,
             chaired_by: Callable[[Actor, object], bool] | None = None) -> None:
    options = {"team_of": team_of, "chaired_by": chaired_by}
    LOADERS[argument] = Loader(name, fetch, **{k: v for k, v in options.items() if v})


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
    if not arguments:
        raise ValueError("name the URL arguments to load")

    def wrap(view):
        @wraps(view)
        def loaded(*args, **kwargs):
            if role == "admin" and not current_user.is_admin:
                abort(403)  # not team-scoped: whether the record exists is not a team secret
            actor = current_actor()
            for index, argument in enumerate(arguments):
                loader = LOADERS[argument]  # all registered once the app is made
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


def load_field(argument: str, raw, loaded: dict):
    """A record named by a form field rather than the URL (one form for a whole list, each
    button carrying its record's id), loaded exactly as @load loads a URL's later ids:
    through the registered loader, inside the records loaded before it (`loaded`, e.g.
    {"meeting": meeting}). Absent, another meeting's or another team's id: NotFound (404),
    audited by the app-wide handler as a refusal naming the id sent, as for a URL's."""
    from flask import request

    record_id = int_or_none(raw)
    if record_id is not None and record_id > 2**31 - 1:  # no such id (PostgreSQL's integer)
        record_id = None
    record = LOADERS[argument].fetch(current_actor(), record_id, loaded) \
        if record_id is not None else None
    if record is None:
        if request.view_args is not None:  # the refusal's audit row names the id sent
            request.view_args[argument] = record_id if record_id is not None \
                else str(raw)[:20]
        raise NotFound(f"no {LOADERS[argument].name} {str(raw)[:20]} for this user")
    return record
