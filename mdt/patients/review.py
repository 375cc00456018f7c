"""When a patient's next Holistic Needs Assessment / review is due: pure rules, no database.

- Next review = the last HNA + the team's interval (6 months by default).
- No HNA yet: due from the day the patient joined the team's list.
- A pathway-stage change after the last HNA makes a review due from the day of the change
  (transitions are when reviews matter most).
"""

import calendar
from dataclasses import dataclass
from datetime import date, timedelta

DUE_SOON_DAYS = 30


def add_months(day: date, months: int) -> date:
    """Same day of the month, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class ReviewStatus:
    due_on: date
    state: str  # "overdue", "due_soon" or "ok"

    @property
    def flagged(self) -> bool:
        return self.state != "ok"

    @property
    def is_overdue(self) -> bool:
        return self.state == "overdue"

    @property
    def is_due_soon(self) -> bool:
        return self.state == "due_soon"


def review_status(*, last_hna: date | None, stage_changed_on: date | None, listed_on: date,
                  interval_months: int, today: date) -> ReviewStatus:
    if last_hna is None:
        due = stage_changed_on if stage_changed_on and stage_changed_on > listed_on else listed_on
    else:
        due = add_months(last_hna, interval_months)
        if stage_changed_on and stage_changed_on > last_hna:
            due = min(due, stage_changed_on)
    if due < today:
        state = "overdue"
    elif due <= today + timedelta(days=DUE_SOON_DAYS):
        state = "due_soon"
    else:
        state = "ok"
    return ReviewStatus(due_on=due, state=state)
