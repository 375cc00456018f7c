"""Issue 18: times that exist. Every UK clock change from 2026 to 2040: a time the clocks
skip is refused with a message naming the change, a time that happens twice asks which,
and what is stored converts back to the time the user gave, with the end after the start
(compared in UTC)."""

from datetime import date, time, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from mdt.extensions import db
from mdt.timeutil import (
    LONDON,
    checked_london_to_utc,
    clock_problem,
    exists,
    is_ambiguous,
    london_to_utc,
    to_london,
)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month + 1, 1) - timedelta(days=1)
    return day - timedelta(days=(day.weekday() + 1) % 7)


CHANGES = [_last_sunday(y, m) for y in range(2026, 2041) for m in (3, 10)]
clocks = st.builds(time, st.integers(0, 23), st.sampled_from([0, 1, 15, 29, 30, 45, 59]))


def test_the_change_days_are_the_real_ones():
    for day in CHANGES:
        before = to_london(london_to_utc(day, time(0, 30))).utcoffset()
        after = to_london(london_to_utc(day, time(4, 0))).utcoffset()
        assert before != after, day


@settings(max_examples=400)
@given(day=st.sampled_from(CHANGES), clock=clocks)
def test_every_time_on_a_change_day_is_stored_once_or_refused(day, clock):
    problem = clock_problem(day, clock)
    when = f"{day.day} {day:%B %Y}"
    if not exists(day, clock):
        assert day.month == 3 and time(1, 0) <= clock < time(2, 0)
        assert problem.startswith(f"The clocks go forward at 01:00 on {when}")
        assert "choose 02:00 or later" in problem
        with pytest.raises(ValueError):
            checked_london_to_utc(day, clock)
    elif is_ambiguous(day, clock):
        assert day.month == 10 and time(1, 0) <= clock < time(2, 0)
        assert "happens twice (the clocks go back at 02:00)" in problem
        first, second = (checked_london_to_utc(day, clock, fold) for fold in (0, 1))
        assert second - first == timedelta(hours=1)
        for instant in (first, second):
            assert to_london(instant).time() == clock and to_london(instant).date() == day
    else:
        assert problem is None
        stored = checked_london_to_utc(day, clock)
        assert to_london(stored).replace(tzinfo=None) == datetime_of(day, clock)


def datetime_of(day, clock):
    from datetime import datetime
    return datetime.combine(day, clock)


@pytest.fixture
def chair(app, make_user):
    from mdt.auth.actor import Actor
    from mdt.teams.service import get_or_create_team

    user = make_user(role="chair")
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
    return Actor(user.id, (team_id,), {team_id: "chair"}), user


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(day=st.sampled_from(CHANGES), start=clocks, minutes=st.integers(5, 180),
       folds=st.sampled_from([(None, None), (0, 0), (1, 1), (0, 1)]))
def test_a_one_off_meeting_on_a_change_day_ends_after_it_starts(app, chair, day, start,
                                                                minutes, folds):
    from mdt.meetings.service import MeetingDetails, MeetingError, validate_details

    actor, user = chair
    end = (datetime_of(day, start) + timedelta(minutes=minutes))
    if end.date() != day:
        return
    details = MeetingDetails(title="MDT", day=day, start=start, end=end.time(),
                             chair_id=user.id, start_fold=folds[0], end_fold=folds[1])
    with app.app_context():
        try:
            validate_details(actor, actor.team_ids[0], details, allow_past=True)
        except MeetingError as exc:
            message = " ".join(exc.errors.values())
            assert ("clocks go forward" in message or "happens twice" in message
                    or "must end after it starts" in message), message
            return
    starts, ends = details.starts_at(), details.ends_at()
    assert ends > starts
    assert to_london(starts).time() == start and to_london(ends).time() == end.time()


