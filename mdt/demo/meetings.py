"""Demo meetings: a monthly series with two finished meetings (actions done on time, late,
overdue and cancelled, for the figures page) and next month's case list, and referrals."""

from datetime import datetime, time, timedelta

from sqlalchemy import select

from mdt.demo.actions import add_action
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, MeetingSeries
from mdt.meetings.recurrence import monthly_rule, occurrences
from mdt.meetings.service import open_occurrence
from mdt.referrals.models import Referral, ReferralEvent
from mdt.timeutil import LONDON, utcnow


def add_meetings(team, patients, by_email, today):
    """A monthly series (second Tuesday, 12:30-14:00): last month's meeting finished with
    one case carried forward, and next month's with a case list ready to run."""
    rule = monthly_rule(2, 1)
    series = MeetingSeries(team_id=team.id, title=team.name, rrule=rule,
                           first_date=today - timedelta(days=120), start_time=time(12, 30),
                           end_time=time(14, 0), location="Riverside Health Centre, room 2",
                           video_url="https://teams.microsoft.com/l/meetup-join/demo",
                           chair_id=by_email["chair"].id, guest_emails=[],
                           uid="demo-series@neighbourhood-mdt")
    db.session.add(series)
    db.session.flush()
    dates = occurrences(rule, series.first_date, after=today - timedelta(days=80), count=4)
    earlier, last = sorted(d for d in dates if d < today)[-2:]
    upcoming = min(d for d in dates if d >= today)
    _earlier_meeting(team, series, earlier, patients, by_email)
    past = open_occurrence(None, series, last)
    past.status, past.finished_at = "finished", utcnow()
    for invitee in db.session.scalars(select(Invitee).where(Invitee.meeting_id == past.id)):
        invitee.attendance = "apologies" if invitee.email.startswith("gp.khan") else \
            "absent" if invitee.email.startswith("livewell.") else "present"
    chair = by_email["chair"].id
    discussed = [
        (1, "Moved to palliative care after oncology review: who leads?", "urgent",
         "Agreed GP to review pain relief; hospice referral made.", "discussed"),
        (5, "Deteriorating; wishes about place of death not recorded", "urgent",
         "Family meeting held; prefers to die at home. Just in case medicines in place.",
         "discussed"),
        (8, "Carer struggling; needs a care package", "soon", "", "carried_forward"),
    ]
    for position, (index, reason, urgency, outcome, status) in enumerate(discussed, 1):
        db.session.add(Case(meeting_id=past.id, patient_id=patients[index].id, position=position,
                            reason=reason, urgency=urgency, presenter_id=chair,
                            minutes=team.minutes_for(urgency), status=status, outcome=outcome,
                            notes="Discussed with the whole team." if outcome else "",
                            discussed_at=utcnow() if outcome else None))
    db.session.flush()
    by_patient = {c.patient_id: c for c in db.session.scalars(select(Case).where(
        Case.meeting_id == past.id))}
    for index, owner, text, due_in, done_in in (
            (1, "gp.hughes", "Increase pain relief; review in a week", 7, 3),
            (5, "hospice.ali", "Prescribe just in case medicines", 2, 2),
            (8, "sw.brown", "Request a social care assessment", 10, None)):
        _meeting_action(team, by_patient[patients[index].id], by_email, owner, text, last,
                        due_in, done_in)
    carried = by_patient[patients[8].id]
    nxt = open_occurrence(None, series, upcoming)
    listed = [
        (8, carried.reason, "soon", "sw.brown", carried.id),
        (0, "Review after falls at home; equipment and carer support", "routine",
         "navigator.lee", None),
        (2, "New diagnosis of bone metastases: pain control and benefits", "urgent",
         "cns.evans", None),
        (10, "No key worker: who should it be?", "soon", "chair", None),
        (13, "End of life: check anticipatory medicines and DNACPR", "urgent", "hospice.ali",
         None),
        (6, "Six-monthly review due; carer asks for respite", "routine", "dn.patel", None),
    ]
    for position, (index, reason, urgency, presenter, carried_from) in enumerate(listed, 1):
        db.session.add(Case(meeting_id=nxt.id, patient_id=patients[index].id,
                            position=position, reason=reason, urgency=urgency,
                            presenter_id=by_email[presenter].id, referred_by="",
                            minutes=team.minutes_for(urgency), carried_from_id=carried_from))
    db.session.flush()
    _referrals(team, nxt, patients, by_email)


