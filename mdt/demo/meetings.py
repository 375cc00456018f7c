"""Demo meetings: a monthly series with two finished meetings (actions done on time, late,
overdue and cancelled, for the figures page) and next month's case list, and referrals.

Everything goes through the services, as the chair and the team would do it, each step at
its own time (timeutil.clock_at), so the meetings, cases, actions and referrals carry the
audit trail of real use. Each step is committed, as a request would be."""

from datetime import datetime, time, timedelta

from mdt.demo import builder
from mdt.demo.actions import follow_up
from mdt.extensions import db
from mdt.meetings import queries as meeting_queries
from mdt.meetings import service
from mdt.meetings.cases import add_case
from mdt.meetings.recording import ActionRow, CaseRecord, record_case
from mdt.meetings.recurrence import monthly_rule, occurrences
from mdt.referrals import service as referrals
from mdt.referrals.queries import meeting_options
from mdt.timeutil import LONDON, clock_at, london_today

START, END = time(12, 30), time(14, 0)


def _at(day, clock) -> datetime:
    return datetime.combine(day, clock, LONDON)


def add_meetings(team, patients, by_email, today):
    """A monthly series (second Tuesday, 12:30-14:00): last month's meeting finished with
    one case carried forward, and next month's with a case list ready to run. Returns the
    day of the last finished meeting."""
    chair = builder.team_actor(by_email["chair"].id, team.id)
    rule = monthly_rule(2, 1)
    first_date = today - timedelta(days=120)
    with clock_at(_at(first_date - timedelta(days=14), time(9))):
        series = service.create_series(chair, team.id, service.MeetingDetails(
            title=team.name, day=first_date, start=START, end=END,
            location="Riverside Health Centre, room 2",
            video_url="https://teams.microsoft.com/l/meetup-join/demo",
            chair_id=by_email["chair"].id), rule)
        db.session.commit()
    dates = occurrences(rule, first_date, after=today - timedelta(days=80), count=4)
    earlier, last = sorted(d for d in dates if d < today)[-2:]
    upcoming = min(d for d in dates if d >= today)
    _earlier_meeting(team, series, earlier, patients, by_email)
    _last_meeting(team, series, last, patients, by_email)
    # Finishing the last meeting opened the next one, with the undiscussed case carried to it.
    nxt = service.open_occurrence(chair, series, upcoming)
    db.session.commit()
    listed = [
        (0, "Review after falls at home; equipment and carer support", "routine",
         "navigator.lee"),
        (2, "New diagnosis of bone metastases: pain control and benefits", "urgent",
         "cns.evans"),
        (10, "No key worker: who should it be?", "soon", "chair"),
        (13, "End of life: check anticipatory medicines and DNACPR", "urgent", "hospice.ali"),
        (6, "Six-monthly review due; carer asks for respite", "routine", "dn.patel"),
    ]
    for index, reason, urgency, presenter in listed:
        add_case(chair, nxt, patient_id=patients[index].id, reason=reason, urgency=urgency,
                 presenter_id=by_email[presenter].id, referred_by="")
        db.session.commit()
    _referrals(team, nxt, patients, by_email)
    return last


def _hold(team, series, day, patients, by_email, *, cases, away, apologies=()):
    """One meeting of the series on `day`: its case list made a week before (apologies
    sent the day before), then on the day started, attendance taken, and each case
    discussed with its actions (`cases`: patient index, reason, presenter, outcome, notes,
    actions as (owner, text, due in days, done in days or None, cancelled)); a case without
    an outcome stays listed and finishing carries it forward. Returns the meeting."""
    chair = builder.team_actor(by_email["chair"].id, team.id)
    with clock_at(_at(day - timedelta(days=7), time(10))):
        meeting = service.open_occurrence(chair, series, day)
        made = [add_case(chair, meeting, patient_id=patients[index].id, reason=reason,
                         urgency=urgency, presenter_id=by_email[presenter].id, referred_by="")
                for index, reason, urgency, presenter, *_rest in cases]
        db.session.commit()
    for local in apologies:
        with clock_at(_at(day - timedelta(days=1), time(17))):
            service.send_apologies(builder.team_actor(by_email[local].id, team.id, "member"),
                                   meeting)
            db.session.commit()
    with clock_at(_at(day, START)):
        service.start_meeting(chair, meeting)
        for invitee in meeting_queries.invitees(meeting.id):
            local = invitee.email.split("@")[0]
            if local not in apologies:
                service.set_attendance(chair, meeting, invitee.id,
                                       "absent" if local in away else "present")
        db.session.commit()
    raised = _at(day, time(13))
    later = []
    for case, (_index, _reason, _urgency, _presenter, outcome, notes, actions) in zip(
            made, cases, strict=True):
        with clock_at(raised):
            rows = [ActionRow(description=text, owner_id=by_email[owner].id,
                              due_on=day + timedelta(days=due_in))
                    for owner, text, due_in, *_rest in actions]
            if outcome:
                record_case(chair, meeting, case, CaseRecord(
                    notes=notes, outcome=outcome, seen_version=case.version, actions=rows))
            else:  # not reached: an action agreed in passing, the case carried forward
                for row in rows:
                    builder.action(chair, team_id=team.id, description=row.description,
                                   owner_id=row.owner_id, due_on=row.due_on,
                                   patient_id=case.patient_id, case_id=case.id)
            db.session.commit()
        later += [(text, owner, done_in, cancel)
                  for owner, text, _due, done_in, cancel in actions]
    with clock_at(_at(day, END)):
        service.finish_meeting(chair, meeting)
        db.session.commit()
    by_text = {row.action.description: row.action
               for row in meeting_queries.meeting_actions(meeting.id)}
    for text, owner, done_in, cancel in later:
        follow_up(team, by_email, by_text[text], owner=owner, raised=raised,
                  done_at=raised + timedelta(days=done_in) if done_in is not None else None,
                  cancel=cancel)
    return meeting


