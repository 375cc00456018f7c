"""Team scoping in one place: which teams the signed-in user belongs to, and in what role.

Every query for team data filters by current_team_ids(); a record of another team is a 404.
"""

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from mdt.auth.actor import Actor
from mdt.auth.models import Membership
from mdt.auth.oidc.assurance import session_meets
from mdt.extensions import db


def team_roles() -> dict[int, str]:
    """{team_id: role} for the current user, read once per request."""
    if "team_roles" not in g:
        if not current_user.is_authenticated:
            g.team_roles = {}
        else:
            roles = g.get("signed_in_roles")  # read with the session (auth.views.load_user)
            if roles is None:
                roles = dict(db.session.execute(select(Membership.team_id, Membership.role)
                                                .where(Membership.user_id == current_user.id))
                             .all())
            # A deployment may ask chairs for a stronger sign-in (CHAIR_MIN_ASSURANCE): below
            # it, a chair acts as a member until they sign in again with enough assurance.
            if "chair" in roles.values() and not session_meets("CHAIR_MIN_ASSURANCE"):
                roles = {team: "member" for team in roles}
                g.chair_needs_assurance = True
            g.team_roles = roles
    return g.team_roles


def current_team_ids() -> list[int]:
    return sorted(team_roles())


def chaired_team_ids() -> list[int]:
    return sorted(t for t, role in team_roles().items() if role == "chair")


def current_teams() -> list:
    """The user's teams (mdt.teams.models.Team rows) by name, read once per request."""
    ids = current_team_ids()  # (signing in reads the teams too: auth.views.load_user)
    if "teams" not in g:
        memberships = db.session.scalars(
            select(Membership).where(Membership.user_id == current_user.id,
                                     Membership.team_id.in_(ids))
            .options(joinedload(Membership.team))).all() if ids else []
        g.teams = sorted((membership.team for membership in memberships),
                         key=lambda team: team.name)
    return g.teams


def current_actor() -> Actor:
    return Actor(user_id=current_user.id, team_ids=tuple(current_team_ids()), roles=team_roles())


def team_member_required(view):
    """Signed in and on at least one team (the patient pages need a team to scope by)."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not team_roles():
            abort(403)
        return view(*args, **kwargs)
    return wrapped


def chair_required(view):
    """Signed in and chair of at least one team; routes narrow to the team themselves."""
    @wraps(view)
    @login_required
    def wrapped(*args, **kwargs):
        if not chaired_team_ids() and not current_user.is_admin:
            abort(403)
        return view(*args, **kwargs)
    return wrapped
