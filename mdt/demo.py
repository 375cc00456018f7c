"""A realistic, fictional demo: one neighbourhood team and its patients.

NHS numbers are from the 999 range, which is never issued to real people."""

from datetime import date, timedelta

from sqlalchemy import select, update

from mdt.auth.models import PROFESSIONS, User
from mdt.auth.service import find_user
from mdt.extensions import db
from mdt.patients.models import (
    Hna,
    HnaConcern,
    KeyInfoSection,
    KeyWorkerHandover,
    Patient,
    PatientTeam,
)
from mdt.patients.nhs_number import check_digit
from mdt.teams.service import add_user, get_or_create_team
from mdt.timeutil import london_today

TEAM = "Riverside Neighbourhood MDT"
OTHER_TEAM = "Hillside Neighbourhood MDT"

MEMBERS = [  # email local part, name, profession, organisation, role, skills
    ("chair", "Grace Okafor", "community_matron", "Riverside Community Health NHS Trust",
     "chair", ["syringe_driver", "medication_review", "injections", "hna"]),
    ("dn.patel", "Priya Patel", "district_nurse", "Riverside Community Health NHS Trust",
     "member", ["wound_care", "injections", "bloods", "catheter_care"]),
    ("dn.murphy", "Sean Murphy", "district_nurse", "Riverside Community Health NHS Trust",
     "member", ["wound_care", "syringe_driver", "injections", "catheter_care"]),
    ("gp.hughes", "Dr Alys Hughes", "gp", "Riverside Medical Practice", "member",
     ["medication_review"]),
    ("gp.khan", "Dr Imran Khan", "gp", "Bridge Street Surgery", "member", ["medication_review"]),
    ("sw.brown", "Carla Brown", "social_worker", "Riverside County Council", "member", []),
    ("cns.evans", "Megan Evans", "cns_macmillan", "Macmillan Cancer Support", "member",
     ["hna", "medication_review"]),
    ("hospice.ali", "Yusuf Ali", "hospice_nurse", "St Anne's Hospice", "member",
     ["syringe_driver", "wellbeing", "hna"]),
    ("navigator.lee", "Jo Lee", "support_worker", "Riverside PCN", "member",
     ["hna", "wellbeing"]),
    ("livewell.smith", "Tom Smith", "voluntary_sector", "Live Well Riverside", "member",
     ["wellbeing"]),
]

PATIENTS = [  # given, family, date of birth, address, postcode, practice
    ("Margaret", "Ellis", date(1941, 3, 14), "12 Mill Lane, Riverside", "RV1 2AB", "Riverside Medical Practice"),
    ("Arthur", "Whitfield", date(1938, 11, 2), "4 Canal Row, Riverside", "RV1 3CD", "Riverside Medical Practice"),
    ("Doreen", "Achebe", date(1952, 6, 21), "Flat 3, 88 High Street, Riverside", "RV2 1EF", "Bridge Street Surgery"),
    ("Kenneth", "Morris", date(1947, 1, 9), "27 Orchard Way, Riverside", "RV2 4GH", "Bridge Street Surgery"),
    ("Sunita", "Sharma", date(1960, 9, 30), "9 Beech Close, Riverside", "RV3 5JK", "Riverside Medical Practice"),
    ("Patrick", "O'Connell", date(1944, 4, 17), "Rosewood Care Home, Riverside", "RV3 6LM", "Riverside Medical Practice"),
    ("Eileen", "Barker", date(1935, 12, 5), "2 Church Walk, Riverside", "RV1 7NP", "Bridge Street Surgery"),
    ("Wojciech", "Nowak", date(1958, 7, 12), "15 Station Road, Riverside", "RV4 8QR", "Riverside Medical Practice"),
    ("Gladys", "Thompson", date(1939, 2, 28), "31 Meadow View, Riverside", "RV4 9ST", "Bridge Street Surgery"),
    ("Hamid", "Rahimi", date(1966, 10, 3), "6 Ferry Street, Riverside", "RV2 2UV", "Riverside Medical Practice"),
    ("Brenda", "Collins", date(1950, 5, 19), "44 Park Avenue, Riverside", "RV1 4WX", "Bridge Street Surgery"),
    ("Derek", "Walsh", date(1943, 8, 8), "7 Willow Court, Riverside", "RV3 1YZ", "Riverside Medical Practice"),
    ("Olufemi", "Adeyemi", date(1955, 3, 25), "19 Quay Side, Riverside", "RV4 2AB", "Bridge Street Surgery"),
    ("Irene", "Fletcher", date(1931, 9, 11), "Elm House Nursing Home, Riverside", "RV2 3CD", "Riverside Medical Practice"),
    ("Stanley", "Hughes", date(1949, 12, 24), "58 Victoria Terrace, Riverside", "RV1 5EF", "Bridge Street Surgery"),
]


