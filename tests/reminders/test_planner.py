"""The planner is a pure function of (data, now): no Flask, no database."""

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mdt.reminders.planner import (
    ActionData,
    Assignment,
    MeetingData,
    NoticeData,
    Recipient,
    ReviewData,
    SeriesData,
    Snapshot,
    VisitData,
    plan,
)
from mdt.timeutil import LONDON, london_to_utc

GRACE = Recipient("grace@example.nhs.uk", "Grace", 1)
PRIYA = Recipient("priya@example.nhs.uk", "Priya", 2)
GUEST = Recipient("guest@council.gov.uk", "guest@council.gov.uk", None)
USERS = {1: GRACE, 2: PRIYA}
NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # a Tuesday, GMT


def meeting(**fields) -> MeetingData:
    values = dict(id=7, team_id=1, title="Riverside MDT",
                  starts_at=london_to_utc(date(2026, 12, 8), time(12, 30)),
                  ends_at=london_to_utc(date(2026, 12, 8), time(14, 0)), status="scheduled",
                  sequence=0, location="Room 2", case_count=3,
                  invitees=(GRACE, PRIYA, GUEST,
                            Recipient("walk-in-1234@invalid", "Walk in", None)))
    values.update(fields)
    return MeetingData(**values)


def kinds(found, kind):
    return {key: due for key, due in found.items() if key[0] == kind}


def at_uk(day, clock):
    return london_to_utc(day, clock)


def test_a_scheduled_meeting_invites_every_invitee_with_an_address():
    found = kinds(plan(Snapshot(users=USERS, meetings=(meeting(),)), NOW), "meeting_invitation")
    assert sorted(k[2] for k in found) == sorted([GRACE.email, PRIYA.email, GUEST.email])
    due = found[("meeting_invitation", "meeting:7", GUEST.email, "seq0")]
    assert due.user_id is None and due.payload["link"] == "/meetings/7"
    assert due.expires_at == meeting().starts_at


def test_a_moved_meeting_gets_new_keys_and_the_old_ones_are_not_planned():
    before = plan(Snapshot(users=USERS, meetings=(meeting(),)), NOW)
    moved = meeting(starts_at=at_uk(date(2026, 12, 10), time(9, 0)),
                    ends_at=at_uk(date(2026, 12, 10), time(10, 0)), sequence=1)
    after = plan(Snapshot(users=USERS, meetings=(moved,)), NOW)
    assert ("meeting_invitation", "meeting:7", GRACE.email, "seq1") in after
    assert not set(kinds(before, "meeting_invitation")) & set(after)
    day_before = moved.starts_at - timedelta(hours=12)
    old = kinds(plan(Snapshot(users=USERS, meetings=(meeting(),)), meeting().starts_at
                     - timedelta(hours=12)), "meeting_reminder")
    new = kinds(plan(Snapshot(users=USERS, meetings=(moved,)), day_before), "meeting_reminder")
    assert new and not set(old) & set(new)  # the occasion is the start time


def test_a_cancelled_meeting_plans_only_cancellations_to_those_invited():
    cancelled = meeting(status="cancelled", sequence=1)
    found = plan(Snapshot(users=USERS, meetings=(cancelled,),
                          invited={"meeting:7": {GRACE.email, GUEST.email}}), NOW)
    assert set(found) == {("meeting_cancellation", "meeting:7", GRACE.email, "seq1"),
                          ("meeting_cancellation", "meeting:7", GUEST.email, "seq1")}
    nobody_told = plan(Snapshot(users=USERS, meetings=(cancelled,)), NOW)
    assert nobody_told == {}


def test_the_day_before_reminder_goes_at_nine_the_day_before_until_the_start():
    snap = Snapshot(users=USERS, meetings=(meeting(),))
    day_before = date(2026, 12, 7)
    assert not kinds(plan(snap, at_uk(day_before, time(8, 59))), "meeting_reminder")
    found = kinds(plan(snap, at_uk(day_before, time(9, 0))), "meeting_reminder")
    due = found[("meeting_reminder", "meeting:7", PRIYA.email, "2026-12-08T12:30Z")]
    assert due.payload["case_count"] == 3
    assert not kinds(plan(snap, meeting().starts_at), "meeting_reminder")


