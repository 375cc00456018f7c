"""Everything the patient page shows, loaded with a fixed number of queries."""

from collections import defaultdict
from dataclasses import dataclass, field, replace

from blinker import Namespace
from sqlalchemy import case, select
from sqlalchemy.orm import aliased

from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients.key_info_queries import load_sections
from mdt.patients.lifecycle import TRANSITIONS, Status
from mdt.patients.models import (
    Hna,
    HnaConcern,
    KeyWorkerHandover,
    LifecycleEvent,
    Patient,
    PatientTeam,
)
from mdt.patients.review import ReviewStatus, review_status
from mdt.teams.models import Team
from mdt.timeutil import london_today

# What later features add to the page, asked for with (patient, actor=): each receiver
# returns some of Overview's fields (actions.init_app: actions and their logs;
# meetings.init_app: discussions). The patients folder imports neither.
overview_parts = Namespace().signal("patient-overview")


@dataclass
class TeamLink:
    team_id: int
    team_name: str
    key_worker: User | None
    listed_on: object
    interval_months: int
    status: str = "on_caseload"
    status_changed_on: object = None

    @property
    def on_caseload(self) -> bool:
        return self.status == Status.ON_CASELOAD

    @property
    def died(self) -> bool:
        return self.status == Status.DIED

    @property
    def can_come_back(self) -> bool:
        """Off the caseload in a way a re-referral undoes (the transition table says)."""
        return (Status(self.status), Status.ON_CASELOAD) in TRANSITIONS


@dataclass
class Overview:
    patient: Patient
    teams: list[TeamLink]
    sections: dict  # section name -> (KeyInfoSection, changed-by name)
    handovers: list  # (handover, from name, to name, recorded-by name), newest first
    hnas: list  # (hna, assessor name, [concerns]), newest first
    review: ReviewStatus
    actions: list  # ActionRow, open first
    action_logs: dict  # action id -> [(entry, user name)]
    discussions: list  # (case, meeting), newest first
    lifecycle: list = field(default_factory=list)  # (event, team name, by name)

    @property
    def read_only(self) -> bool:
        return not self.main_team.on_caseload

    @property
    def main_team(self) -> TeamLink:
        return self.teams[0]


def team_links(actor: Actor, patient_id: int) -> list[TeamLink]:
    rows = db.session.execute(
        select(PatientTeam, Team.name, Team.review_interval_months, User)
        .join(Team, Team.id == PatientTeam.team_id)
        .outerjoin(User, User.id == PatientTeam.key_worker_id)
        .where(PatientTeam.patient_id == patient_id, PatientTeam.team_id.in_(actor.team_ids))
        .order_by(case((PatientTeam.status == "on_caseload", 0), else_=1), PatientTeam.team_id))
    return [TeamLink(link.team_id, name, user, link.listed_on, interval, link.status,
                     link.status_changed_on)
            for link, name, interval, user in rows]


def history_teams(patient_id: int, team_ids, events=None) -> list[int]:
    """The teams whose history a receiving team sees: every team the patient was moved
    from into these teams, directly or along a chain of moves. (`events`: the patient's
    lifecycle events already read, as (event, ...) rows, to save a query.)"""
    if events is None:
        rows = db.session.execute(select(LifecycleEvent.team_id, LifecycleEvent.details).where(
            LifecycleEvent.patient_id == patient_id,
            LifecycleEvent.to_status == "on_caseload")).all()
    else:
        rows = [(e.team_id, e.details) for e, *_ in events if e.to_status == "on_caseload"]
    found, frontier = set(), set(team_ids)
    while frontier:
        step = {d.get("from_team_id") for t, d in rows
                if t in frontier and isinstance(d, dict) and d.get("from_team_id")}
        frontier = step - found - set(team_ids)
        found |= frontier
    return sorted(found)


def lifecycle_events(patient_id: int, team_ids=None) -> list:
    """(event, team name, recorded-by name), newest first: the caseload history (of these
    teams; None: of every team, for the caller to narrow)."""
    stmt = (select(LifecycleEvent, Team.name, User.name)
            .join(Team, Team.id == LifecycleEvent.team_id)
            .join(User, User.id == LifecycleEvent.recorded_by_id)
            .where(LifecycleEvent.patient_id == patient_id))
    if team_ids is not None:
        stmt = stmt.where(LifecycleEvent.team_id.in_(list(team_ids)))
    return db.session.execute(stmt.order_by(LifecycleEvent.id.desc())).all()


def load_overview(actor: Actor, patient: Patient) -> Overview:
    teams = team_links(actor, patient.id)
    # A team that took the patient over sees the history the earlier teams wrote: the
    # patient's events (a handful) are read once, for both questions, and narrowed here.
    events = lifecycle_events(patient.id)
    earlier = history_teams(patient.id, actor.team_ids, events)
    if earlier:
        actor = replace(actor, team_ids=tuple(actor.team_ids) + tuple(earlier))
    from_user, to_user, by_user = aliased(User), aliased(User), aliased(User)
    handovers = db.session.execute(
        select(KeyWorkerHandover, from_user.name, to_user.name, by_user.name)
        .outerjoin(from_user, from_user.id == KeyWorkerHandover.from_user_id)
        .outerjoin(to_user, to_user.id == KeyWorkerHandover.to_user_id)
        .join(by_user, by_user.id == KeyWorkerHandover.recorded_by_id)
        .where(KeyWorkerHandover.patient_id == patient.id,
               KeyWorkerHandover.team_id.in_(actor.team_ids))
        .order_by(KeyWorkerHandover.id.desc())).all()
    hna_rows, concerns = [], defaultdict(list)
    for hna, name, concern in db.session.execute(  # each HNA with its concerns: one query
            select(Hna, User.name, HnaConcern).join(User, User.id == Hna.assessed_by_id)
            .outerjoin(HnaConcern, HnaConcern.hna_id == Hna.id)
            .where(Hna.patient_id == patient.id, Hna.team_id.in_(actor.team_ids))
            .order_by(Hna.assessed_on.desc(), Hna.id.desc(), HnaConcern.id)):
        if not hna_rows or hna_rows[-1][0].id != hna.id:
            hna_rows.append((hna, name))
        if concern is not None:
            concerns[hna.id].append(concern)
    main = teams[0]
    review = review_status(last_hna=hna_rows[0][0].assessed_on if hna_rows else None,
                           stage_changed_on=patient.pathway_stage_changed_on,
                           listed_on=main.listed_on, interval_months=main.interval_months,
                           today=london_today())
    parts = {"actions": [], "action_logs": {}, "discussions": []}
    for _, found in overview_parts.send(patient, actor=actor):
        parts.update(found)
    return Overview(patient=patient, teams=teams, sections=load_sections(patient.id),
                    handovers=handovers,
                    hnas=[(hna, name, concerns[hna.id]) for hna, name in hna_rows],
                    review=review, **parts,
                    lifecycle=[row for row in events if row[0].team_id in actor.team_ids])