def demo_nhs_numbers(count: int, start: int = 100001):
    """Valid NHS numbers in the 999 test range, in a fixed order."""
    found, serial = [], start
    while len(found) < count:
        nine = f"999{serial:06d}"
        digit = check_digit(nine)
        if digit is not None:
            found.append(nine + str(digit))
        serial += 1
    return found


def load_demo(password: str) -> list[tuple[str, str]]:
    """Adds the demo (idempotent: a second run changes nothing); returns (email, label)."""
    accounts = [(f"{local}@example.nhs.uk", f"{name}, {PROFESSIONS[prof].lower()}"
                 + (" (chair)" if role == "chair" else ""))
                for local, name, prof, _org, role, _skills in MEMBERS]
    extra = [("hillside.chair@example.nhs.uk", "Ruth Adams, chair of another team"),
             ("admin@example.nhs.uk", "Sam Admin, system administrator (no team)")]
    if find_user("chair@example.nhs.uk"):
        return accounts + extra
    team = get_or_create_team(TEAM)
    for local, name, profession, organisation, role, skills in MEMBERS:
        add_user(email=f"{local}@example.nhs.uk", name=name, password=password,
                 profession=profession, organisation=organisation, skills=skills,
                 team_name=TEAM, role=role, phone="0300 123 4567")
    # A second team with its own chair and patient, to show that teams cannot see each other.
    add_user(email="hillside.chair@example.nhs.uk", name="Ruth Adams",
             profession="community_matron", organisation="Hillside Health", password=password,
             team_name=OTHER_TEAM, role="chair")
    add_user(email="admin@example.nhs.uk", name="Sam Admin", profession="other",
             organisation="Riverside Community Health NHS Trust", password=password,
             is_admin=True)
    accounts += extra
    other = get_or_create_team(OTHER_TEAM)
    numbers = demo_nhs_numbers(len(PATIENTS) + 1)
    patients = []
    for (given, family, dob, address, postcode, practice), number in zip(
            PATIENTS + [("Vera", "Lindqvist", date(1945, 1, 1), "1 Hill Road, Hillside",
                         "HS1 1AA", "Hillside Surgery")], numbers, strict=True):
        patient = Patient(nhs_number=number, given_name=given, family_name=family,
                          date_of_birth=dob, address=address, postcode=postcode,
                          gp_practice=practice, phone="01632 960000")
        db.session.add(patient)
        db.session.flush()
        db.session.add(PatientTeam(patient_id=patient.id,
                                   team_id=other.id if given == "Vera" else team.id,
                                   listed_on=london_today() - timedelta(days=200)))
        patients.append(patient)
    _care_records(team, patients[:len(PATIENTS)])
    return accounts


