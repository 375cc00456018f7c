"""The timed agenda's arithmetic: pure functions, no database."""

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mdt.meetings import agenda
from mdt.meetings.agenda import Item
from mdt.timeutil import LONDON, london_to_utc

START = london_to_utc(datetime(2026, 12, 8).date(), time(12, 30))
END = START + timedelta(minutes=90)


def clock(value):
    return value.astimezone(LONDON).strftime("%H:%M")


def test_each_case_starts_when_the_one_before_ends():
    timetable = agenda.plan(START, END, [Item(1, 15), Item(2, 10), Item(3, 5)])
    assert [clock(s.starts_at) for s in timetable.slots.values()] == ["12:30", "12:45", "12:55"]
    assert clock(timetable.ends_at) == "13:00"
    assert (timetable.minutes, timetable.count, timetable.warnings) == (30, 3, ())


def test_a_break_pushes_every_later_case_back():
    timetable = agenda.plan(START, END, [Item(1, 15, break_after=10), Item(2, 10), Item(3, 5)])
    assert [clock(s.starts_at) for s in timetable.slots.values()] == ["12:30", "12:55", "13:05"]
    assert (timetable.minutes, timetable.break_minutes) == (30, 10)


def test_a_break_after_the_last_case_does_not_make_the_list_run_over():
    timetable = agenda.plan(START, START + timedelta(minutes=30),
                            [Item(1, 15), Item(2, 15, break_after=20)])
    assert timetable.warnings == ()


def test_deferred_removed_and_carried_forward_cases_take_no_time():
    items = [Item(1, 15, "deferred"), Item(2, 10), Item(3, 5, "removed"),
             Item(4, 5, "carried_forward"), Item(5, 10, "discussed"), Item(6, 10)]
    timetable = agenda.plan(START, END, items)
    assert list(timetable.slots) == [2, 5, 6]
    assert [clock(s.starts_at) for s in timetable.slots.values()] == ["12:30", "12:40", "12:50"]


def test_a_meeting_moved_to_another_day_keeps_its_uk_clock_times_across_a_change_of_clocks():
    """12:30 on a summer day is 11:30 UTC; on a winter day 12:30 UTC. The agenda follows."""
    items = [Item(1, 20), Item(2, 25)]
    for day in (datetime(2026, 7, 14).date(), datetime(2026, 12, 8).date()):
        start = london_to_utc(day, time(12, 30))
        timetable = agenda.plan(start, start + timedelta(minutes=90), items)
        assert [clock(s.starts_at) for s in timetable.slots.values()] == ["12:30", "12:50"]
        assert timetable.slots[2].starts_at.astimezone(LONDON).date() == day
    summer = agenda.plan(london_to_utc(datetime(2026, 7, 14).date(), time(12, 30)), END, items)
    assert summer.slots[1].starts_at.astimezone(UTC).hour == 11


def test_warnings_past_the_end_and_past_the_team_limits():
    items = [Item(i, 5) for i in range(1, 22)]  # 21 cases, 105 minutes
    timetable = agenda.plan(START, END, items, case_limit=20, minutes_limit=60, tz=LONDON)
    text = " ".join(timetable.warnings)
    assert "runs to about 14:15, 15 minutes past the meeting's end (14:00)" in text
    assert "21 cases: more than the team's limit of 20" in text
    assert "105 minutes of discussion: more than the team's limit of 60" in text
    assert agenda.plan(START, END, items[:12], case_limit=20, minutes_limit=60).warnings == ()


def test_empty_list_ends_at_the_start():
    timetable = agenda.plan(START, END, [])
    assert (timetable.ends_at, timetable.count, timetable.slots) == (START, 0, {})


def test_blocks_are_runs_of_the_same_group():
    items = [Item(1, 10, group="Riverside"), Item(2, 10, group="Riverside"),
             Item(3, 5, group="Bridge Street"), Item(4, 5, group="Riverside")]
    found = agenda.blocks(items, agenda.plan(START, END, items))
    assert [(b.group, clock(b.starts_at), clock(b.ends_at), b.count) for b in found] == [
        ("Riverside", "12:30", "12:50", 2), ("Bridge Street", "12:50", "12:55", 1),
        ("Riverside", "12:55", "13:00", 1)]


def test_grouping_keeps_first_appearance_order_and_order_within_groups():
    items = [Item(1, 10, group="A"), Item(2, 10, group="B"), Item(3, 5, group="A"),
             Item(4, 5, group="C"), Item(5, 5, group="B")]
    assert agenda.grouped_order(items) == [1, 3, 2, 5, 4]


def test_your_block_spans_your_first_to_your_last_case():
    items = [Item(1, 10), Item(2, 10), Item(3, 5), Item(4, 5, "deferred")]
    timetable = agenda.plan(START, END, items)
    block = agenda.your_block(timetable, {2, 3, 4})
    assert (clock(block.starts_at), clock(block.ends_at), block.count) == ("12:40", "12:55", 2)
    assert agenda.your_block(timetable, {4}) is None


def test_progress_compares_time_used_with_the_plan_for_cases_discussed():
    items = [Item(1, 15, "discussed", break_after=5), Item(2, 10, "discussed"),
             Item(3, 10), Item(4, 5, "deferred"), Item(5, 5)]
    now = START + timedelta(minutes=42)
    result = agenda.progress(items, START, now)
    assert (result.used, result.planned, result.behind, result.remaining) == (42, 30, 12, 15)
    assert result.expected_end == now + timedelta(minutes=15)


@given(st.lists(st.tuples(st.integers(1, 120), st.integers(0, 30),
                          st.sampled_from(["listed", "discussed", "deferred", "removed"])),
                max_size=40))
def test_timetable_has_no_gaps_or_overlaps_beyond_breaks(spec):
    items = [Item(i, minutes, status, brk) for i, (minutes, brk, status) in enumerate(spec)]
    timetable = agenda.plan(START, END, items)
    timed = [i for i in items if i.status not in agenda.NO_TIME]
    at = START
    for item in timed:
        slot = timetable.slots[item.case_id]
        assert slot.starts_at == at
        assert slot.ends_at - slot.starts_at == timedelta(minutes=item.minutes)
        at = slot.ends_at + timedelta(minutes=item.break_after)
    assert timetable.minutes == sum(i.minutes for i in timed)
