"""Issue 13 end to end, through the web pages: a district nurse refers a patient; the chair
accepts it onto next month's list; the GP sees from the invitation when their block starts;
in the meeting the chair sees the referral and time used against plan; after two meetings
the figures page shows the follow-through rate, matching the actions in the database."""

from datetime import UTC, date, datetime, time, timedelta

from icalendar import Calendar
from sqlalchemy import select

from mdt.actions.models import Action
from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.meetings.models import Case, Meeting
from mdt.meetings.service import MeetingDetails, create_series
from mdt.referrals.models import Referral
from mdt.teams.service import get_or_create_team
from tests.conftest import ClientRequest
from tests.meetings.conftest import record

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
NEXT_MONTH = date(2026, 12, 8)  # the series' second Tuesday
QUESTION = "Should we start a syringe driver now, or wait for the hospice review?"


def _due(day: date) -> dict:
    return {"due_on[day]": str(day.day), "due_on[month]": str(day.month),
            "due_on[year]": str(day.year)}


def _action(chair, meeting_id, case_id, owner, text, due):
    record(chair, meeting_id, case_id, **{
        "actions-0-description": text, "actions-0-owner_id": owner.id,
        **{f"actions-0-{key}": value for key, value in _due(due).items()}})
    with chair.app.app_context():
        return db.session.scalar(select(Action.id).where(Action.description == text))