def _care_records(team, patients):
    """Key workers (three patients still without), stages, HNAs due and overdue, and one
    full key information record, so every flag on the patient list shows."""
    by_email = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    chair = by_email["chair"]
    today = london_today()
    key_workers = ["navigator.lee", "dn.patel", "cns.evans", "dn.murphy", "navigator.lee",
                   "hospice.ali", "cns.evans", "dn.patel", "navigator.lee", "sw.brown", None,
                   "dn.murphy", None, "hospice.ali", None]
    stages = {1: ("palliative", 40), 5: ("end_of_life", 3), 7: ("palliative", 90),
              13: ("end_of_life", 10)}
    hna_days_ago = {0: 20, 1: 170, 2: 250, 3: 60, 5: 100, 6: 160, 7: 30, 9: 200, 11: 75}
    for index, patient in enumerate(patients):
        local = key_workers[index]
        if local:
            user = by_email[local]
            db.session.execute(update(PatientTeam).where(
                PatientTeam.patient_id == patient.id, PatientTeam.team_id == team.id)
                .values(key_worker_id=user.id))
            db.session.add(KeyWorkerHandover(
                patient_id=patient.id, team_id=team.id, to_user_id=user.id,
                reason="Agreed at the neighbourhood MDT", decided_in="direct",
                recorded_by_id=chair.id))
        if index in stages:
            stage, days = stages[index]
            patient.pathway_stage = stage
            patient.pathway_stage_changed_on = today - timedelta(days=days)
        if index in hna_days_ago:
            hna = Hna(patient_id=patient.id, team_id=team.id,
                      assessed_on=today - timedelta(days=hna_days_ago[index]),
                      assessed_by_id=by_email[local or "navigator.lee"].id,
                      recorded_by_id=chair.id)
            db.session.add(hna)
            db.session.flush()
            db.session.add_all(HnaConcern(hna_id=hna.id, text=text) for text in (
                "Worried about managing stairs", "Carer exhausted, needs respite",
                "Money worries since stopping work")[: 1 + index % 3])
    _actions(team, patients, by_email, today)
    _meetings(team, patients, by_email, today)
    _visits(team, patients, by_email, today)
    first = patients[0]
    sections = {
        "what_matters": {"what_matters": "Staying at home with her cat, Bramble. Seeing her "
                         "granddaughter's wedding in the spring."},
        "wishes": {"preferred_place_of_care": "home", "preferred_place_of_death": "home"},
        "resuscitation": {"resuscitation_status": "dnacpr",
                          "resuscitation_date": (today - timedelta(days=30)).isoformat(),
                          "resuscitation_location": "Red folder on the kitchen dresser"},
        "people": {"carer_name": "David Ellis", "carer_relationship": "Son",
                   "carer_phone": "07700 900123", "next_of_kin_name": "David Ellis",
                   "next_of_kin_relationship": "Son", "next_of_kin_phone": "07700 900123",
                   "lpa_health_welfare": "yes", "lpa_name": "David Ellis, 07700 900123"},
        "communication": {"communication_needs": "Hard of hearing: speak clearly, face her."},
        "medicines": {"allergies": "Penicillin (rash)",
                      "key_medicines": "Morphine sulfate MR 20mg twice daily\n"
                                       "Just in case medicines at home since October"},
        "professionals": {"other_professionals": "Dr Alys Hughes, GP, Riverside Medical "
                          "Practice\nSt Anne's Hospice community team, 01632 960111"},
        "consent": {"consent": "given", "consent_date": (today - timedelta(days=60)).isoformat()},
    }
    for name, data in sections.items():
        db.session.add(KeyInfoSection(patient_id=first.id, section=name, data=data,
                                      changed_by_id=by_email["navigator.lee"].id))


def _actions(team, patients, by_email, today):
    """Open actions overdue, due this week and later, and a done one, each with its log."""
    from datetime import datetime, time

    from mdt.actions.models import Action, ActionLogEntry
    from mdt.timeutil import LONDON

    plan = [  # patient index, owner, description, due in days, raised days ago, done
        (0, "navigator.lee", "Ask the hospice about day therapy", -3, 20, False),
        (0, "dn.patel", "Order a pressure-relieving mattress", 2, 10, False),
        (1, "gp.hughes", "Review pain medication after stage change", -1, 14, False),
        (2, "sw.brown", "Start a care package assessment", 5, 7, False),
        (3, "navigator.lee", "Book a Holistic Needs Assessment", 12, 3, False),
        (5, "hospice.ali", "Discuss preferred place of death with family", 1, 5, False),
        (6, "navigator.lee", "Refer carer to Live Well carers' group", 20, 2, False),
        (7, "cns.evans", "Check blue badge application", -6, 30, False),
        (9, "navigator.lee", "Apply for attendance allowance (SR1)", 4, 12, True),
    ]
    for index, owner, text, due_in, raised_ago, done in plan:
        raised = datetime.combine(today - timedelta(days=raised_ago), time(10), LONDON)
        owner_id = by_email[owner].id
        action = Action(team_id=team.id, patient_id=patients[index].id, description=text,
                        owner_id=owner_id, due_on=today + timedelta(days=due_in),
                        created_by_id=by_email["chair"].id, created_at=raised,
                        status="done" if done else "open",
                        completed_at=raised + timedelta(days=2) if done else None,
                        completed_on=(raised + timedelta(days=2)).date() if done else None)
        db.session.add(action)
        db.session.flush()
        db.session.add(ActionLogEntry(action_id=action.id, team_id=team.id, at=raised,
                                      user_id=by_email["chair"].id, kind="created",
                                      new_value=text))
        if done:
            db.session.add(ActionLogEntry(action_id=action.id, team_id=team.id,
                                          at=raised + timedelta(days=2), user_id=owner_id,
                                          kind="completed", old_value="open", new_value="done"))


