"""The direct feed writer gives icalendar's bytes exactly, for any text and any time
(the nights the clocks change included), and is much faster."""

import time
from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from mdt.calendar import ics, ics_writer

STAMP = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
# any unicode, and often the characters that need care: escapes, folds, quotes, a BOM
text = st.text(max_size=120) | st.text(alphabet=st.sampled_from(
    ["\ufeff", "\r", "\n", ",", ";", "\\", "^", "'", '"', " ", ":", "a", "é", "😀"]),
    max_size=90)
moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2032, 12, 31),
                       timezones=st.just(UTC))
people = st.builds(ics.Person, email=st.from_regex(r"[a-z]{1,12}@[a-z]{1,10}\.nhs\.uk",
                                                   fullmatch=True),
                   name=text, role=st.just("CHAIR"))
meetings = st.builds(
    ics.MeetingEvent, uid=st.from_regex(r"meeting-[0-9]{1,6}@neighbourhood-mdt", fullmatch=True),
    sequence=st.integers(0, 50), title=text, starts_at=moments,
    ends_at=moments, location=text, video_url=st.sampled_from(["", "https://meet.nhs.uk/x"]),
    url=st.sampled_from(["", "https://mdt.example/meetings/12"]), description=text,
    cancelled=st.booleans(), organizer=st.none() | people,
    rrule=st.sampled_from(["", "FREQ=MONTHLY;BYDAY=+2TU", "FREQ=WEEKLY;INTERVAL=2;BYDAY=WE"]),
    exdates=st.lists(moments, max_size=3).map(tuple),
    recurrence_id=st.none() | moments)
all_days = st.builds(
    ics.AllDayEvent, uid=st.from_regex(r"action-[0-9]{1,6}-due@neighbourhood-mdt",
                                       fullmatch=True),
    day=st.dates(min_value=date(2020, 1, 1), max_value=date(2032, 12, 31)), title=text,
    url=st.sampled_from(["", "https://mdt.example/actions/3"]), description=text,
    categories=st.lists(text, max_size=2).map(tuple))


# icalendar refuses a calendar name with a line break (team names are one line)
@settings(max_examples=250, deadline=None)
@given(name=text.filter(lambda s: "\n" not in s and "\r" not in s),
       meetings=st.lists(meetings, max_size=4), all_day=st.lists(all_days, max_size=4))
def test_the_same_bytes_as_icalendar(name, meetings, all_day):
    assert ics_writer.feed(name, meetings, all_day, STAMP) == \
        ics.feed(name, meetings, all_day, STAMP)


def test_the_night_the_clocks_go_back():
    # 01:30 happens twice on 25 Oct 2026; the second is written in UTC.
    first, second = datetime(2026, 10, 25, 0, 30, tzinfo=UTC), datetime(2026, 10, 25, 1, 30,
                                                                         tzinfo=UTC)
    events = [ics.MeetingEvent(uid="meeting-1@neighbourhood-mdt", sequence=0, title="MDT",
                               starts_at=moment, ends_at=moment + timedelta(hours=1))
              for moment in (first, second)]
    series = ics.MeetingEvent(uid="meeting-2@neighbourhood-mdt", sequence=0, title="MDT",
                              starts_at=first, ends_at=first, rrule="FREQ=WEEKLY",
                              exdates=(first, second))  # a mixture: icalendar writes it
    written = ics_writer.feed("N", [*events, series], [], STAMP)
    assert written == ics.feed("N", [*events, series], [], STAMP)
    assert b"DTSTART:20261025T013000Z" in written


def test_a_thousand_events_in_a_small_part_of_icalendars_time():
    start = datetime(2026, 12, 3, 13, 0, tzinfo=UTC)
    meetings = [ics.MeetingEvent(
        uid=f"meeting-{i}@neighbourhood-mdt", sequence=2, title="Neighbourhood MDT: North",
        starts_at=start + timedelta(days=i), ends_at=start + timedelta(days=i, hours=1),
        location="Room 1", url=f"https://mdt.example/meetings/{i}",
        description="Your cases come up at 13:10 and 13:40.",
        organizer=ics.Person("chair@north.nhs.uk", "Grace Okafor", "CHAIR"))
        for i in range(500)]
    actions = [ics.AllDayEvent(uid=f"action-{i}-due@neighbourhood-mdt",
                               day=date(2026, 12, 1) + timedelta(days=i % 90),
                               title="Action due (Neighbourhood MDT)", url=f"https://mdt.example/actions/{i}",
                               categories=("Neighbourhood MDT",)) for i in range(500)]

    def timed(build) -> float:
        began = time.perf_counter()
        build("N", meetings, actions, STAMP)
        return time.perf_counter() - began

    slow = min(timed(ics.feed) for _ in range(2))
    fast = min(timed(ics_writer.feed) for _ in range(3))
    assert ics_writer.feed("N", meetings, actions, STAMP) == ics.feed("N", meetings, actions,
                                                                      STAMP)
    assert fast < slow / 10, (fast, slow)


