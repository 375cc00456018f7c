"""Team figures: follow-through and attendance, against a hand-counted dataset.

"Today" is 15 June 2026 (a Monday, British Summer Time). The query functions take `today`;
the page tests move the clock there with time-machine.
"""

import itertools
from datetime import UTC, date, datetime, time
from types import SimpleNamespace

import pytest
from sqlalchemy import insert, select

from mdt.extensions import db
from tests.conftest import count_queries

TODAY = date(2026, 6, 15)
NOW = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)  # 10:00 in London
_uid = itertools.count()


def _meeting(team_id, chair_id, day, status="finished", title="Riverside MDT"):
    from mdt.meetings.models import Meeting
    from mdt.timeutil import london_to_utc

    meeting = Meeting(team_id=team_id, title=title, chair_id=chair_id, status=status,
                      starts_at=london_to_utc(day, time(12, 30)),
                      ends_at=london_to_utc(day, time(14)), uid=f"figures-{next(_uid)}@test")
    db.session.add(meeting)
    db.session.flush()
    return meeting


def _invite(meeting, user, attendance):
    from mdt.meetings.models import Invitee

    db.session.add(Invitee(meeting_id=meeting.id, user_id=user.id if user else None,
                           email=user.email if user else f"guest{next(_uid)}@example.org",
                           name=user.name if user else "Guest", attendance=attendance))


def _case(meeting, patient_id):
    from mdt.meetings.models import Case

    case = Case(meeting_id=meeting.id, patient_id=patient_id, reason="Review")
    db.session.add(case)
    db.session.flush()
    return case


def _action(team_id, owner_id, due_on, status="open", completed_on=None, case=None,
            patient_id=None):
    from mdt.actions.models import Action

    completed_at = (datetime.combine(completed_on, time(10), UTC) if completed_on else None)
    db.session.add(Action(team_id=team_id, patient_id=patient_id, owner_id=owner_id,
                          created_by_id=owner_id, description="Hand-counted action",
                          due_on=due_on, status=status, completed_on=completed_on,
                          completed_at=completed_at, case_id=case.id if case else None))


