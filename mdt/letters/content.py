"""What an outcome letter says, as plain data: built from the meeting's record by
mdt.letters.queries, rendered by templates/letters/_letter.html (page and PDF alike).
Pure functions here: no Flask, no database."""

from dataclasses import dataclass, field
from datetime import date


def practice_key(name: str | None) -> str:
    """'Riverside  Medical practice ' and 'riverside medical practice' are one practice."""
    return " ".join((name or "").lower().split())


@dataclass(frozen=True)
class LetterAction:
    description: str
    owner: str
    due_on: date
    status: str


@dataclass(frozen=True)
class KeyWorker:
    name: str
    role: str
    organisation: str
    phone: str
    email: str


@dataclass
class Letter:
    letter_id: int
    team_name: str
    meeting_title: str
    meeting_day: date
    practice: str
    usual_gp: str
    patient_name: str
    nhs_number: str
    date_of_birth: date
    address: str
    postcode: str
    question: str
    summary: str
    outcome: str
    decisions: str
    actions: list[LetterAction] = field(default_factory=list)
    key_worker: KeyWorker | None = None
    review_due: date | None = None
    next_meeting: date | None = None
    chair_name: str = ""
    filed: bool = False

    @property
    def salutation(self) -> str:
        return f"Dear {self.usual_gp}" if self.usual_gp else "Dear colleague"

    @property
    def next_review(self) -> str:
        """The next review in words, the earlier first."""
        parts = []
        if self.next_meeting:
            parts.append(f"Listed again for the MDT meeting on {self.next_meeting:%-d %B %Y}.")
        if self.review_due:
            parts.append(f"Next Holistic Needs Assessment review due by "
                         f"{self.review_due:%-d %B %Y}.")
        return " ".join(parts) or "No further MDT review is planned: the team will list the " \
            "patient again if their needs change."


def by_practice(letters: list[Letter]) -> dict[str, list[Letter]]:
    """{practice: letters}, practices in name order, letters by patient surname."""
    grouped: dict[str, list[Letter]] = {}
    for letter in sorted(letters, key=lambda x: (practice_key(x.practice),
                                                x.patient_name.split()[-1].lower())):
        grouped.setdefault(letter.practice or "No practice recorded", []).append(letter)
    return grouped