def test_series_dates_are_invited_by_the_series_and_reminded_before_they_are_opened():
    series = SeriesData(id=3, team_id=1, title="Monthly MDT", sequence=2,
                        description="Monthly on the second Tuesday",
                        first_start=at_uk(date(2026, 11, 10), time(12, 30)),
                        start_time=time(12, 30), end_time=time(14, 0),
                        upcoming=(date(2026, 12, 8), date(2027, 1, 12)), people=(GRACE, GUEST))
    found = plan(Snapshot(users=USERS, series=(series,)), at_uk(date(2026, 12, 7), time(9, 30)))
    assert set(kinds(found, "series_invitation")) == {
        ("series_invitation", "series:3", GRACE.email, "seq2"),
        ("series_invitation", "series:3", GUEST.email, "seq2")}
    assert ("meeting_reminder", "series:3:2026-12-08", GUEST.email, "2026-12-08T12:30Z") in found
    # Once the date is opened as a Meeting row, the same key speaks for it (no double).
    opened = meeting(series_id=3, occurrence_date=date(2026, 12, 8), invitees=(GUEST,))
    both = plan(Snapshot(users=USERS, series=(series,), meetings=(opened,)),
                at_uk(date(2026, 12, 7), time(9, 30)))
    reminders = kinds(both, "meeting_reminder")
    assert list(reminders) == [("meeting_reminder", "series:3:2026-12-08", GUEST.email,
                                "2026-12-08T12:30Z")]
    assert not kinds(both, "meeting_invitation")


def _digest(now, actions):
    return kinds(plan(Snapshot(users=USERS, actions=tuple(actions)), now), "action_digest")


def test_the_digest_counts_due_today_this_week_and_overdue():
    today = date(2026, 11, 24)
    actions = [ActionData(1, 1, 2, today, "open"), ActionData(2, 1, 2, today, "open"),
               ActionData(3, 1, 2, date(2026, 11, 27), "open"),
               ActionData(4, 1, 2, date(2026, 11, 2), "open"),
               ActionData(5, 1, 2, date(2026, 12, 20), "open"),  # later: not counted
               ActionData(6, 1, 2, today, "done")]
    found = _digest(at_uk(today, time(8, 0)), actions)
    due = found[("action_digest", "user:2", PRIYA.email, "2026-11-24")]
    assert (due.payload["due_today"], due.payload["due_this_week"], due.payload["overdue"]) \
        == (2, 1, 1)


def test_no_digest_without_open_actions_due():
    today = date(2026, 11, 24)
    assert _digest(at_uk(today, time(9, 0)), [ActionData(1, 1, 2, today, "done")]) == {}


def test_the_digest_goes_at_eight_uk_time_in_winter_and_in_summer():
    for day, utc_hour in ((date(2026, 1, 15), 8), (date(2026, 7, 15), 7),
                          (date(2026, 3, 29), 7), (date(2026, 10, 25), 8)):
        actions = [ActionData(1, 1, 2, day, "open")]
        eight = datetime(day.year, day.month, day.day, utc_hour, 0, tzinfo=UTC)
        assert _digest(eight - timedelta(minutes=1), actions) == {}, day
        assert len(_digest(eight, actions)) == 1, day


@given(st.datetimes(min_value=datetime(2024, 1, 1), max_value=datetime(2035, 12, 31)))
def test_a_digest_is_only_ever_planned_from_eight_uk_time(moment):
    now = moment.replace(tzinfo=UTC)
    local = now.astimezone(LONDON)
    found = _digest(now, [ActionData(1, 1, 2, local.date(), "open")])
    assert bool(found) == (local.time() >= time(8, 0))
    for due in found.values():
        assert due.due_at.astimezone(LONDON).time() == time(8, 0)
        assert due.occasion == local.date().isoformat()