@pytest.fixture
def data(app, make_user, make_patient):
    """Two meetings with actions (14 April and 12 May 2026) and five finished meetings with
    attendance; the counts are worked out by hand in the tests."""
    from mdt.teams.service import get_or_create_team

    chair = make_user(name="Carol Chair", role="chair")
    alice = make_user(name="Alice Always")
    bob = make_user(name="Bob Away")
    dan = make_user(name="Dan Newer")
    eve = make_user(name="Eve Uninvited")
    other = make_user(name="Olive Other", team="Hillside")
    p1, p2 = make_patient(), make_patient(given="Bea")
    hill_patient = make_patient(team="Hillside")
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        hill_id = get_or_create_team("Hillside").id
        old = _meeting(team_id, chair.id, date(2025, 3, 11))   # more than 12 months ago
        m0 = _meeting(team_id, chair.id, date(2025, 9, 9))     # in 12 months, not in 6
        m1 = _meeting(team_id, chair.id, date(2026, 2, 10))
        m2 = _meeting(team_id, chair.id, date(2026, 4, 14))
        m3 = _meeting(team_id, chair.id, date(2026, 5, 12))
        cancelled = _meeting(team_id, chair.id, date(2026, 5, 26), status="cancelled")
        future = _meeting(team_id, chair.id, date(2026, 7, 14), status="scheduled")
        hill = _meeting(hill_id, other.id, date(2026, 5, 13))
        for meeting in (old, m0, m1, m2, m3):
            _invite(meeting, chair, "present")
        for meeting, mark in zip((old, m0, m1, m2, m3),
                                 ("present", "present", "apologies", "present", "present"),
                                 strict=True):
            _invite(meeting, alice, mark)
        for meeting, mark in zip((old, m0, m1, m2, m3),
                                 ("present", "present", "absent", "apologies", "invited"),
                                 strict=True):
            _invite(meeting, bob, mark)
        _invite(m2, dan, "absent")
        _invite(m3, dan, "absent")
        _invite(m3, None, "present")  # a guest: not a member, not in the table
        _invite(cancelled, bob, "present")  # a cancelled meeting does not count
        _invite(future, bob, "present")  # nor one not yet held
        _invite(hill, other, "present")

        c21, c22 = _case(m2, p1.id), _case(m2, p2.id)
        c31 = _case(m3, p1.id)
        own = chair.id
        # Meeting 2 (14 April): 2 on time, 1 late, 1 overdue, 1 cancelled.
        _action(team_id, own, date(2026, 4, 30), "done", date(2026, 4, 28), c21)
        _action(team_id, own, date(2026, 4, 30), "done", date(2026, 4, 30), c21)  # on the day
        _action(team_id, own, date(2026, 5, 5), "done", date(2026, 5, 9), c22)
        _action(team_id, own, date(2026, 5, 20), "open", None, c22)
        _action(team_id, own, date(2026, 5, 1), "cancelled", None, c22)
        # Meeting 3 (12 May): 2 on time (one early, due in July), 1 overdue, 2 not yet due.
        _action(team_id, own, date(2026, 6, 1), "done", date(2026, 5, 30), c31)
        _action(team_id, own, date(2026, 6, 15), "open", None, c31)  # due today: in time
        _action(team_id, own, date(2026, 6, 14), "open", None, c31)  # due yesterday: overdue
        _action(team_id, own, date(2026, 7, 1), "done", date(2026, 6, 10), c31)
        _action(team_id, own, date(2026, 6, 30), "open", None, c31)
        # Not raised at a meeting: done late, in June.
        _action(team_id, own, date(2026, 6, 5), "done", date(2026, 6, 7))
        # Outside the 12 months (July 2025 to June 2026) and another team's: never counted.
        _action(team_id, own, date(2025, 6, 20), "open")
        _action(team_id, own, date(2026, 8, 1), "open")
        _action(hill_id, other.id, date(2026, 6, 1), "open", patient_id=hill_patient.id)
        db.session.commit()
        ids = SimpleNamespace(team_id=team_id, hill_id=hill_id, m0=m0.id, m1=m1.id, m2=m2.id,
                              m3=m3.id, old=old.id)
    return SimpleNamespace(ids=ids, chair=chair, alice=alice, bob=bob, dan=dan, eve=eve,
                           other=other)


def _ft(**counts):
    from mdt.reports.queries import FollowThrough

    return FollowThrough(**counts)


def test_meeting_follow_through_matches_hand_counts(app, data):
    from mdt.reports.queries import meeting_follow_through

    with app.app_context():
        m2 = meeting_follow_through(data.ids.m2, today=TODAY)
        m3 = meeting_follow_through(data.ids.m3, today=TODAY)
        m1 = meeting_follow_through(data.ids.m1, today=TODAY)
    assert m2 == _ft(raised=5, on_time=2, late=1, overdue=1, not_yet_due=0, cancelled=1)
    assert (m2.due, m2.rate, m2.percent) == (4, 0.5, 50)
    assert m3 == _ft(raised=5, on_time=2, late=0, overdue=1, not_yet_due=2, cancelled=0)
    assert (m3.due, m3.percent) == (3, 67)
    assert m1 == _ft() and m1.rate is None and m1.percent is None


def test_follow_through_by_meeting_is_the_latest_finished_meetings_newest_first(app, data):
    from mdt.reports.queries import follow_through_by_meeting

    with app.app_context():
        rows = follow_through_by_meeting(data.ids.team_id, TODAY)
    assert [r.meeting_id for r in rows] == [data.ids.m3, data.ids.m2, data.ids.m1,
                                            data.ids.m0, data.ids.old]
    assert rows[0].follow_through.percent == 67
    assert rows[1].follow_through == _ft(raised=5, on_time=2, late=1, overdue=1, cancelled=1)
    assert all(r.follow_through == _ft() for r in rows[2:])


