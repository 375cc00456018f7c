"""SQL statements per page (issue 21: <= 5, whatever the number of rows).

Each named page is fetched at 10 rows and again at 500 (built through the shared builder,
mdt/demo/builder.py), and every statement the request runs on the database is counted:
the signed-in check and the header (one statement for all of it), the page's own reads,
and the audit row its view writes (counted: the chain head's UPDATE and the INSERT). Only
the SAVEPOINTs a rolled-back test's sessions make instead of transactions are left out
(tests.conftest.count_queries). Set QUERY_DUMP=1 to print every statement.
"""

import os
from datetime import timedelta

import pytest

from mdt.extensions import db
from tests.conftest import count_queries

GOAL = 5
# Pages not at the goal yet (issue 21), held at what they take now so they cannot grow: the
# patient page reads eight lists of its own (team links, key information, handovers, HNAs
# with their concerns, actions with their logs, discussions at meetings, caseload history)
# besides the patient, the header and its audit row.
NOT_YET = {"patient": 11}


def _grow(app, world: dict, size: int) -> None:
    """Rows on every list the named pages show, up to `size` of each."""
    from mdt.demo import builder
    from mdt.timeutil import london_today

    with app.app_context():
        team_id = builder.team("Riverside").id
        chair = builder.team_actor(world["chair_id"], team_id, "chair")
        nurse = builder.team_actor(world["nurse_id"], team_id, "member")
        numbers = builder.nhs_numbers(size, start=300001)
        today = london_today()
        for n in range(world["size"], size):
            made = builder.patient(team=team_id, given=f"Given{n}", family=f"Family{n:04d}",
                                   nhs_number=numbers[n])
            # The nurse's day list (/visits) and the nurse's referrals (/referrals).
            builder.visit(nurse, team_id=team_id, patient_id=made.id,
                          professional_id=world["nurse_id"], day=today,
                          window=("morning", "afternoon")[n % 2], tasks=[("Dressing", "Injection")[n % 2]])
            builder.referral(nurse, team_id=team_id, patient_id=made.id,
                             question=f"Question {n}", urgency=("urgent", "routine")[n % 2])
            if n % 5 == 0:  # a second visit to the patient: a merge suggestion on the list
                builder.visit(chair, team_id=team_id, patient_id=made.id,
                              professional_id=world["chair_id"], day=today,
                              window="afternoon", tasks=["Injection"])
            if world.get("patient_id") is None:  # the patient page: an HNA, a key worker
                from mdt.patients.handover import assign_key_worker
                from mdt.patients.hna import record_hna

                world["patient_id"] = made.id
                record_hna(chair, made, assessed_on=today - timedelta(days=10),
                           assessed_by_id=world["nurse_id"], concerns_text="Pain\nSleep")
                assign_key_worker(chair, patient_id=made.id, team_id=team_id,
                                  to_user_id=world["nurse_id"], reason="Named at the MDT",
                                  seen_key_worker_id=None)
                db.session.commit()
            # One patient's page with `size` actions on it.
            builder.action(chair, team_id=team_id, description=f"Action {n}",
                           owner_id=world["nurse_id"], due_on=today + timedelta(days=n % 9),
                           patient_id=world["patient_id"])
        world["size"] = size


PAGES = {  # name: (endpoint, who asks, view args)
    "patients": ("patients.index", "nurse", {}),
    "patient": ("patients.show", "nurse", {"patient_id": None}),
    "visits": ("visits.index", "nurse", {}),
    "referrals (chair)": ("referrals.index", "chair", {}),
    "referrals (member)": ("referrals.index", "nurse", {}),
    # The lead adds these when the meeting and live-mode slices land:
    # "meeting": ("meetings.show", "chair", {"meeting_id": None}),
    # "live": ("meetings.live", "chair", {"meeting_id": None}),
}


def _count(app, clients, world, endpoint, who, args):
    args = {k: (world["patient_id"] if k == "patient_id" else v) for k, v in args.items()}
    client = clients[who]
    with app.app_context():
        engine = db.engine
    client.get(endpoint, **args)  # warm: the session's once-a-minute "last seen" is written
    with count_queries(engine) as statements:
        client.get(endpoint, **args)
    if os.environ.get("QUERY_DUMP"):
        print(f"\n--- {endpoint} ({who}): {len(statements)}")
        for statement in statements:
            print("   ", " ".join(statement.split())[:220])
    return len(statements)


@pytest.fixture
def world(app, make_user):
    from tests.conftest import ClientRequest

    chair = make_user(role="chair", name="Chair Person")
    nurse = make_user(role="member", name="Nurse Person",
                      skills=["wound_care", "injections", "syringe_driver"])
    clients = {"chair": ClientRequest(app).sign_in(chair),
               "nurse": ClientRequest(app).sign_in(nurse)}
    return {"chair_id": chair.id, "nurse_id": nurse.id, "size": 0, "clients": clients}


def test_every_named_page_takes_the_same_few_statements_at_10_and_500_rows(app, world):
    clients = world["clients"]
    _grow(app, world, 10)
    few = {name: _count(app, clients, world, *spec) for name, spec in PAGES.items()}
    day = clients["nurse"].get("visits.index")  # what the one query shows is all there
    assert len(day.select(".visit-row")) == 10 and len(day.select(".app-suggestion")) == 2
    _grow(app, world, 500)
    many = {name: _count(app, clients, world, *spec) for name, spec in PAGES.items()}
    assert few == many, (few, many)
    assert all(count <= NOT_YET.get(name, GOAL) for name, count in many.items()), many