def test_referral_accepted_block_in_the_invitation_time_against_plan_and_follow_through(
        app, make_user, make_patient, time_machine):
    time_machine.move_to(NOW, tick=False)
    chair_user = make_user(name="Grace Okafor", role="chair", profession="community_matron")
    nurse_user = make_user(name="Priya Patel", profession="district_nurse")
    gp_user = make_user(name="Dr Alys Hughes", profession="gp", email="gp.hughes@example.nhs.uk",
                        organisation="Riverside Medical Practice")
    own = make_patient(given="Margaret", family="Ellis", gp_practice="Riverside Medical Practice")
    others = [make_patient(given=g, family=f, gp_practice="Bridge Street Surgery")
              for g, f in (("Arthur", "Whitfield"), ("Doreen", "Achebe"))]
    with app.app_context():
        team_id = get_or_create_team("Riverside").id
        series = create_series(Actor(chair_user.id, (team_id,), {team_id: "chair"}), team_id,
                               MeetingDetails(title="Riverside MDT", day=NOW.date()
                                              + timedelta(days=1), start=time(12, 30),
                                              end=time(14, 0), chair_id=chair_user.id),
                               "FREQ=MONTHLY;BYDAY=+2TU")
        db.session.commit()
        series_id = series.id

    # The chair opens next month's meeting and lists two routine cases (5 minutes each).
    chair = ClientRequest(app).sign_in(chair_user)
    chair.post("meetings.open_occurrence", series_id=series_id, day=NEXT_MONTH.isoformat())
    with app.app_context():
        meeting_id = db.session.scalar(select(Meeting.id).where(
            Meeting.occurrence_date == NEXT_MONTH))
    for patient in others:
        chair.post("meetings.add_case", meeting_id=meeting_id, _data={
            "patient_id": patient.id, "reason": "Review", "urgency": "routine",
            "presenter_id": "", "referred_by": ""})

    # A district nurse refers her patient; without the question it cannot be sent.
    nurse = ClientRequest(app).sign_in(nurse_user)
    refusal = nurse.post("referrals.new", _expected_status=400, _data={
        "patient_id": own.id, "question": "", "background": "Vomiting for three days.",
        "tried": "", "urgency": "soon", "presenter_id": nurse_user.id, "preferred_date": ""})
    assert "Enter the question for the MDT" in refusal.select_one(".nhsuk-error-summary").text
    assert refusal.select_one("textarea[name=background]").text == "Vomiting for three days."
    nurse.post("referrals.new", _data={
        "patient_id": own.id, "question": QUESTION,
        "background": "Vomiting for three days; not keeping oral morphine down.",
        "tried": "Oral anti-sickness medicine since Monday.", "urgency": "soon",
        "presenter_id": nurse_user.id, "preferred_date": NEXT_MONTH.isoformat()})
    with app.app_context():
        referral_id = db.session.scalar(select(Referral.id))

    # The chair triages it: next month's meeting is preselected; accept.
    form = chair.get("referrals.show", referral_id=referral_id).select_one("#accept-form")
    assert form.select_one("option[selected]")["value"] == f"m{meeting_id}"
    chair.post("referrals.accept", referral_id=referral_id, _data={
        "meeting": f"m{meeting_id}", "version": form.select_one("input[name=version]")["value"]})
    mine = nurse.get("referrals.show", referral_id=referral_id).get_text(" ", strip=True)
    assert "Accepted" in mine

    # The GP's invitation says when their block starts, and names no patient.
    gp = ClientRequest(app).sign_in(gp_user)
    ics = gp.client.get(f"/meetings/{meeting_id}/invite.ics").data
    text = ics.decode().replace("\r\n ", "")
    assert "Your cases (1 case) are expected from about 12:40 to 12:50 (UK time)." in text
    assert "Ellis" not in text and "Margaret" not in text and own.nhs_number not in text
    override = [e for e in Calendar.from_ical(ics).events if "RECURRENCE-ID" in e]
    assert override and override[0].start.date() == NEXT_MONTH
    assert "from about 12:40" in gp.get("meetings.show", meeting_id=meeting_id).select_one(
        "#your-cases").get_text(" ", strip=True)

    # In the meeting: the referral's text on the case, and time used against plan.
    with app.app_context():
        case_id = db.session.scalar(select(Referral.case_id))
        other_case = db.session.scalar(select(Case.id).where(
            Case.meeting_id == meeting_id, Case.patient_id == others[0].id))
    chair.post("meetings.start", meeting_id=meeting_id, _data={"confirm": "yes"})
    live = chair.get("meetings.live", meeting_id=meeting_id, case=case_id)
    panel = live.select_one(f"#referral-{referral_id}").get_text(" ", strip=True)
    assert QUESTION in panel and "not keeping oral morphine down" in panel
    assert "Referred by Priya Patel" in panel
    assert "minutes used" in live.select_one("#live-time").get_text(" ", strip=True)
    first = _action(chair, meeting_id, case_id, nurse_user, "Ask the hospice to review",
                    date(2026, 12, 1))
    second = _action(chair, meeting_id, case_id, gp_user, "Prescribe just in case medicines",
                     date(2026, 12, 8))
    third = _action(chair, meeting_id, other_case, nurse_user, "Order a commode",
                    date(2026, 11, 27))
    nurse.post("actions.complete", action_id=first)  # done on the day: on time
    chair.post("meetings.finish", meeting_id=meeting_id, _data={"confirm": "yes"})

    # The second meeting (the undiscussed case carried there): one action, one cancelled.
    with app.app_context():
        carried = db.session.scalar(select(Case).where(Case.carried_from_id.is_not(None)))
        second_meeting, carried_id = carried.meeting_id, carried.id
    chair.post("meetings.start", meeting_id=second_meeting, _data={"confirm": "yes"})
    fourth = _action(chair, second_meeting, carried_id, chair_user, "Ring the carer",
                     date(2026, 11, 30))
    fifth = _action(chair, second_meeting, carried_id, nurse_user, "Apply for a blue badge",
                    date(2026, 12, 2))
    chair.post("actions.cancel", action_id=fifth, _data={"reason": "Family did it already"})
    chair.post("meetings.finish", meeting_id=second_meeting, _data={"confirm": "yes"})

    time_machine.move_to(NOW + timedelta(days=5), tick=False)  # 29 Nov: done after 27 Nov
    ClientRequest(app).sign_in(nurse_user).post("actions.complete", action_id=third)

    time_machine.move_to(NOW + timedelta(days=20), tick=False)  # 14 Dec
    figures = ClientRequest(app).sign_in(chair_user).get("reports.figures", team_id=team_id)
    with app.app_context():  # counted here from the rows, without the report code
        rows = {a.id: a for a in db.session.scalars(select(Action))}
    today = date(2026, 12, 14)
    on_time = [a for a in rows.values() if a.status == "done" and a.completed_on <= a.due_on]
    late = [a for a in rows.values() if a.status == "done" and a.completed_on > a.due_on]
    overdue = [a for a in rows.values() if a.status == "open" and a.due_on < today]
    cancelled = [a for a in rows.values() if a.status == "cancelled"]
    assert ([a.id for a in on_time], [a.id for a in late], sorted(a.id for a in overdue),
            [a.id for a in cancelled]) == ([first], [third], sorted([second, fourth]), [fifth])
    rate = round(100 * len(on_time) / (len(on_time) + len(late) + len(overdue)))
    assert rate == 25
    assert f"{rate}%" in figures.select_one("#team-rate").get_text(" ", strip=True)
    by_meeting = {int(r["data-meeting-id"]): [c.get_text(" ", strip=True) for c in r.select("td")]
                  for r in figures.select("#meeting-table tbody tr")}
    assert by_meeting[meeting_id][:5] == ["3", "1", "1", "1", "0"]
    assert by_meeting[meeting_id][-1] == "33%"
    assert by_meeting[second_meeting][-1] == "0%"