def _earlier_meeting(team, series, day, patients, by_email):
    """The meeting before last: finished, with actions done on time, late, still open
    (overdue) and cancelled, so the figures page has a month to compare."""
    plan = [  # patient, reason, owner, action, due in days, done in days (None open), cancel
        (0, "Falls at home; lives alone", "navigator.lee", "Ask St Anne's about day hospice",
         14, None, False),
        (3, "Struggling with stairs", "dn.patel", "Arrange a commode and bed rails", 7, 5,
         False),
        (7, "Hospital follow-up unclear", "cns.evans", "Confirm the hospital follow-up date", 7,
         12, False),
        (9, "Carer under strain", "sw.brown", "Offer a carer's assessment", 21, None, True),
    ]
    _hold(team, series, day, patients, by_email, away=("navigator.lee", "livewell.smith"),
          cases=[(index, reason, "soon", "chair", "Agreed: " + text.lower(), "",
                  [(owner, text, due_in, done_in, cancel)])
                 for index, reason, owner, text, due_in, done_in, cancel in plan])


def _last_meeting(team, series, day, patients, by_email):
    """Last month's meeting: two cases discussed, one (a care package) not reached and
    carried forward to the next meeting; Dr Khan sent apologies."""
    notes = "Discussed with the whole team."
    _hold(team, series, day, patients, by_email, away=("livewell.smith",),
          apologies=("gp.khan",), cases=[
              (1, "Moved to palliative care after oncology review: who leads?", "urgent",
               "chair", "Agreed GP to review pain relief; hospice referral made.", notes,
               [("gp.hughes", "Increase pain relief; review in a week", 7, 3, False)]),
              (5, "Deteriorating; wishes about place of death not recorded", "urgent",
               "chair", "Family meeting held; prefers to die at home. Just in case "
                        "medicines in place.", notes,
               [("hospice.ali", "Prescribe just in case medicines", 2, 2, False)]),
              (8, "Carer struggling; needs a care package", "soon", "sw.brown", "", "",
               [("sw.brown", "Request a social care assessment", 10, None, False)]),
          ])


def _referrals(team, meeting, patients, by_email):
    """A district nurse's referral waiting for triage, one where the chair asked for more,
    and one accepted onto the next meeting's list (its text shows in live mode); sent by
    the referrers and triaged by the chair through the referrals service."""
    chair = builder.team_actor(by_email["chair"].id, team.id)
    today = london_today()

    def member(local):
        return builder.team_actor(by_email[local].id, team.id, "member")

    with clock_at(_at(today - timedelta(days=2), time(9, 15))):
        referrals.send_referral(
            member("dn.patel"), team_id=team.id, patient_id=patients[11].id,
            question="Should we start a syringe driver now, or wait for the hospice review?",
            background="Vomiting for three days; not keeping oral morphine down.",
            tried="Oral anti-sickness medicine since Monday, without effect.",
            urgency="urgent", presenter_id=by_email["dn.patel"].id,
            preferred_date=meeting.occurrence_date, today=today - timedelta(days=2))
        db.session.commit()
    with clock_at(_at(today - timedelta(days=6), time(11))):
        asked = referrals.send_referral(
            member("cns.evans"), team_id=team.id, patient_id=patients[12].id,
            question="Does he need a care package?", urgency="routine")
        db.session.commit()
    with clock_at(_at(today - timedelta(days=5), time(8, 40))):
        referrals.ask_for_more(chair, asked,
                               message="What does he manage now, and what does his wife say?",
                               seen_version=asked.version)
        db.session.commit()
    with clock_at(_at(today - timedelta(days=4), time(14))):
        accepted = referrals.send_referral(
            member("navigator.lee"), team_id=team.id, patient_id=patients[4].id,
            question="Wants to stay at home: who can support her partner at night?",
            background="Partner is 82 and up three times a night; she is frightened of falls.",
            tried="Night sitting from Live Well twice a week; a bed sensor ordered.",
            urgency="soon", presenter_id=by_email["navigator.lee"].id)
        db.session.commit()
    with clock_at(_at(today - timedelta(days=3), time(9))):
        choice = next(value for value, item in meeting_options(chair, team.id, london_today())
                      if item.meeting is not None and item.meeting.id == meeting.id)
        referrals.accept(chair, accepted, choice=choice, seen_version=accepted.version,
                         today=london_today())
        db.session.commit()