def test_team_follow_through_and_by_month(app, data):
    from mdt.reports.queries import follow_through_by_month, team_follow_through

    with app.app_context():
        total = team_follow_through(data.ids.team_id, TODAY)
        months = follow_through_by_month(data.ids.team_id, TODAY)
    # July 2025 to June 2026: the meetings' actions due in that range, and the late one.
    assert total == _ft(raised=10, on_time=3, late=2, overdue=2, not_yet_due=2, cancelled=1)
    assert (total.due, total.percent) == (7, 43)
    assert [m.month for m in months] == [date(2025, 7, 1), date(2025, 8, 1), date(2025, 9, 1),
                                         date(2025, 10, 1), date(2025, 11, 1),
                                         date(2025, 12, 1), date(2026, 1, 1), date(2026, 2, 1),
                                         date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1),
                                         date(2026, 6, 1)]
    by_month = {m.month: m.follow_through for m in months}
    assert by_month[date(2026, 4, 1)] == _ft(raised=2, on_time=2)
    assert by_month[date(2026, 5, 1)] == _ft(raised=3, late=1, overdue=1, cancelled=1)
    assert by_month[date(2026, 6, 1)] == _ft(raised=5, on_time=1, late=1, overdue=1,
                                             not_yet_due=2)
    assert all(ft == _ft() for m, ft in by_month.items() if m < date(2026, 4, 1))
    assert by_month[date(2026, 4, 1)].percent == 100 and by_month[date(2026, 6, 1)].percent == 33


def test_attendance_counts_and_the_often_absent_flag(app, data):
    from mdt.reports.queries import Attendance, attendance

    with app.app_context():
        rows = {r.name: r for r in attendance(data.ids.team_id, TODAY)}
    assert list(rows) == ["Alice Always", "Bob Away", "Carol Chair", "Dan Newer",
                          "Eve Uninvited"]
    # 6 months: 15 Dec 2025 on (m1, m2, m3); 12 months: 15 Jun 2025 on (m0 too).
    assert rows["Carol Chair"].last_6_months == Attendance(present=3)
    assert rows["Carol Chair"].last_12_months == Attendance(present=4)
    assert rows["Alice Always"].last_6_months == Attendance(present=2, apologies=1)
    assert rows["Alice Always"].last_12_months == Attendance(present=3, apologies=1)
    assert rows["Bob Away"].last_6_months == Attendance(apologies=1, absent=1, not_recorded=1)
    assert rows["Bob Away"].last_12_months == Attendance(present=1, apologies=1, absent=1,
                                                         not_recorded=1)
    assert rows["Dan Newer"].last_6_months == Attendance(absent=2)
    assert rows["Eve Uninvited"].last_12_months == Attendance()
    assert rows["Carol Chair"].role == "chair"
    flagged = {name for name, r in rows.items() if r.often_absent}
    assert flagged == {"Bob Away"}  # Dan missed only 2 meetings: not yet 3


def _signed_in(app, user, time_machine):
    from tests.conftest import ClientRequest

    time_machine.move_to(NOW, tick=False)
    return ClientRequest(app).sign_in(user)


def _cells(row):
    return [c.get_text(" ", strip=True) for c in row.select("td")]


def test_after_two_meetings_the_page_shows_the_follow_through_rate(app, data, time_machine):
    from mdt.actions.models import Action

    client = _signed_in(app, data.chair, time_machine)
    page = client.get("reports.figures", team_id=data.ids.team_id)
    assert "Team figures: Riverside" in page.select_one("h1").text
    rate = page.select_one("#team-rate").get_text(" ", strip=True)
    assert "43%" in rate and "3 of 7 actions" in rate
    assert _cells(page.select_one("#team-counts tbody tr")) == ["10", "3", "2", "2", "2", "1",
                                                                "43%"]
    meetings = page.select("#meeting-table tbody tr")
    assert [int(r["data-meeting-id"]) for r in meetings][:2] == [data.ids.m3, data.ids.m2]
    assert _cells(meetings[0]) == ["5", "2", "0", "1", "2", "0", "67%"]
    assert _cells(meetings[1]) == ["5", "2", "1", "1", "0", "1", "50%"]
    assert _cells(meetings[2])[-1] == "None due"
    assert "Follow-through rate" in page.text and "left out" in page.text  # the definitions
    # The numbers match the actions in the database, counted here without the report code.
    with app.app_context():
        raised = db.session.scalars(select(Action).where(
            Action.case_id.is_not(None), Action.team_id == data.ids.team_id)).all()
    assert len(raised) == sum(int(_cells(r)[0]) for r in meetings) == 10
    on_time = [a for a in raised if a.status == "done" and a.completed_on <= a.due_on]
    assert len(on_time) == sum(int(_cells(r)[1]) for r in meetings) == 4