def test_a_team_that_turned_a_topic_off_and_a_person_who_unsubscribed_get_none():
    snap = Snapshot(users=USERS, meetings=(meeting(),), team_topics={1: {"invitations": False}})
    assert not kinds(plan(snap, NOW), "meeting_invitation")
    snap = Snapshot(users=USERS, meetings=(meeting(),),
                    opt_outs=frozenset({(PRIYA.email, "invitations")}))
    assert PRIYA.email not in {k[2] for k in kinds(plan(snap, NOW), "meeting_invitation")}
    digest_off = Snapshot(users=USERS, team_topics={1: {"action_digest": False}},
                          actions=(ActionData(1, 1, 2, date(2026, 11, 24), "open"),))
    assert not kinds(plan(digest_off, NOW), "action_digest")


def test_an_assignment_is_noted_unless_people_gave_it_to_themselves():
    at = NOW - timedelta(hours=1)
    snap = Snapshot(users=USERS, assignments=(
        Assignment(10, 1, 2, date(2026, 12, 1), 55, at, 1),
        Assignment(11, 1, 1, date(2026, 12, 1), 56, at, 1)))
    found = kinds(plan(snap, NOW), "action_assigned")
    assert list(found) == [("action_assigned", "action:10", PRIYA.email, "log55")]
    assert not plan(snap, at + timedelta(days=4))  # too old to be news


def test_tomorrows_visits_go_at_six_in_the_evening():
    tomorrow = date(2026, 11, 25)
    snap = Snapshot(users=USERS, visits=(
        VisitData(1, 1, 2, tomorrow, "Morning", "planned"),
        VisitData(2, 1, 2, tomorrow, "14:30", "planned"),
        VisitData(3, 1, 2, tomorrow, "Morning", "planned"),
        VisitData(4, 1, 2, tomorrow, "Morning", "cancelled")))
    assert not plan(snap, at_uk(date(2026, 11, 24), time(17, 59)))
    found = plan(snap, at_uk(date(2026, 11, 24), time(18, 0)))
    due = found[("visits_tomorrow", "user:2:team:1", PRIYA.email, "2026-11-25")]
    assert due.payload["count"] == 3
    assert due.payload["slots"] == [("Morning", 2), ("14:30", 1)]


def test_visit_notices_become_emails_but_not_second_notifications():
    snap = Snapshot(users=USERS, notices=(NoticeData(4, 2, "A visit on 25 Nov was merged",
                                                     "/visits/9", NOW, 1),))
    due = plan(snap, NOW)[("visit_notice", "notification:4", PRIYA.email, "")]
    assert due.notify is False and due.payload["link"] == "/visits/9"


def test_key_workers_hear_a_week_before_a_review_falls_due():
    snap = Snapshot(users=USERS, reviews=(ReviewData(5, 1, 2, date(2026, 12, 1)),))
    assert not plan(snap, at_uk(date(2026, 11, 24), time(7, 59)))
    found = plan(snap, at_uk(date(2026, 11, 24), time(8, 0)))
    due = found[("hna_due", "patient:5:team:1", PRIYA.email, "2026-12-01")]
    assert due.payload == {"due_on": "2026-12-01", "link": "/patients/5"}


def test_payloads_hold_no_names_of_patients():
    # The planner's inputs carry no patient data at all; its payloads carry ids and counts.
    snap = Snapshot(users=USERS, meetings=(meeting(),),
                    reviews=(ReviewData(5, 1, 2, date(2026, 12, 1)),))
    for due in plan(snap, at_uk(date(2026, 11, 24), time(8, 0))).values():
        assert set(due.payload) <= {"meeting_id", "title", "starts_at", "ends_at", "location",
                                    "sequence", "link", "due_on", "case_count"}
