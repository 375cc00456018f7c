from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mdt.meetings.recurrence import (
    describe,
    is_occurrence,
    monthly_rule,
    occurrences,
    weekly_rule,
)


def test_second_tuesday_of_each_month():
    rule = monthly_rule(2, 1)
    assert rule == "FREQ=MONTHLY;BYDAY=+2TU"
    assert describe(rule) == "Every month on the second Tuesday"
    assert occurrences(rule, date(2026, 1, 1), after=date(2026, 11, 24), count=3) == [
        date(2026, 12, 8), date(2027, 1, 12), date(2027, 2, 9)]


def test_last_friday_and_fortnightly():
    assert occurrences(monthly_rule(-1, 4), date(2026, 1, 1), after=date(2026, 2, 1),
                       count=2) == [date(2026, 2, 27), date(2026, 3, 27)]
    rule = weekly_rule(2, 2)
    assert describe(rule) == "Every 2 weeks on Wednesday"
    assert occurrences(rule, date(2026, 11, 25), after=date(2026, 11, 20), count=3) == [
        date(2026, 11, 25), date(2026, 12, 9), date(2026, 12, 23)]


def test_is_occurrence():
    rule = monthly_rule(2, 1)
    assert is_occurrence(rule, date(2026, 1, 1), date(2026, 12, 8))
    assert not is_occurrence(rule, date(2026, 1, 1), date(2026, 12, 9))


def test_bad_rules_are_refused():
    with pytest.raises(ValueError):
        monthly_rule(5, 1)
    with pytest.raises(ValueError):
        weekly_rule(0, 1)


@given(st.sampled_from([1, 2, 3, 4, -1]), st.integers(0, 6),
       st.dates(min_value=date(2024, 1, 1), max_value=date(2040, 1, 1)))
def test_monthly_occurrences_fall_on_that_weekday_once_a_month(nth, weekday, after):
    days = occurrences(monthly_rule(nth, weekday), date(2024, 1, 1), after=after, count=6)
    assert len(days) == 6
    assert all(d.weekday() == weekday and d >= after for d in days)
    assert len({(d.year, d.month) for d in days}) == 6
