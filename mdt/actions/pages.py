"""The actions board as one object: what the page shows, assembled in one place, and the
questions its template asks (is this row overdue? is the filter on "any"?)."""

from dataclasses import dataclass, field
from datetime import date

from mdt.actions import queries
from mdt.actions.lifecycle import ActionStatus
from mdt.actions.models import STATUSES
from mdt.auth.actor import Actor
from mdt.teams.service import team_members
from mdt.timeutil import london_today


@dataclass
class BoardPage:
    team_id: int
    teams: list
    rows: list[queries.ActionRow]
    members: list
    owner_id: int | None
    status: str  # the status filter: one of STATUSES, or "" for any
    overdue: bool
    today: date
    statuses: dict = field(default_factory=lambda: STATUSES)

    @classmethod
    def build(cls, actor: Actor, team_id: int, teams, *, status: str | None,
              owner_id: int | None, overdue: bool) -> "BoardPage":
        status = ActionStatus.OPEN if status is None else status
        status = status if status in STATUSES or status == "" else ActionStatus.OPEN
        today = london_today()
        rows = queries.team_board(actor, team_id, owner_id=owner_id, status=status,
                                  overdue_only=overdue, today=today)
        return cls(team_id=team_id, teams=teams, rows=rows,
                   members=[u for _, u in team_members([team_id])], owner_id=owner_id,
                   status=str(status), overdue=overdue, today=today)

    @property
    def any_status(self) -> bool:
        return self.status == ""

    def is_overdue(self, row: queries.ActionRow) -> bool:
        return row.is_overdue(self.today)

    def context(self) -> dict:
        """The names the template reads, and the page itself for its questions."""
        return dict(page=self, rows=self.rows, team_id=self.team_id, teams=self.teams,
                    members=self.members, owner_id=self.owner_id, status=self.status,
                    overdue=self.overdue, statuses=self.statuses, today=self.today)
