from datetime import date

from hypothesis import given
from hypothesis import strategies as st

from mdt.patients.review import add_months, review_status

TODAY = date(2026, 11, 24)


def status(**kw):
    args = {"last_hna": None, "stage_changed_on": None, "listed_on": date(2026, 1, 1),
            "interval_months": 6, "today": TODAY}
    args.update(kw)
    return review_status(**args)


def test_six_months_after_the_last_hna():
    assert status(last_hna=date(2026, 9, 1)).due_on == date(2027, 3, 1)
    assert status(last_hna=date(2026, 9, 1)).state == "ok"


def test_due_within_thirty_days_is_flagged_due_soon():
    result = status(last_hna=date(2026, 6, 10))  # due 10 Dec 2026
    assert (result.due_on, result.state) == (date(2026, 12, 10), "due_soon")
    assert status(last_hna=date(2026, 5, 24)).state == "due_soon"  # due today
    assert status(last_hna=date(2026, 6, 25)).state == "ok"  # due 25 Dec: 31 days away


def test_past_due_is_overdue():
    assert status(last_hna=date(2026, 5, 23)).state == "overdue"


def test_no_hna_is_due_from_listing():
    result = status(listed_on=date(2026, 11, 1))
    assert (result.due_on, result.state) == (date(2026, 11, 1), "overdue")
    assert status(listed_on=TODAY).state == "due_soon"


def test_a_stage_change_after_the_last_hna_makes_a_review_due_now():
    result = status(last_hna=date(2026, 10, 1), stage_changed_on=TODAY)
    assert (result.due_on, result.state) == (TODAY, "due_soon")
    # A stage change before the last HNA was already reviewed: no effect.
    assert status(last_hna=date(2026, 10, 1), stage_changed_on=date(2026, 9, 1)).due_on == \
        date(2027, 4, 1)


def test_team_interval_is_respected():
    assert status(last_hna=date(2026, 9, 1), interval_months=12).due_on == date(2027, 9, 1)


def test_month_end_is_clamped():
    assert add_months(date(2026, 8, 31), 6) == date(2027, 2, 28)
    assert add_months(date(2027, 8, 31), 6) == date(2028, 2, 29)


@given(st.dates(min_value=date(1990, 1, 1), max_value=date(2090, 1, 1)), st.integers(1, 24))
def test_add_months_moves_forward_by_about_that_many_months(day, months):
    later = add_months(day, months)
    assert (later.year - day.year) * 12 + later.month - day.month == months
    assert later.day <= day.day