def _meetings(team, patients, by_email, today):
    """A monthly series (second Tuesday, 12:30-14:00): last month's meeting finished with
    one case carried forward, and next month's with a case list ready to run."""
    from datetime import time

    from mdt.meetings.models import Case, Invitee, MeetingSeries
    from mdt.meetings.recurrence import monthly_rule, occurrences
    from mdt.meetings.service import open_occurrence
    from mdt.timeutil import utcnow

    rule = monthly_rule(2, 1)
    series = MeetingSeries(team_id=team.id, title=TEAM, rrule=rule,
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
    past = open_occurrence(None, series, last, commit=False)
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
    nxt = open_occurrence(None, series, upcoming, commit=False)
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
    from mdt.meetings.models import Case, Invitee
    from mdt.meetings.service import open_occurrence
    from mdt.timeutil import utcnow

    meeting = open_occurrence(None, series, day, commit=False)
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


def _meeting_action(team, case, by_email, owner, text, day, due_in, done_in, cancel=False):
    """An action agreed at a meeting on `day`, with its log: done `done_in` days later,
    cancelled, or still open."""
    from datetime import datetime, time

    from mdt.actions.models import Action, ActionLogEntry
    from mdt.timeutil import LONDON

    raised = datetime.combine(day, time(13), LONDON)
    done = raised + timedelta(days=done_in) if done_in is not None else None
    action = Action(team_id=team.id, patient_id=case.patient_id, case_id=case.id,
                    description=text, owner_id=by_email[owner].id,
                    due_on=day + timedelta(days=due_in), created_by_id=by_email["chair"].id,
                    created_at=raised, status="cancelled" if cancel else "done" if done else
                    "open", completed_at=done, completed_on=done.date() if done else None,
                    cancel_reason="The family declined for now" if cancel else "")
    db.session.add(action)
    db.session.flush()
    log = [(raised, by_email["chair"].id, "created", "", text)]
    if done:
        log.append((done, by_email[owner].id, "completed", "open", "done"))
    if cancel:
        log.append((raised + timedelta(days=9), by_email[owner].id, "cancelled", "open",
                    "cancelled"))
    for at, user_id, kind, old, new in log:
        db.session.add(ActionLogEntry(action_id=action.id, team_id=team.id, at=at,
                                      user_id=user_id, kind=kind, old_value=old,
                                      new_value=new))


def _referrals(team, meeting, patients, by_email):
    """A district nurse's referral waiting for triage, one where the chair asked for more,
    and one accepted onto the next meeting's list (its text shows in live mode)."""
    from mdt.meetings.models import Case
    from mdt.referrals.models import Referral, ReferralEvent

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


def _visits(team, patients, by_email, today):
    """Tomorrow: the matron changes Patrick O'Connell's syringe driver and a district nurse
    dresses his leg ulcer, the seed documents' example; the merge suggestion shows for both."""
    from mdt.visits.models import Visit, VisitTask
    from mdt.visits.service import ensure_task_catalogue, task_types

    ensure_task_catalogue(team.id)
    tasks = {t.name: t.id for t in task_types(team.id)}
    tomorrow = today + timedelta(days=1)
    plan = [  # patient index, professional, window, tasks
        (5, "chair", "morning", ["Syringe driver change"]),
        (5, "dn.patel", "afternoon", ["Dressing"]),
        (0, "dn.patel", "morning", ["Dressing", "Bloods"]),
        (3, "dn.murphy", "morning", ["Injection"]),
        (13, "hospice.ali", "afternoon", ["Syringe driver change", "Wellbeing check"]),
        (6, "dn.murphy", "afternoon", ["Catheter care"]),
    ]
    for index, who, window, names in plan:
        visit = Visit(team_id=team.id, patient_id=patients[index].id,
                      professional_id=by_email[who].id, day=tomorrow, window=window,
                      minutes=30 * len(names), created_by_id=by_email["chair"].id)
        db.session.add(visit)
        db.session.flush()
        db.session.add_all(VisitTask(visit_id=visit.id, task_type_id=tasks[n]) for n in names)
