"""The timed agenda read from the database: a meeting's timetable, "your cases" for one
person, and their block for calendars and emails. The arithmetic is in agenda.py."""

from dataclasses import dataclass

from sqlalchemy import and_, select

from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings import agenda
from mdt.meetings.models import Case, Meeting
from mdt.patients.models import Patient, PatientTeam
from mdt.teams.models import Team
from mdt.timeutil import LONDON

GROUPINGS = {"practice": "GP practice", "presenter": "Presenter"}  # column headings
GROUPING_WORDS = {"practice": "GP practice", "presenter": "presenter"}  # within a sentence
ROLES = ("GP", "key worker", "presenter")


def same_practice(organisation: str | None, practice: str | None) -> bool:
    return bool(organisation and practice) and \
        organisation.strip().casefold() == practice.strip().casefold()


def roles_for(user: User, *, practice: str, key_worker_id: int | None,
              presenter_id: int | None) -> list[str]:
    """Why a case is someone's: they are the patient's GP (a GP at the patient's practice),
    the key worker, or the presenter."""
    found = []
    if user.profession == "gp" and same_practice(user.organisation, practice):
        found.append("GP")
    if key_worker_id == user.id:
        found.append("key worker")
    if presenter_id == user.id:
        found.append("presenter")
    return found


def group_of(row, by: str) -> str:
    if by == "presenter":
        return row.presenter_name or "No presenter yet"
    return row.patient.gp_practice.strip() or "No GP practice recorded"


def items(rows, by: str = "practice") -> list[agenda.Item]:
    """Agenda items from meetings.queries.case_rows."""
    return [agenda.Item(r.case.id, r.case.minutes, r.case.status, r.case.break_after,
                        group_of(r, by)) for r in rows]


def meeting_plan(meeting: Meeting, rows, team: Team, by: str = "practice",
                 agenda_items=None) -> agenda.Plan:
    """`agenda_items`: items(rows, by) when the caller has them already."""
    return agenda.plan(meeting.starts_at, meeting.ends_at,
                       agenda_items if agenda_items is not None else items(rows, by),
                       case_limit=team.case_limit, minutes_limit=team.minutes_limit, tz=LONDON)


def meeting_progress(meeting: Meeting, rows, now) -> agenda.Progress | None:
    """Time used against plan while the meeting runs (from when live mode began)."""
    if meeting.status != "in_progress":
        return None
    return agenda.progress(items(rows), meeting.started_at or meeting.starts_at, now)


@dataclass
class YourCase:
    row: object  # queries.CaseRow
    slot: agenda.Slot | None
    roles: list[str]


def your_cases(user: User, rows, timetable: agenda.Plan) -> list[YourCase]:
    found = []
    for row in rows:
        roles = roles_for(user, practice=row.patient.gp_practice,
                          key_worker_id=row.info.key_worker_id if row.info else None,
                          presenter_id=row.case.presenter_id)
        if roles:
            found.append(YourCase(row, timetable.slots.get(row.case.id), roles))
    return found


def blocks_for_people(meetings: list[Meeting], user_ids) -> dict[tuple[int, int],
                                                                     agenda.Block]:
    """{(meeting id, user id): that person's block} for many meetings and people in two
    queries: for calendar feeds and reminder emails, which give times and counts, never
    patients."""
    by_id = {m.id: m for m in meetings}
    user_ids = set(user_ids)
    if not by_id or not user_ids:
        return {}
    users = db.session.scalars(select(User).where(User.id.in_(user_ids))).all()
    rows = db.session.execute(
        select(Case.id, Case.meeting_id, Case.minutes, Case.status, Case.break_after,
               Case.presenter_id, Patient.gp_practice, PatientTeam.key_worker_id)
        .join(Meeting, Meeting.id == Case.meeting_id)
        .join(Patient, Patient.id == Case.patient_id)
        .outerjoin(PatientTeam, and_(PatientTeam.patient_id == Case.patient_id,
                                     PatientTeam.team_id == Meeting.team_id))
        .where(Case.meeting_id.in_(list(by_id)))
        .order_by(Case.meeting_id, Case.position, Case.id)).all()
    per_meeting: dict[int, list] = {}
    for row in rows:
        per_meeting.setdefault(row.meeting_id, []).append(row)
    found = {}
    for meeting_id, cases in per_meeting.items():
        meeting = by_id[meeting_id]
        timetable = agenda.plan(meeting.starts_at, meeting.ends_at, [
            agenda.Item(c.id, c.minutes, c.status, c.break_after) for c in cases])
        for user in users:
            mine = {c.id for c in cases if roles_for(user, practice=c.gp_practice,
                                                     key_worker_id=c.key_worker_id,
                                                     presenter_id=c.presenter_id)}
            block = agenda.your_block(timetable, mine)
            if block:
                found[(meeting_id, user.id)] = block
    return found


def block_text(block: agenda.Block | None) -> str:
    """For calendars and emails: times and a count only, never a patient."""
    if block is None:
        return ""
    start = block.starts_at.astimezone(LONDON)
    end = block.ends_at.astimezone(LONDON)
    cases = f"{block.count} case{'' if block.count == 1 else 's'}"
    return (f"Your cases ({cases}) are expected from about {start:%H:%M} to {end:%H:%M} "
            "(UK time).")