# No per-example deadline: on a loaded 2-core machine one example took 420 ms (a flake).
@settings(max_examples=200, deadline=None)
@given(first=st.dates(date(2026, 1, 1), date(2039, 12, 31)), clock=clocks,
       weekday=st.integers(0, 6), weekly=st.booleans())
def test_a_series_never_meets_at_a_time_a_change_skips_or_repeats(first, clock, weekday,
                                                                  weekly):
    from mdt.meetings import recurrence
    from mdt.meetings.service import MeetingDetails, MeetingError, series_clock_check

    rule = recurrence.weekly_rule(1, weekday) if weekly else recurrence.monthly_rule(-1, weekday)
    end = (datetime_of(first, clock) + timedelta(minutes=30)).time()
    details = MeetingDetails(title="MDT", day=first, start=clock, end=end)
    dates = recurrence.occurrences(rule, first, after=first - timedelta(days=1), count=400)
    bad = [d for d in dates if clock_problem(d, clock) or clock_problem(d, end)]
    if bad:
        with pytest.raises(MeetingError) as refused:
            series_clock_check(rule, details)
        assert "The clocks change on" in " ".join(refused.value.errors.values())
    else:
        series_clock_check(rule, details)  # no error
        for day in dates:
            assert to_london(london_to_utc(day, clock)).time() == clock


@settings(max_examples=100)
@given(day=st.sampled_from(CHANGES), clock=clocks)
def test_a_visit_at_a_time_that_does_not_happen_once_is_refused(day, clock):
    from mdt.visits.service import visit_time_problem

    problem = visit_time_problem(day, clock)
    assert (problem is None) == (clock_problem(day, clock) is None)
    if problem:
        assert "choose a time outside 01:00 to 01:59" in problem


@settings(max_examples=60)
@given(day=st.sampled_from(CHANGES))
def test_action_reminders_keep_their_uk_time_on_change_days(day):
    """Actions are due on a date; their morning summary goes at 08:00 UK time, even on the
    days the clocks change."""
    from mdt.reminders.planner import DEFAULT_TIMING

    due = london_to_utc(day, DEFAULT_TIMING.digest_at)
    assert to_london(due).time() == DEFAULT_TIMING.digest_at
    assert to_london(due).utcoffset() == LONDON.utcoffset(datetime_of(day, time(8, 0)))


def test_the_meeting_form_refuses_a_skipped_time_and_asks_which_of_a_repeated_one(
        app, client_request, make_user):
    from icalendar import Calendar

    from mdt.meetings.models import Meeting
    from tests.meetings.conftest import date_fields

    user = make_user(role="chair")
    client_request.sign_in(user)

    def schedule(day, start, end, status):
        return client_request.post("meetings.new", _data={
            "title": "Night MDT", "start": start, "end": end, "chair_id": user.id,
            **date_fields("day", day)}, _expected_status=status)

    page = schedule(date(2027, 3, 28), "01:30", "02:15", 400)
    assert "The clocks go forward at 01:00 on 28 March 2027" in page.select_one(
        ".nhsuk-error-summary").get_text()
    page = schedule(date(2027, 10, 31), "01:30", "02:15", 400)
    assert "01:30 on 31 October 2027 happens twice" in page.select_one(
        ".nhsuk-error-summary").get_text()
    schedule(date(2027, 10, 31), "01:30 BST", "01:45 GMT", 303)
    with app.app_context():
        meeting = db.session.scalar(select(Meeting))
        assert meeting.starts_at.isoformat().startswith("2027-10-31T00:30")
        assert meeting.ends_at.isoformat().startswith("2027-10-31T01:45")
        meeting_id = meeting.id
    ics = client_request.client.get(f"/meetings/{meeting_id}/invite.ics").data
    event = Calendar.from_ical(ics).walk("VEVENT")[0]
    assert event["DTEND"].dt > event["DTSTART"].dt
    assert (event["DTEND"].dt - event["DTSTART"].dt) == timedelta(minutes=75)
