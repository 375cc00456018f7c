"""Teams and memberships."""

from sqlalchemy import select

from mdt.auth.models import PROFESSIONS, SKILLS, User
from mdt.auth.service import find_user, hash_password, normalise_email
from mdt.extensions import db
from mdt.teams.models import ROLES, Membership, Team


def get_or_create_team(name: str) -> Team:
    team = db.session.scalar(select(Team).where(Team.name == name))
    if team is None:
        team = Team(name=name)
        db.session.add(team)
        db.session.flush()
    return team


def add_user(*, email, name, password, profession="other", organisation="", phone="",
             skills=(), is_admin=False, team_name=None, role="member") -> User:
    email = normalise_email(email)
    if "@" not in email:
        raise ValueError("Enter an email address like name@example.nhs.uk")
    if find_user(email):
        raise ValueError(f"A user with email {email} already exists")
    if profession not in PROFESSIONS:
        raise ValueError(f"Unknown profession {profession}")
    unknown = set(skills) - set(SKILLS)
    if unknown:
        raise ValueError(f"Unknown skills: {', '.join(sorted(unknown))}")
    user = User(email=email, name=name.strip(),
                password_hash=hash_password(password, email=email, name=name,
                                            teams=(team_name,) if team_name else ()),
                profession=profession, organisation=organisation, phone=phone,
                skills=list(skills), is_admin=is_admin)
    db.session.add(user)
    db.session.flush()
    if team_name:
        add_member(get_or_create_team(team_name), user, role)
    return user


def add_member(team: Team, user: User, role: str = "member") -> Membership:
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}")
    membership = Membership(team_id=team.id, user_id=user.id, role=role)
    db.session.add(membership)
    return membership


def team_members(team_ids) -> list[tuple[int, User]]:
    """(team_id, user) for every member of these teams, by name: for owner / key worker
    choices."""
    rows = db.session.execute(
        select(Membership.team_id, User).join(User, User.id == Membership.user_id)
        .where(Membership.team_id.in_(list(team_ids)), User.is_active.is_(True))
        .order_by(User.name))
    return [(team_id, user) for team_id, user in rows]


def member_choices(team_id: int, blank: str | None = None) -> list[tuple]:
    """(id, "Name (profession)") of the team's members for a select, after a blank choice."""
    return ([("", blank)] if blank else []) + [
        (user.id, f"{user.name} ({user.profession_label})") for _, user in team_members([team_id])]


def team_names(team_ids) -> dict[int, str]:
    return dict(db.session.execute(select(Team.id, Team.name).where(Team.id.in_(list(team_ids))))
                .all()) if team_ids else {}


def is_member(team_id: int, user_id: int | None) -> bool:
    return user_id is not None and db.session.scalar(
        select(Membership.id).where(Membership.team_id == team_id,
                                    Membership.user_id == user_id)) is not None


SETTINGS = ("review_interval_months", "minutes_urgent", "minutes_soon", "minutes_routine",
            "case_limit", "minutes_limit")


def update_settings(actor, team_id: int, **values: int) -> Team:
    """Chairs only (the view checks); each change is audited."""
    from mdt.audit import service as audit

    team = db.session.get(Team, team_id)
    changes = {}
    for name, value in values.items():
        if name not in SETTINGS:
            raise ValueError(name)
        before = getattr(team, name)
        if before != value:
            setattr(team, name, value)
            changes[name] = [str(before), str(value)]
    if changes:
        audit.record(user_id=actor.user_id, role=actor.role(team_id), team_id=team_id,
                     action="change", record_type="team", record_id=team_id, changes=changes)
    db.session.flush()
    return team
