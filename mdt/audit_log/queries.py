"""Reads of the audit trail: filters parsed from the URL, one page of events and its count.

The page costs the same handful of queries at 10 events and at 10 million: a count, a page
(with the user's name joined), the people for the user filter."""

from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import func, or_, select

from mdt.audit.models import ACTIONS, AuditEvent
from mdt.auth.models import Membership, User
from mdt.extensions import db
from mdt.patients.models import Patient, PatientTeam
from mdt.timeutil import london_to_utc

PER_PAGE = 50
MAX_PAGE = 100_000
FILTERS = ("user_id", "patient_id", "action", "from", "to", "page")


@dataclass(frozen=True)
class AuditFilters:
    user_id: int | None = None
    patient_id: int | None = None
    action: str = ""
    start: date | None = None
    end: date | None = None
    page: int = 1
    errors: dict = field(default_factory=dict, compare=False)

    def as_args(self, **override) -> dict:
        """The filters as URL arguments: ids, a word and dates only, never a name or an NHS
        number, so a bookmarked or shared filtered view carries no patient identifiers."""
        args = {"user_id": self.user_id, "patient_id": self.patient_id,
                "action": self.action or None,
                "from": self.start.isoformat() if self.start else None,
                "to": self.end.isoformat() if self.end else None,
                "page": self.page if self.page > 1 else None}
        args.update(override)
        return {k: v for k, v in args.items() if v not in (None, "")}

    @property
    def any(self) -> bool:
        return bool(self.user_id or self.patient_id or self.action or self.start or self.end)


def parse_filters(args) -> AuditFilters:
    """From the query string; a value that cannot be read is dropped with a message for the
    user (never a 500), and the other filters still apply."""
    errors = {}

    def number(name):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit() and len(raw) < 10:
            return int(raw)
        errors[name] = f"'{name}' must be a number"
        return None

    def day(name, label):
        raw = (args.get(name) or "").strip()
        if not raw:
            return None
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[name] = f"{label} must be a real date, for example 2026-11-26"
            return None
        if not date(2000, 1, 1) <= value <= date(2999, 12, 31):
            errors[name] = f"{label} must be between the years 2000 and 2999"
            return None
        return value

    action = (args.get("action") or "").strip()
    if action and action not in ACTIONS:
        errors["action"] = "Choose an action from the list"
        action = ""
    start, end = day("from", "'From' date"), day("to", "'To' date")
    if start and end and end < start:
        errors["to"] = "'To' date must be the same as or after the 'From' date"
        end = None
    page = number("page") or 1
    return AuditFilters(user_id=number("user_id"), patient_id=number("patient_id"),
                        action=action, start=start, end=end,
                        page=min(max(page, 1), MAX_PAGE), errors=errors)


def _scope(stmt, team_ids, all_teams):
    return stmt if all_teams else stmt.where(AuditEvent.team_id.in_(list(team_ids)))


def filtered(filters: AuditFilters, team_ids, *, all_teams=False):
    """SELECT (event, user's name) for these filters, newest first."""
    stmt = select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.user_id)
    stmt = _scope(stmt, team_ids, all_teams)
    if filters.user_id:
        stmt = stmt.where(AuditEvent.user_id == filters.user_id)
    if filters.patient_id:
        stmt = stmt.where(AuditEvent.patient_id == filters.patient_id)
    if filters.action:
        stmt = stmt.where(AuditEvent.action == filters.action)
    if filters.start:
        stmt = stmt.where(AuditEvent.at >= london_to_utc(filters.start, time(0)))
    if filters.end:
        stmt = stmt.where(AuditEvent.at < london_to_utc(filters.end + timedelta(days=1),
                                                        time(0)))
    return stmt.order_by(AuditEvent.id.desc())


@dataclass
class EventPage:
    rows: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def first(self) -> int:
        return (self.page - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last(self) -> int:
        return self.first + len(self.rows) - 1 if self.rows else 0


def event_page(filters: AuditFilters, team_ids, *, all_teams=False,
               per_page=PER_PAGE) -> EventPage:
    stmt = filtered(filters, team_ids, all_teams=all_teams)
    total = db.session.scalar(select(func.count()).select_from(
        stmt.with_only_columns(AuditEvent.id).order_by(None).subquery()))
    pages = max(1, -(-total // per_page))
    page = min(filters.page, pages)
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page)).all()
    return EventPage(rows=rows, total=total, page=page, per_page=per_page)


def people(team_ids, *, all_teams=False) -> list[tuple[int, str]]:
    """(id, name) of everyone on these teams, for the 'who' filter."""
    stmt = select(User.id, User.name).order_by(User.name, User.id)
    if not all_teams:
        stmt = stmt.where(User.id.in_(select(Membership.user_id)
                                      .where(Membership.team_id.in_(list(team_ids)))))
    return [tuple(row) for row in db.session.execute(stmt)]


def find_patients(words: str, team_ids, limit=20) -> list[Patient]:
    """Patients on these teams by NHS number (10 digits, spaces allowed) or by name (every
    word must match the given or family name)."""
    digits = "".join(ch for ch in words if ch.isdigit())
    stmt = (select(Patient).where(Patient.id.in_(
        select(PatientTeam.patient_id).where(PatientTeam.team_id.in_(list(team_ids)))))
        .order_by(Patient.family_name, Patient.given_name, Patient.id).limit(limit))
    names = [w for w in words.split() if not w.isdigit()]
    if len(digits) == 10 and not names:
        stmt = stmt.where(Patient.nhs_number == digits)
    elif names:
        for word in names[:5]:
            stmt = stmt.where(or_(
                func.lower(Patient.given_name).contains(word.lower(), autoescape=True),
                func.lower(Patient.family_name).contains(word.lower(), autoescape=True)))
    else:
        return []
    return list(db.session.scalars(stmt))


def patient_on_teams(patient_id: int, team_ids) -> Patient | None:
    return db.session.scalar(select(Patient).where(
        Patient.id == patient_id,
        Patient.id.in_(select(PatientTeam.patient_id)
                       .where(PatientTeam.team_id.in_(list(team_ids))))))
