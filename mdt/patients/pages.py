"""The patient page as one object: the overview it shows (patients/overview.py gathers it
from the patients, actions and meetings features) and the questions its template asks."""

from dataclasses import dataclass
from datetime import date

from mdt.auth.actor import Actor
from mdt.patients import key_info
from mdt.patients.models import Patient
from mdt.patients.overview import Overview, load_overview
from mdt.timeutil import london_today


@dataclass
class PatientPage:
    overview: Overview
    chairs_main_team: bool
    today: date

    @classmethod
    def build(cls, actor: Actor, patient: Patient) -> "PatientPage":
        overview = load_overview(actor, patient)
        return cls(overview, actor.is_chair(overview.main_team.team_id), london_today())

    # The template's questions.
    @property
    def can_edit(self) -> bool:
        """Off the caseload (died, discharged, moved), the record is read-only."""
        return not self.overview.read_only

    @property
    def can_re_refer(self) -> bool:
        """A chair of the team may put a discharged or transferred patient back."""
        return self.overview.main_team.can_come_back and self.chairs_main_team

    def context(self) -> dict:
        return dict(page=self, overview=self.overview, sections=key_info.SECTIONS,
                    today=self.today)
