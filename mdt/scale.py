"""`flask --app wsgi seed-scale`: a whole ICB's data, fictional, for load tests (issue 21).

500 teams, 50,000 patients, 5,000 users and two years of fortnightly meetings by default:
cases with outcomes, invitees with attendance, actions with their log (open, done and
overdue), home visits from a fortnight back to a fortnight ahead (some patients seen twice
on a day, so the merge suggestions show), the reminders already sent, and a calendar feed
link for every user and team.

Built for speed, not through the services: ids are given here, rows go in with bulk
`insert()` executemany in chunks, and one password hash (argon2 costs ~0.1 s) is computed
once for every account. What a load test needs (emails, the password, feed tokens, the
meetings to run live) is returned as a manifest for `--out`. NHS numbers are from the 999
test range, never issued to real people."""

import random
import secrets
import time as clock
import uuid
from collections import defaultdict
from datetime import date, time, timedelta

from sqlalchemy import func, insert, select, text

from mdt.actions.models import Action, ActionLogEntry
from mdt.auth.models import User
from mdt.auth.service import hash_password
from mdt.calendar.feeds import hash_token
from mdt.calendar.models import CalendarFeed
from mdt.extensions import db
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.meetings.recurrence import weekly_rule
from mdt.patients.models import Hna, Patient, PatientTeam
from mdt.patients.nhs_number import numbers_in_test_range
from mdt.reminders.models import Reminder
from mdt.teams.models import Membership, Team
from mdt.timeutil import london_to_utc, london_today, utcnow
from mdt.visits.models import DEFAULT_TASKS, TaskType, Visit, VisitTask

DEFAULT_PASSWORD = "icb-scale-bench-2026"
DOMAIN = "icb.example.nhs.uk"
CHUNK = 5000

# Each team's members in this order; the first is its chair, the second a second chair on
# every other team. Users beyond a team's share get the later roles again.
TEAM_ROLES = [  # profession, email tag, skills
    ("community_matron", "matron", ["syringe_driver", "wound_care", "medication_review",
                                    "injections", "hna"]),
    ("gp", "gp", ["medication_review"]),
    ("district_nurse", "dn", ["wound_care", "injections", "bloods", "catheter_care"]),
    ("district_nurse", "dn", ["wound_care", "syringe_driver", "injections", "catheter_care"]),
    ("district_nurse", "dn", ["wound_care", "injections", "bloods"]),
    ("gp", "gp", ["medication_review"]),
    ("social_worker", "sw", []),
    ("cns_macmillan", "cns", ["hna", "medication_review"]),
    ("hospice_nurse", "hospice", ["syringe_driver", "wellbeing", "hna"]),
    ("support_worker", "nav", ["hna", "wellbeing"]),
    ("district_nurse", "dn", ["wound_care", "bloods", "catheter_care"]),
    ("community_matron", "matron", ["syringe_driver", "wound_care", "injections"]),
]
VISITING = {"district_nurse", "community_matron", "hospice_nurse"}
KEY_WORKERS = VISITING | {"cns_macmillan", "support_worker", "social_worker"}

PLACES = ["Riverside", "Hillside", "Northgate", "Eastfield", "Westbrook", "Southmead",
          "Ashford", "Beechwood", "Crossways", "Dunmore", "Elmstead", "Fairview", "Greenhill",
          "Hollybank", "Kingsway", "Larkfield", "Meadowbank", "Oakley", "Parkside", "Quayside"]
GIVEN = ["Margaret", "Arthur", "Doreen", "Kenneth", "Sunita", "Patrick", "Eileen", "Wojciech",
         "Gladys", "Hamid", "Brenda", "Derek", "Olufemi", "Irene", "Stanley", "Priya", "Sean",
         "Alys", "Imran", "Carla", "Megan", "Yusuf", "Jo", "Tom", "Grace", "Ruth", "Aisha",
         "David", "Fatima", "George", "Helen", "Ian", "Joan", "Kwame", "Linda", "Mohammed"]
