from datetime import date, time

import pytest
from icalendar import Calendar

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings.models import Meeting
from mdt.meetings.service import MeetingDetails
from mdt.timeutil import london_today
from tests.meetings.conftest import meeting, team  # noqa: F401  (shared fixtures)


def next_date(month: int, day: int = 15) -> date:
    """The next such date at least a week ahead (summer or winter, always in the future)."""
    today = london_today()
    found = date(today.year, month, day)
    return found if (found - today).days >= 7 else date(today.year + 1, month, day)


def parse(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


@pytest.fixture
def chair_actor(app, request):
    from mdt.teams.service import get_or_create_team

    people = request.getfixturevalue("team")

    def make() -> Actor:
        team_id = get_or_create_team("Riverside").id
        return Actor(people.chair.id, (team_id,), {team_id: "chair"})
    return make


def details(source: Meeting, day: date, start=time(12, 30), end=time(14, 0),
            **changes) -> MeetingDetails:
    """The source meeting's details on another day (and times)."""
    fields = dict(title=source.title, day=day, start=start, end=end,
                  location=source.location, video_url=source.video_url,
                  chair_id=source.chair_id)
    return MeetingDetails(**{**fields, **changes})


def reload(meeting_id: int) -> Meeting:
    return db.session.get(Meeting, meeting_id)
