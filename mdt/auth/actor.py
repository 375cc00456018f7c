"""Who is acting: passed to every service function, for team scoping and the audit log."""

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Actor:
    user_id: int
    team_ids: tuple[int, ...]
    roles: dict = field(default_factory=dict)  # {team_id: "chair" | "member"}

    def role(self, team_id) -> str:
        return self.roles.get(team_id, "")

    def is_chair(self, team_id) -> bool:
        return self.roles.get(team_id) == "chair"