FAMILY = ["Ellis", "Whitfield", "Achebe", "Morris", "Sharma", "O'Connell", "Barker", "Nowak",
          "Thompson", "Rahimi", "Collins", "Walsh", "Adeyemi", "Fletcher", "Hughes", "Patel",
          "Murphy", "Khan", "Brown", "Evans", "Ali", "Lee", "Smith", "Okafor", "Adams",
          "Jones", "Williams", "Taylor", "Davies", "Wilson", "Roberts", "Begum", "Nguyen",
          "Kowalski", "Campbell", "Stewart", "Clarke", "Wright", "Green", "Hall"]
STREETS = ["Mill Lane", "Canal Row", "High Street", "Orchard Way", "Beech Close", "Church Walk",
           "Station Road", "Meadow View", "Ferry Street", "Park Avenue", "Willow Court",
           "Quay Side", "Victoria Terrace"]
REASONS = ["Falls at home; lives alone", "Struggling with stairs", "Carer under strain",
           "Moved to palliative care: who leads?", "Pain not controlled",
           "Wishes about place of death not recorded", "Needs a care package",
           "Hospital follow-up unclear", "No key worker: who should it be?",
           "End of life: check anticipatory medicines and DNACPR",
           "Six-monthly review due; carer asks for respite",
           "New diagnosis: pain control and benefits"]
OUTCOMES = ["Agreed GP to review pain relief.", "Hospice referral made.",
            "Family meeting to be arranged.", "Care package requested.",
            "No change: review at the next meeting.", "Equipment ordered; OT to visit.",
            "Just in case medicines in place."]
ACTIONS = ["Review pain medication", "Request a social care assessment",
           "Book a Holistic Needs Assessment", "Order a pressure-relieving mattress",
           "Refer carer to the carers' group", "Confirm the hospital follow-up date",
           "Discuss preferred place of death with family", "Ask the hospice about day therapy"]
STAGES = ["living_with_cancer"] * 6 + ["palliative"] * 3 + ["end_of_life"]


class ScaleError(RuntimeError):
    pass


def nhs_numbers(count: int, start: int = 400000) -> list[str]:
    try:
        return numbers_in_test_range(count, start)
    except ValueError as exc:
        raise ScaleError(str(exc)) from None


class _Ids:
    """The next free id of each table (ids are given here, so rows can point at each
    other without reading anything back)."""

    def __init__(self):
        self.next = {}

    def take(self, model, count: int = 1) -> int:
        table = model.__table__
        if table.name not in self.next:
            self.next[table.name] = (db.session.scalar(select(func.max(table.c.id))) or 0) + 1
        first = self.next[table.name]
        self.next[table.name] += count
        return first


def _insert(model, rows: list[dict]) -> int:
    for start in range(0, len(rows), CHUNK):
        db.session.execute(insert(model.__table__), rows[start:start + CHUNK])
    return len(rows)


def _fix_sequences(tables) -> None:
    """PostgreSQL: move each id sequence past the ids given here."""
    if db.engine.dialect.name != "postgresql":
        return
    for name in tables:
        db.session.execute(text(
            f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
            f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))


