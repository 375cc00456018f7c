"""A realistic, fictional demo: one neighbourhood team and its patients.

NHS numbers are from the 999 range, which is never issued to real people."""

from datetime import date, timedelta

from sqlalchemy import select

from mdt.auth.models import PROFESSIONS, User
from mdt.auth.service import find_user
from mdt.demo import actions, builder, meetings, visits
from mdt.demo.lifecycle import add_lifecycle
from mdt.extensions import db
from mdt.patients import key_info
from mdt.patients.handover import assign_key_worker
from mdt.patients.hna import change_stage, record_hna
from mdt.patients.key_info_service import save_section
from mdt.teams.service import add_user, get_or_create_team
from mdt.timeutil import london_today

TEAM = "Riverside Neighbourhood MDT"
OTHER_TEAM = "Hillside Neighbourhood MDT"

MEMBERS = [  # email local part, name, profession, organisation, role, skills
    ("chair", "Grace Okafor", "community_matron", "Riverside Community Health NHS Trust",
     "chair", ["syringe_driver", "wound_care", "medication_review", "injections", "hna"]),
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


demo_nhs_numbers = builder.nhs_numbers  # valid NHS numbers in the 999 test range


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
    db.session.commit()
    # Listed by each team's chair through the patients service (audited, as in real use).
    chairs = {team.id: find_user("chair@example.nhs.uk").id,
              other.id: find_user("hillside.chair@example.nhs.uk").id}
    numbers = demo_nhs_numbers(len(PATIENTS) + 1)
    patients = []
    for (given, family, dob, address, postcode, practice), number in zip(
            PATIENTS + [("Vera", "Lindqvist", date(1945, 1, 1), "1 Hill Road, Hillside",
                         "HS1 1AA", "Hillside Surgery")], numbers, strict=True):
        team_id = other.id if given == "Vera" else team.id
        patients.append(builder.patient(
            team=team_id, given=given, family=family, nhs_number=number, date_of_birth=dob,
            address=address, postcode=postcode, gp_practice=practice, phone="01632 960000",
            listed_on=london_today() - timedelta(days=200),
            by=builder.team_actor(chairs[team_id], team_id)))
    last_meeting = _care_records(team, patients[:len(PATIENTS)])
    by_email = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    add_lifecycle(team, other, patients[:len(PATIENTS)], by_email, london_today(),
                  last_meeting)
    return accounts


def _care_records(team, patients):
    """Key workers (three patients still without), stages, HNAs due and overdue, and one
    full key information record, so every flag on the patient list shows; recorded by the
    chair (the key information by the navigator) through the patients' services, audited
    as in real use. Returns the day of the last finished meeting."""
    by_email = {u.email.split("@")[0]: u for u in db.session.scalars(select(User))}
    chair = builder.team_actor(by_email["chair"].id, team.id)
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
            assign_key_worker(chair, patient_id=patient.id, team_id=team.id,
                              to_user_id=by_email[local].id,
                              reason="Agreed at the neighbourhood MDT", seen_key_worker_id=None)
            db.session.commit()
        if index in stages:
            stage, days = stages[index]
            change_stage(chair, patient, stage=stage, changed_on=today - timedelta(days=days),
                         seen_version=patient.version)
            db.session.commit()
        if index in hna_days_ago:
            record_hna(chair, patient, assessed_on=today - timedelta(days=hna_days_ago[index]),
                       assessed_by_id=by_email[local or "navigator.lee"].id,
                       concerns_text="\n".join((
                           "Worried about managing stairs", "Carer exhausted, needs respite",
                           "Money worries since stopping work")[: 1 + index % 3]))
            db.session.commit()
    actions.add_actions(team, patients, by_email, today)
    last_meeting = meetings.add_meetings(team, patients, by_email, today)
    visits.add_visits(team, patients, by_email, today)
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
    navigator = builder.team_actor(by_email["navigator.lee"].id, team.id, "member")
    for name, data in sections.items():
        save_section(navigator, first, name,
                     key_info.as_form_values(key_info.BY_NAME[name], data), seen_version=0)
        db.session.commit()
    return last_meeting