def test_the_page_is_audited(app, data, time_machine):
    from mdt.audit.models import AuditEvent

    client = _signed_in(app, data.alice, time_machine)
    client.get("reports.figures", team_id=data.ids.team_id)
    with app.app_context():
        event = db.session.scalars(select(AuditEvent).where(
            AuditEvent.record_type == "team_figures")).one()
    assert (event.user_id, event.team_id, event.action, event.record_id) == (
        data.alice.id, data.ids.team_id, "view", data.ids.team_id)


def test_chair_sees_often_absent_flag_and_member_does_not(app, data, time_machine):
    chair = _signed_in(app, data.chair, time_machine)
    page = chair.get("reports.figures", team_id=data.ids.team_id)
    rows = {int(r["data-user-id"]): r for r in page.select("#attendance-table tbody tr")}
    assert "Often absent" in rows[data.bob.id].text
    assert "Often absent" not in rows[data.alice.id].text
    assert "Often absent" not in rows[data.dan.id].text
    assert rows[data.bob.id].select_one(".nhsuk-tag").get_text(strip=True) == "Often absent"
    # Bob: 6 months present/apologies/absent/not recorded, then 12 months.
    assert _cells(rows[data.bob.id])[:8] == ["0", "1", "1", "1", "1", "1", "1", "1"]
    assert _cells(rows[data.alice.id]) == ["2", "1", "0", "0", "3", "1", "0", "0", ""]

    member = _signed_in(app, data.alice, time_machine)
    page = member.get("reports.figures", team_id=data.ids.team_id)
    assert "Often absent" not in page.select_one("#attendance-table").text
    assert len(page.select("#attendance-table tbody tr")) == 5


def test_another_teams_figures_are_404(app, data, time_machine):
    client = _signed_in(app, data.other, time_machine)
    client.get("reports.figures", team_id=data.ids.team_id, _expected_status=404)
    client.get("reports.figures", team_id=data.ids.hill_id)


def test_every_chart_is_an_accessible_image_with_a_table_of_the_same_numbers(app, data,
                                                                              time_machine):
    client = _signed_in(app, data.chair, time_machine)
    page = client.get("reports.figures", team_id=data.ids.team_id)
    charts = page.select("main svg.app-chart")
    assert len(charts) == 2
    for svg in charts:
        assert svg["role"] == "img"
        title_id, desc_id = svg["aria-labelledby"].split()
        assert svg.select_one(f"title#{title_id}").text.strip()
        assert svg.select_one(f"desc#{desc_id}").text.strip()
        assert not svg.select("[style], script")
        # each chart is followed by its table
        assert svg.find_next("table")["id"] in ("month-table", "meeting-table")
    assert page.select_one("svg#chart-months").find_next("table")["id"] == "month-table"
    assert page.select_one("svg#chart-meetings").find_next("table")["id"] == "meeting-table"

    # Months: every segment's value is the table's number, and every table number has one.
    columns = {"Done on time": 1, "Done late": 2, "Overdue now": 3, "Not yet due": 4,
               "Cancelled": 5}
    bars = {(r["data-label"], r["data-series"]): int(r["data-value"])
            for r in page.select("svg#chart-months rect[data-series]")}
    table = {r["data-label"]: _cells(r) for r in page.select("#month-table tbody tr")}
    assert len(table) == 12
    for label, cells in table.items():
        for series, column in columns.items():
            assert bars.get((label, series), 0) == int(cells[column]), (label, series)
    assert set(label for label, _ in bars) <= set(table)
    assert bars[("Jun 2026", "Overdue now")] == 1 and bars[("Apr 2026", "Done on time")] == 2

    # Meetings: each bar's value (oldest first) is the table's rate (newest first).
    values = [r["data-value"] for r in page.select("svg#chart-meetings rect")]
    rates = [_cells(r)[-1] for r in page.select("#meeting-table tbody tr")]
    assert [f"{v}%" if v else "None due" for v in reversed(values)] == rates
    assert rates[:2] == ["67%", "50%"]