def seed_scale(*, teams: int = 500, patients: int = 50000, users: int = 5000,
               months: int = 24, password: str = DEFAULT_PASSWORD, live: int = 25,
               seed: int = 21, today: date | None = None, echo=print) -> dict:
    """Adds the ICB (in the caller's transaction; the caller commits). Returns the
    manifest a load test reads."""
    if teams < 1 or users < 2 * teams or patients < teams or months < 1:
        raise ScaleError("need at least one team, two users and one patient per team, "
                         "and a month")
    if db.session.scalar(select(func.count()).select_from(User).where(
            User.email.like(f"%@{DOMAIN}"))):
        raise ScaleError(f"this database already has {DOMAIN} accounts: seed-scale runs on "
                         "a fresh database")
    rng = random.Random(seed)
    today = today or london_today()
    now = utcnow()
    ids = _Ids()
    counts: dict[str, int] = {}
    started = clock.perf_counter()

    def step(name, model, rows):
        counts[name] = counts.get(name, 0) + _insert(model, rows)
        echo(f"  {name:16} {counts[name]:>9,}  ({clock.perf_counter() - started:6.1f} s)")

    # --- teams, users, memberships ------------------------------------------------------
    team_first = ids.take(Team, teams)
    team_ids = list(range(team_first, team_first + teams))
    step("teams", Team, [{"id": tid, "name": f"{PLACES[i % len(PLACES)]} Neighbourhood MDT "
                          f"{i + 1:03d}", "created_at": now - timedelta(days=800),
                          "review_interval_months": 6} for i, tid in enumerate(team_ids)])
    password_hash = hash_password(password)  # once: argon2 costs ~0.1 s a hash
    user_first = ids.take(User, users)
    user_rows, member_rows = [], []
    members = defaultdict(list)  # team id -> [(user id, profession, role)]
    people = {}  # user id -> (email, name, profession)
    slot = defaultdict(int)
    for n in range(users):
        uid = user_first + n
        t = n % teams
        k = slot[t]
        slot[t] += 1
        profession, tag, skills = TEAM_ROLES[k % len(TEAM_ROLES)]
        name = f"{rng.choice(GIVEN)} {rng.choice(FAMILY)}"
        if profession == "gp":
            name = "Dr " + name
        email = f"{tag}.{n + 1:05d}@{DOMAIN}"
        user_rows.append({"id": uid, "email": email, "name": name, "password_hash": password_hash,
                          "profession": profession, "organisation": f"{PLACES[t % len(PLACES)]} "
                          "Community Health NHS Trust", "phone": "0300 123 4567",
                          "skills": skills, "is_admin": False, "is_active": True,
                          "created_at": now - timedelta(days=700)})
        people[uid] = (email, name, profession)
        role = "chair" if k == 0 or (k == 1 and t % 2 == 0) else "member"
        member_rows.append({"team_id": team_ids[t], "user_id": uid, "role": role})
        members[team_ids[t]].append((uid, profession, role))
        # Some GPs, social workers and CNSs sit on a neighbouring team too.
        if teams > 1 and role == "member" and profession in ("gp", "social_worker",
                                                             "cns_macmillan") and n % 3 == 0:
            other = team_ids[(t + 1) % teams]
            member_rows.append({"team_id": other, "user_id": uid, "role": "member"})
            members[other].append((uid, profession, "member"))
    step("users", User, user_rows)
    member_first = ids.take(Membership, len(member_rows))
    for offset, row in enumerate(member_rows):
        row["id"] = member_first + offset
    step("memberships", Membership, member_rows)
    del user_rows, member_rows
    chairs = {tid: [u for u, _p, r in members[tid] if r == "chair"] for tid in team_ids}
    keyworkers = {tid: [u for u, p, _r in members[tid] if p in KEY_WORKERS] or
                  [u for u, _p, _r in members[tid]] for tid in team_ids}
    visitors = {tid: [u for u, p, _r in members[tid] if p in VISITING] or chairs[tid]
                for tid in team_ids}

    # --- patients on caseloads ----------------------------------------------------------
    patient_first = ids.take(Patient, patients)
    caseload = defaultdict(list)  # team id -> [patient id]
    key_worker = {}
    patient_rows, listed_rows, hna_rows = [], [], []
    for n, number in enumerate(nhs_numbers(patients)):
        pid = patient_first + n
        tid = team_ids[n % teams]
        place = PLACES[(n % teams) % len(PLACES)]
        stage = rng.choice(STAGES)
        patient_rows.append({
            "id": pid, "nhs_number": number, "given_name": rng.choice(GIVEN),
            "family_name": rng.choice(FAMILY),
            "date_of_birth": date(1925, 1, 1) + timedelta(days=rng.randrange(365 * 45)),
            "address": f"{rng.randrange(1, 200)} {rng.choice(STREETS)}, {place}",
            "postcode": f"{place[:2].upper()}{rng.randrange(1, 9)} {rng.randrange(1, 9)}"
                        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "gp_practice": f"{place} Medical Practice", "phone": "01632 960000",
            "created_at": now - timedelta(days=rng.randrange(30, 720)), "updated_at": now,
            "pathway_stage": stage, "version": 1,
            "pathway_stage_changed_on": today - timedelta(days=rng.randrange(1, 300))
            if stage != "living_with_cancer" else None})
        kw = rng.choice(keyworkers[tid]) if rng.random() < 0.95 else None
        key_worker[pid] = kw
        listed_rows.append({"patient_id": pid, "team_id": tid, "key_worker_id": kw,
                            "listed_on": today - timedelta(days=rng.randrange(0, 700)),
                            "status": "on_caseload"})
        caseload[tid].append(pid)
        if rng.random() < 0.6:
            hna_rows.append({"patient_id": pid, "team_id": tid,
                             "assessed_on": today - timedelta(days=rng.randrange(1, 300)),
                             "assessed_by_id": kw or chairs[tid][0],
                             "recorded_by_id": chairs[tid][0], "created_at": now})
    step("patients", Patient, patient_rows)
    step("patient_teams", PatientTeam, listed_rows)
    hna_first = ids.take(Hna, len(hna_rows))
    for offset, row in enumerate(hna_rows):
        row["id"] = hna_first + offset
    step("hnas", Hna, hna_rows)
    del patient_rows, listed_rows, hna_rows

    # --- fortnightly series and two years of meetings -----------------------------------
    live = min(live, teams)
    fortnights = -(-months * 30.44 // 14)  # ceil
    series_first = ids.take(MeetingSeries, teams)
    series_rows, meeting_rows, invitee_rows, case_rows = [], [], [], []
    action_rows, log_rows, reminder_rows = [], [], []
    live_meetings, next_meetings = [], []
    for t, tid in enumerate(team_ids):
        # Live teams meet today; the others on a weekday within the next fortnight.
        offset = 0 if t < live else t % 14
        anchor = today + timedelta(days=offset)
        if t >= live and anchor.weekday() >= 5:
            anchor -= timedelta(days=2)
            if anchor < today:
                anchor += timedelta(days=7)
        first = anchor - timedelta(days=14 * int(fortnights))
        sid = series_first + t
        chair = chairs[tid][0]
        title = f"{PLACES[t % len(PLACES)]} neighbourhood MDT {t + 1:03d}"
        location = f"{PLACES[t % len(PLACES)]} Health Centre, room {1 + t % 4}"
        series_rows.append({"id": sid, "team_id": tid, "title": title,
                            "rrule": weekly_rule(2, first.weekday()), "first_date": first,
                            "start_time": time(12, 30), "end_time": time(14, 0),
                            "location": location, "video_url": "", "chair_id": chair,
                            "guest_emails": [], "uid": f"scale-series-{sid}@neighbourhood-mdt",
                            "sequence": 0, "created_at": now - timedelta(days=760)})
        team_members = members[tid]
        for email_row in team_members:  # each member had the series' invitation
            email = people[email_row[0]][0]
            reminder_rows.append(_reminder("series_invitation", f"series:{sid}", email, "seq0",
                                           email_row[0], tid, title, first, now))
        day = first
        while day <= today + timedelta(days=28):
            mid = ids.take(Meeting)
            starts = london_to_utc(day, time(12, 30))
            is_live = t < live and day == today
            past = day < today
            meeting_rows.append({
                "id": mid, "team_id": tid, "series_id": sid, "occurrence_date": day,
                "title": title, "starts_at": starts, "ends_at": london_to_utc(day, time(14)),
                "location": location, "video_url": "", "chair_id": chair,
                "status": "finished" if past else "in_progress" if is_live else "scheduled",
                "uid": f"{uuid.UUID(int=rng.getrandbits(128))}@neighbourhood-mdt",
                "sequence": 0, "started_at": starts if past else now - timedelta(minutes=10)
                if is_live else None, "finished_at": starts + timedelta(minutes=85)
                if past else None, "created_at": starts - timedelta(days=14), "version": 1})
            for uid, _profession, _role in team_members:
                email, name, _ = people[uid]
                invitee_rows.append({
                    "meeting_id": mid, "user_id": uid, "email": email, "name": name,
                    "walk_in": False, "attendance": rng.choices(
                        ("present", "apologies", "absent"), (8, 1, 1))[0] if past else "invited"})
                if past and day >= today - timedelta(days=56):
                    reminder_rows.append(_reminder(
                        "meeting_reminder", f"series:{sid}:{day.isoformat()}", email,
                        starts.strftime("%Y-%m-%dT%H:%MZ"), uid, tid, title, day, now))
            how_many = min(60, len(caseload[tid])) if is_live else rng.randint(
                5, min(12, len(caseload[tid])))
            listed = rng.sample(caseload[tid], how_many)
            case_ids = []
            for position, pid in enumerate(listed, 1):
                cid = ids.take(Case)
                case_ids.append(cid)
                urgency = rng.choices(("urgent", "soon", "routine"), (2, 3, 5))[0]
                status = rng.choices(("discussed", "deferred", "carried_forward"),
                                     (18, 1, 1))[0] if past else "listed"
                presenter = key_worker[pid] or chair
                case_rows.append({
                    "id": cid, "meeting_id": mid, "patient_id": pid, "position": position,
                    "reason": rng.choice(REASONS), "urgency": urgency, "presenter_id": presenter,
                    "referred_by": "", "status": status, "removed_reason": "",
                    "notes": "Discussed with the whole team." if status == "discussed" else "",
                    "outcome": rng.choice(OUTCOMES) if status == "discussed" else "",
                    "decisions": "", "carried_from_id": None,
                    "discussed_at": starts + timedelta(minutes=5 * position)
                    if status == "discussed" else None,
                    "minutes": {"urgent": 15, "soon": 10}.get(urgency, 5), "break_after": 0,
                    "created_at": starts - timedelta(days=rng.randrange(1, 14)), "version": 1})
                if status == "discussed" and rng.random() < 0.25:
                    _action(ids, rng, action_rows, log_rows, tid, pid, cid, day, presenter,
                            chair, rng.choice([u for u, _p, _r in team_members]), today)
            if is_live:
                live_meetings.append({"meeting_id": mid, "team_id": tid,
                                      "chair": people[chair][0], "case_ids": case_ids})
            elif not past and (not next_meetings or next_meetings[-1]["team_id"] != tid):
                next_meetings.append({"meeting_id": mid, "team_id": tid,
                                      "chair": people[chair][0]})
            day += timedelta(days=14)
        if len(case_rows) > 50000:
            _flush_meetings(step, series_rows, meeting_rows, invitee_rows, case_rows, ids)
    _flush_meetings(step, series_rows, meeting_rows, invitee_rows, case_rows, ids)
    # Open actions not from a meeting, some overdue, some due soon.
    for tid in team_ids:
        for _ in range(max(2, len(caseload[tid]) // 10)):
            owner = rng.choice([u for u, _p, _r in members[tid]])
            due = today + timedelta(days=rng.randint(-20, 30))
            aid = ids.take(Action)
            raised = london_to_utc(due - timedelta(days=14), time(10))
            action_rows.append(_action_row(aid, tid, rng.choice(caseload[tid]), None,
                                           rng.choice(ACTIONS), owner, due, "open",
                                           chairs[tid][0], raised, None))
            log_rows.append(_log_row(aid, tid, raised, chairs[tid][0], "created", "",
                                     action_rows[-1]["description"]))
    step("actions", Action, action_rows)
    log_first = ids.take(ActionLogEntry, len(log_rows))
    for offset, row in enumerate(log_rows):
        row["id"] = log_first + offset
    step("action_log", ActionLogEntry, log_rows)
    del action_rows, log_rows

    # --- visits, a fortnight back to a fortnight ahead ----------------------------------
    task_rows, tasks_by_team = [], {}
    task_first = ids.take(TaskType, teams * len(DEFAULT_TASKS))
    for t, tid in enumerate(team_ids):
        tasks_by_team[tid] = []
        for k, (name, skill, minutes) in enumerate(DEFAULT_TASKS):
            task_id = task_first + t * len(DEFAULT_TASKS) + k
            task_rows.append({"id": task_id, "team_id": tid, "name": name, "skill": skill,
                              "minutes": minutes, "active": True})
            tasks_by_team[tid].append((task_id, minutes))
    step("task_types", TaskType, task_rows)
    visit_rows, visit_task_rows = [], []
    nurses_today = set()
    for offset in range(-14, 15):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        for tid in team_ids:
            seen_today = []
            for nurse in visitors[tid]:
                for _ in range(rng.randint(3, 5)):
                    # One visit in ten is to a patient someone else sees that day too.
                    pid = rng.choice(seen_today) if seen_today and rng.random() < 0.1 \
                        else rng.choice(caseload[tid])
                    seen_today.append(pid)
                    vid = ids.take(Visit)
                    chosen = rng.sample(tasks_by_team[tid], rng.choice((1, 1, 2)))
                    window = rng.choice(("morning", "morning", "afternoon", "timed"))
                    visit_rows.append({
                        "id": vid, "team_id": tid, "patient_id": pid, "professional_id": nurse,
                        "day": day, "window": window,
                        "at_time": time(rng.randint(9, 16), rng.choice((0, 30)))
                        if window == "timed" else None,
                        "minutes": sum(m for _i, m in chosen),
                        "status": "done" if offset < 0 else "planned", "merged_into_id": None,
                        "cancel_reason": "", "created_by_id": chairs[tid][0],
                        "created_at": now - timedelta(days=20 - offset), "version": 1})
                    visit_task_rows.extend({"visit_id": vid, "task_type_id": task_id,
                                            "from_visit_id": None} for task_id, _m in chosen)
                    if offset == 0:
                        nurses_today.add(nurse)
        if len(visit_rows) > 50000:
            step("visits", Visit, visit_rows)
            visit_rows = []
    step("visits", Visit, visit_rows)
    task_link_first = ids.take(VisitTask, len(visit_task_rows))
    for offset, row in enumerate(visit_task_rows):
        row["id"] = task_link_first + offset
    step("visit_tasks", VisitTask, visit_task_rows)
    del visit_rows, visit_task_rows

    # --- reminders already sent, and every calendar feed --------------------------------
    reminder_first = ids.take(Reminder, len(reminder_rows))
    for offset, row in enumerate(reminder_rows):
        row["id"] = reminder_first + offset
    step("reminders", Reminder, reminder_rows)
    del reminder_rows
    feeds, feed_rows = {}, []
    team_feeds = {}
    feed_first = ids.take(CalendarFeed, users + teams)
    for n, uid in enumerate(range(user_first, user_first + users)):
        token = secrets.token_urlsafe(32)
        feeds[people[uid][0]] = token
        feed_rows.append({"id": feed_first + n, "user_id": uid, "team_id": None,
                          "token_hash": hash_token(token), "created_at": now,
                          "content_hash": ""})
    for t, tid in enumerate(team_ids):
        token = secrets.token_urlsafe(32)
        team_feeds[tid] = token
        feed_rows.append({"id": feed_first + users + t, "user_id": chairs[tid][0],
                          "team_id": tid, "token_hash": hash_token(token), "created_at": now,
                          "content_hash": ""})
    step("calendar_feeds", CalendarFeed, feed_rows)
    _fix_sequences(sorted(ids.next))
    _forget_feed_versions()
    echo(f"  seeded in {clock.perf_counter() - started:.1f} s")

    by_profession = defaultdict(list)
    for email, _name, profession in people.values():
        by_profession[profession].append(email)
    return {
        "password": password, "today": today.isoformat(), "counts": counts,
        "teams": team_ids,
        "chairs": [{"email": people[c][0], "team_id": tid, "meeting_id": next(
            (m["meeting_id"] for m in next_meetings + live_meetings if m["team_id"] == tid),
            None)} for tid in team_ids for c in chairs[tid][:1]],
        "live_meetings": live_meetings,
        "next_meetings": next_meetings,
        "nurses": sorted(people[u][0] for u in nurses_today
                         if people[u][2] == "district_nurse"),
        "users": {profession: sorted(emails) for profession, emails in by_profession.items()},
        "feeds": feeds,
        "team_feeds": {str(tid): token for tid, token in team_feeds.items()},
    }


def _flush_meetings(step, series_rows, meeting_rows, invitee_rows, case_rows, ids):
    if series_rows:
        step("meeting_series", MeetingSeries, series_rows)
    step("meetings", Meeting, meeting_rows)
    first = ids.take(Invitee, len(invitee_rows))
    for offset, row in enumerate(invitee_rows):
        row["id"] = first + offset
    step("invitees", Invitee, invitee_rows)
    step("cases", Case, case_rows)
    for rows in (series_rows, meeting_rows, invitee_rows, case_rows):
        rows.clear()


def _reminder(kind, subject, email, occasion, user_id, team_id, title, day, now) -> dict:
    sent = london_to_utc(day - timedelta(days=1), time(9))
    return {"kind": kind, "subject": subject, "recipient": email, "occasion": occasion,
            "user_id": user_id, "team_id": team_id, "payload": {"title": title},
            "title": title, "status": "sent", "due_at": sent, "expires_at": None,
            "attempts": 1, "last_error": "", "job_id": None, "queued_at": sent,
            "claimed_at": sent, "claim_token": None, "next_attempt_at": None, "sent_at": sent,
            "transport": "outbox", "message": None, "created_at": sent, "updated_at": now}


def _action_row(aid, tid, pid, cid, description, owner, due, status, chair, raised,
                done_at) -> dict:
    return {"id": aid, "team_id": tid, "patient_id": pid, "case_id": cid,
            "description": description, "owner_id": owner, "due_on": due,
            "priority": "normal", "status": status,
            "cancel_reason": "The family declined for now" if status == "cancelled" else "",
            "created_by_id": chair, "created_at": raised, "completed_at": done_at,
            "completed_on": done_at.date() if done_at else None, "version": 1}


def _log_row(aid, tid, at, user_id, kind, old, new) -> dict:
    return {"action_id": aid, "team_id": tid, "at": at, "user_id": user_id, "kind": kind,
            "old_value": old, "new_value": new}


def _action(ids, rng, action_rows, log_rows, tid, pid, cid, day, presenter, chair, owner,
            today):
    """An action agreed at a meeting: done (mostly on time), cancelled, or still open
    (overdue when its date has passed)."""
    aid = ids.take(Action)
    raised = london_to_utc(day, time(13, 30))
    due = day + timedelta(days=rng.choice((7, 14, 21)))
    done_at = None
    status = "open"
    if due < today - timedelta(days=7):
        status = rng.choices(("done", "cancelled", "open"), (90, 3, 7))[0]
        if status == "done":
            done_at = raised + timedelta(days=rng.randint(1, 25))
    description = rng.choice(ACTIONS)
    action_rows.append(_action_row(aid, tid, pid, cid, description, owner, due, status, chair,
                                   raised, done_at))
    log_rows.append(_log_row(aid, tid, raised, chair, "created", "", description))
    if status == "done":
        log_rows.append(_log_row(aid, tid, done_at, owner, "completed", "open", "done"))
    elif status == "cancelled":
        log_rows.append(_log_row(aid, tid, raised + timedelta(days=9), owner, "cancelled",
                                 "open", "cancelled"))


def _forget_feed_versions() -> None:
    """The rows went in around the feed cache's counters: move every feed's version."""
    from mdt.calendar import feed_cache
    feed_cache.bump({None})