def _earlier_meeting(team, series, day, patients, by_email):
    """The meeting before last: finished, with actions done on time, late, still open
    (overdue) and cancelled, so the figures page has a month to compare."""
    meeting = open_occurrence(None, series, day)
    meeting.status, meeting.finished_at = "finished", utcnow()
    for invitee in db.session.scalars(select(Invitee).where(Invitee.meeting_id == meeting.id)):
        invitee.attendance = "absent" if invitee.email.split("@")[0] in (
            "navigator.lee", "livewell.smith") else "present"
    plan = [  # patient, reason, owner, action, due in days, done in days (None open), cancel
        (0, "Falls at home; lives alone", "navigator.lee", "Ask St Anne's about day hospice",
         14, None, False),
        (3, "Struggling with stairs", "dn.patel", "Arrange a commode and bed rails", 7, 5,
         False),
        (7, "Hospital follow-up unclear", "cns.evans", "Confirm the hospital follow-up date", 7,
         12, False),
        (9, "Carer under strain", "sw.brown", "Offer a carer's assessment", 21, None, True),
    ]
    for position, (index, reason, owner, text, due_in, done_in, cancel) in enumerate(plan, 1):
        case = Case(meeting_id=meeting.id, patient_id=patients[index].id, position=position,
                    reason=reason, urgency="soon", presenter_id=by_email["chair"].id,
                    minutes=team.minutes_for("soon"), status="discussed",
                    outcome="Agreed: " + text.lower(), discussed_at=utcnow())
        db.session.add(case)
        db.session.flush()
        _meeting_action(team, case, by_email, owner, text, day, due_in, done_in, cancel)


def _referrals(team, meeting, patients, by_email):
    """A district nurse's referral waiting for triage, one where the chair asked for more,
    and one accepted onto the next meeting's list (its text shows in live mode)."""
    chair = by_email["chair"].id
    waiting = Referral(
        team_id=team.id, patient_id=patients[11].id, referrer_id=by_email["dn.patel"].id,
        question="Should we start a syringe driver now, or wait for the hospice review?",
        background="Vomiting for three days; not keeping oral morphine down.",
        tried="Oral anti-sickness medicine since Monday, without effect.", urgency="urgent",
        presenter_id=by_email["dn.patel"].id, preferred_date=meeting.occurrence_date)
    asked = Referral(
        team_id=team.id, patient_id=patients[12].id, referrer_id=by_email["cns.evans"].id,
        question="Does he need a care package?", urgency="routine", status="more_info",
        reply="What does he manage now, and what does his wife say?")
    position = len(db.session.scalars(select(Case.id).where(
        Case.meeting_id == meeting.id)).all()) + 1
    case = Case(meeting_id=meeting.id, patient_id=patients[4].id, position=position,
                reason="Wants to stay at home: who can support her partner at night?",
                urgency="soon", presenter_id=by_email["navigator.lee"].id, referred_by="Jo Lee",
                minutes=team.minutes_for("soon"))
    db.session.add_all([waiting, asked, case])
    db.session.flush()
    accepted = Referral(
        team_id=team.id, patient_id=patients[4].id, referrer_id=by_email["navigator.lee"].id,
        question=case.reason, urgency="soon", presenter_id=by_email["navigator.lee"].id,
        background="Partner is 82 and up three times a night; she is frightened of falls.",
        tried="Night sitting from Live Well twice a week; a bed sensor ordered.",
        status="accepted", case_id=case.id, meeting_id=meeting.id)
    db.session.add(accepted)
    db.session.flush()
    db.session.add_all([
        ReferralEvent(referral_id=waiting.id, user_id=waiting.referrer_id, kind="sent"),
        ReferralEvent(referral_id=asked.id, user_id=asked.referrer_id, kind="sent"),
        ReferralEvent(referral_id=asked.id, user_id=chair, kind="more_info",
                      message=asked.reply),
        ReferralEvent(referral_id=accepted.id, user_id=accepted.referrer_id, kind="sent"),
        ReferralEvent(referral_id=accepted.id, user_id=chair, kind="accepted")])


def _meeting_action(team, case, by_email, owner, text, day, due_in, done_in, cancel=False):
    """An action agreed at the meeting on `day` (13:00), done `done_in` days later."""
    raised = datetime.combine(day, time(13), LONDON)
    add_action(team, by_email, patient_id=case.patient_id, case_id=case.id, owner=owner,
               text=text, raised=raised, due_on=day + timedelta(days=due_in),
               done_at=raised + timedelta(days=done_in) if done_in is not None else None,
               cancel=cancel)