def _bulk(app, team_id, user_id, patient_id, n):
    """n finished meetings, each with a case, an invitee and an action; n more actions."""
    from mdt.actions.models import Action
    from mdt.meetings.models import Case, Invitee, Meeting
    from mdt.timeutil import london_to_utc

    with app.app_context():
        start = len(db.session.scalars(select(Meeting.id)).all())
        days = [date(2024, 7, 1) + (TODAY - date(2024, 7, 1)) * k // n for k in range(n)]
        db.session.execute(insert(Meeting), [
            {"team_id": team_id, "title": "Bulk", "chair_id": user_id, "status": "finished",
             "starts_at": london_to_utc(day, time(12)), "ends_at": london_to_utc(day, time(13)),
             "uid": f"bulk-{start + k}@test", "sequence": 0, "version": 1, "location": "",
             "video_url": "", "created_at": NOW} for k, day in enumerate(days)])
        meeting_ids = db.session.scalars(select(Meeting.id).where(Meeting.title == "Bulk")
                                         .order_by(Meeting.id)).all()[-n:]
        db.session.execute(insert(Invitee), [
            {"meeting_id": m, "user_id": user_id, "email": "bulk@example.nhs.uk", "name": "B",
             "attendance": ("present", "absent", "apologies", "invited")[k % 4],
             "walk_in": False} for k, m in enumerate(meeting_ids)])
        db.session.execute(insert(Case), [
            {"meeting_id": m, "patient_id": patient_id, "reason": "Bulk", "position": 0,
             "urgency": "routine", "status": "discussed", "removed_reason": "", "notes": "",
             "outcome": "", "decisions": "", "referred_by": "", "minutes": 10,
             "break_after": 0, "created_at": NOW, "version": 1} for m in meeting_ids])
        case_ids = db.session.scalars(select(Case.id).where(Case.meeting_id.in_(meeting_ids))
                                      ).all()
        db.session.execute(insert(Action), [
            {"team_id": team_id, "owner_id": user_id, "created_by_id": user_id,
             "description": "Bulk", "due_on": days[k % n], "priority": "normal",
             "status": ("open", "done", "cancelled")[k % 3], "cancel_reason": "",
             "completed_on": days[k % n] if k % 3 == 1 else None,
             "case_id": case_ids[k % n] if k % 2 else None, "version": 1, "created_at": NOW}
            for k in range(2 * n)])
        db.session.commit()


def test_the_page_loads_with_a_fixed_number_of_queries(app, make_user, make_patient,
                                                       time_machine):
    from mdt.teams.service import get_or_create_team

    chair = make_user(name="Carol Chair", role="chair", email="bulk@example.nhs.uk")
    patient = make_patient()
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
    client = _signed_in(app, chair, time_machine)
    _bulk(app, team_id, chair.id, patient.id, 10)
    with app.app_context(), count_queries(db.engine) as few:
        small = client.get("reports.figures", team_id=team_id)
    _bulk(app, team_id, chair.id, patient.id, 490)
    with app.app_context(), count_queries(db.engine) as many:
        large = client.get("reports.figures", team_id=team_id)
    assert len(small.select("#meeting-table tbody tr")) == 10
    assert len(large.select("#meeting-table tbody tr")) == 12
    assert len(many) == len(few) <= 16, many


def test_fragment_shows_one_meetings_follow_through(app, data):
    from flask import render_template

    from mdt.reports.queries import meeting_follow_through

    with app.test_request_context():
        html = render_template("reports/_follow_through.html",
                               follow_through=meeting_follow_through(data.ids.m2, TODAY))
        empty = render_template("reports/_follow_through.html",
                                follow_through=meeting_follow_through(data.ids.m1, TODAY))
    from bs4 import BeautifulSoup
    page = BeautifulSoup(html, "html.parser")
    assert "50%" in page.select_one("#follow-through-rate").text
    assert "2 of 4 actions" in " ".join(page.select_one("#follow-through-rate").text.split())
    counts = [c.text for c in page.select("#follow-through-counts td")]
    assert counts == ["2", "1", "1", "0", "1", "5"]
    assert "No actions were raised" in empty
