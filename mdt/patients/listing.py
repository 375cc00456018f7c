"""The patient list: search, filters and sorting, in one query whatever the number of rows."""

from dataclasses import dataclass

from sqlalchemy import case, func, or_, select

from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.patients.lifecycle import Status
from mdt.patients.models import PATHWAY_STAGES, Hna, Patient, PatientTeam
from mdt.patients.review import ReviewStatus, review_status
from mdt.teams.models import Team
from mdt.timeutil import london_today

REVIEW_FILTERS = {"overdue": "Review overdue", "due_soon": "Review due within 30 days",
                  "flagged": "Review overdue or due soon"}
SORTS = {"name": "Name", "review": "Review due date", "stage": "Pathway stage"}
# The list (and every picker) shows the caseload; this filter shows the others.
CASELOAD_FILTERS = {"": "On the caseload", "died": "Died", "discharged": "Discharged",
                    "transferred": "Moved to another team", "all": "Everyone"}
PAGE_SIZE = 50  # rows a page; the page says which and of how many ("1 to 50 of 2,000")


@dataclass(frozen=True)
class ListFilters:
    query: str = ""
    key_worker: str = ""  # "", "me", "none" or a user id
    stage: str = ""
    review: str = ""
    sort: str = "name"
    caseload: str = ""  # "" (on the caseload) or a CASELOAD_FILTERS key

    @classmethod
    def from_mapping(cls, values) -> "ListFilters":
        """From request args / form data; unknown values are ignored, never an error."""
        key_worker = (values.get("key_worker") or "").strip()
        return cls(
            query=(values.get("q") or "").strip()[:100],
            key_worker=key_worker if key_worker in ("me", "none") or key_worker.isdigit() else "",
            stage=values.get("stage") if values.get("stage") in PATHWAY_STAGES else "",
            review=values.get("review") if values.get("review") in REVIEW_FILTERS else "",
            sort=values.get("sort") if values.get("sort") in SORTS else "name",
            caseload=values.get("caseload") if values.get("caseload") in CASELOAD_FILTERS
            else "")

    def as_args(self) -> dict:
        """The non-identifying filters, safe to put in a URL (never the search words)."""
        return {k: v for k, v in (("key_worker", self.key_worker), ("stage", self.stage),
                                  ("review", self.review), ("sort", self.sort),
                                  ("caseload", self.caseload)) if v}


@dataclass
class PatientRow:
    patient: Patient
    team_id: int
    team_name: str
    key_worker_id: int | None
    key_worker_name: str | None
    review: ReviewStatus
    status: str = "on_caseload"

    @property
    def on_caseload(self) -> bool:
        return self.status == Status.ON_CASELOAD


def _search_conditions(query: str):
    words = [w for w in query.split() if not w.replace("-", "").isdigit()]
    digits = "".join(ch for ch in query if ch.isdigit())
    if words:
        return [or_(func.lower(Patient.given_name).contains(w.lower(), autoescape=True),
                    func.lower(Patient.family_name).contains(w.lower(), autoescape=True))
                for w in words]
    if len(digits) >= 3:
        return [Patient.nhs_number.startswith(digits)]
    return None  # nothing searchable: no match


def _row_query(team_ids):
    """(patient, team, key worker, last HNA) for patients on these teams: one query."""
    last_hna = (select(Hna.patient_id, Hna.team_id, func.max(Hna.assessed_on).label("last"))
                .group_by(Hna.patient_id, Hna.team_id).subquery())
    return (select(Patient, PatientTeam.team_id, PatientTeam.listed_on, PatientTeam.key_worker_id,
                   Team.name, Team.review_interval_months, User.name, last_hna.c.last,
                   PatientTeam.status)
            .join(PatientTeam, PatientTeam.patient_id == Patient.id)
            .join(Team, Team.id == PatientTeam.team_id)
            .outerjoin(User, User.id == PatientTeam.key_worker_id)
            .outerjoin(last_hna, (last_hna.c.patient_id == Patient.id)
                       & (last_hna.c.team_id == PatientTeam.team_id))
            .where(PatientTeam.team_id.in_(list(team_ids))))


def _to_rows(result, today) -> list[PatientRow]:
    rows = []
    for patient, team_id, listed_on, kw_id, team_name, interval, kw_name, last, status in result:
        review = review_status(last_hna=last, stage_changed_on=patient.pathway_stage_changed_on,
                               listed_on=listed_on, interval_months=interval, today=today)
        rows.append(PatientRow(patient, team_id, team_name, kw_id, kw_name, review, status))
    return rows


def rows_for_patients(team_id: int, patient_ids) -> dict[int, PatientRow]:
    """Key worker, stage and review for these patients of one team (case lists): one query."""
    if not patient_ids:
        return {}
    result = db.session.execute(_row_query([team_id]).where(Patient.id.in_(list(patient_ids))))
    return {row.patient.id: row for row in _to_rows(result, london_today())}


class PatientRows(list):
    """One page of rows, and where it sits among all that matched."""
    total = 0  # rows that matched
    page = 1
    pages = 1

    @property
    def first(self) -> int:  # 1-based position of the first row shown
        return (self.page - 1) * PAGE_SIZE + 1 if self else 0

    @property
    def last(self) -> int:
        return self.first + len(self) - 1 if self else 0


def _page(rows: list, total: int, page: int) -> PatientRows:
    found = PatientRows(rows)
    found.total, found.page = total, page
    found.pages = max(1, -(-total // PAGE_SIZE))
    return found


def page_number(value) -> int:
    """A page from the URL or form: anything odd is the first page."""
    text = str(value or "").strip()
    return min(int(text), 100_000) if text.isdigit() and int(text) >= 1 else 1


def search_hmac(words: str) -> str:
    """A keyed hash of search words: an auditor holding the key can check "was this name
    searched?", but the trail itself never shows what was typed."""
    import hashlib
    import hmac

    from flask import current_app

    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, " ".join(words.lower().split()).encode(), hashlib.sha256).hexdigest()[:32]


def _filtered(actor: Actor, filters: ListFilters):
    """The list's query with every filter SQL can apply, or None (nothing searchable)."""
    conditions = _search_conditions(filters.query) if filters.query else []
    if conditions is None:
        return None
    stmt = _row_query(actor.team_ids)
    if filters.key_worker == "me":
        stmt = stmt.where(PatientTeam.key_worker_id == actor.user_id)
    elif filters.key_worker == "none":
        stmt = stmt.where(PatientTeam.key_worker_id.is_(None))
    elif filters.key_worker:
        stmt = stmt.where(PatientTeam.key_worker_id == int(filters.key_worker))
    if filters.stage:
        stmt = stmt.where(Patient.pathway_stage == filters.stage)
    if filters.caseload != "all":
        stmt = stmt.where(PatientTeam.status == (filters.caseload or "on_caseload"))
    return stmt.where(*conditions)


BY_NAME = (Patient.family_name, Patient.given_name, Patient.id, PatientTeam.team_id)


def _rows_in_python(stmt, filters: ListFilters, page: int) -> PatientRows:
    """Review filters and the review sort need each row's review date, which is worked
    out in Python: so every match of the actor's teams is read (a team's caseload, not
    the ICB's), then one page is cut."""
    rows = _to_rows(db.session.execute(stmt.order_by(*BY_NAME)), london_today())
    if filters.review:
        wanted = {"overdue": {"overdue"}, "due_soon": {"due_soon"},
                  "flagged": {"overdue", "due_soon"}}[filters.review]
        rows = [row for row in rows if row.review.state in wanted
                and row.status == "on_caseload"]
    if filters.sort == "review":
        rows.sort(key=lambda row: row.review.due_on)
    elif filters.sort == "stage":
        order = list(PATHWAY_STAGES)
        rows.sort(key=lambda row: -order.index(row.patient.pathway_stage))
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    page = min(page, pages)
    return _page(rows[(page - 1) * PAGE_SIZE:page * PAGE_SIZE], len(rows), page)


def _rows_in_sql(stmt, filters: ListFilters, page: int) -> PatientRows:
    """One page in one query: the count of all matches rides along as a window."""
    order = BY_NAME
    if filters.sort == "stage":  # latest stage first, then by name
        order = (case({stage: -n for n, stage in enumerate(PATHWAY_STAGES)},
                      value=Patient.pathway_stage, else_=0), *BY_NAME)
    paged = stmt.add_columns(func.count().over().label("total")).order_by(*order)
    result = db.session.execute(paged.limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    if not result and page > 1:  # past the end (a stale link): the last page instead
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        page = max(1, -(-total // PAGE_SIZE))
        result = db.session.execute(paged.limit(PAGE_SIZE)
                                    .offset((page - 1) * PAGE_SIZE)).all()
    total = result[0].total if result else 0
    return _page(_to_rows((row[:-1] for row in result), london_today()), total, page)


def list_patients(actor: Actor, filters: ListFilters = ListFilters(),
                  page: int = 1) -> PatientRows:
    """One page of rows of (patient, team) on the actor's teams, with how many matched. A
    read: the page that shows the list audits it (patients.service.record_list_view)."""
    stmt = _filtered(actor, filters)
    if stmt is None:
        return _page([], 0, 1)
    if filters.review or filters.sort == "review":
        return _rows_in_python(stmt, filters, page)
    return _rows_in_sql(stmt, filters, page)


def caseload(actor: Actor, team_id: int) -> list[PatientRow]:
    """Every patient on one team's caseload, by name (pickers): not paged."""
    stmt = _filtered(actor, ListFilters()).where(PatientTeam.team_id == team_id)
    return _to_rows(db.session.execute(stmt.order_by(*BY_NAME)), london_today())


def patient_choices(actor: Actor, team_id: int, exclude=()) -> list[tuple]:
    """(id, "Family, Given (NHS number)") of the team's patients for a select: the NHS number
    beside the name, so the right patient is chosen."""
    from mdt.patients.nhs_number import display

    return [("", "Choose a patient")] + [
        (row.patient.id, f"{row.patient.family_name}, {row.patient.given_name} "
                         f"({display(row.patient.nhs_number)})")
        for row in caseload(actor, team_id) if row.patient.id not in exclude]


SEARCH_LIMIT = 20  # a picker's results: type more to narrow


@dataclass
class Found:
    """A picker's search: the first patients matching, by name, and how many matched."""
    query: str
    patients: list
    total: int = 0
    searchable: bool = True  # False: too little typed to search on

    @property
    def more(self) -> bool:
        return self.total > len(self.patients)


def find_on_caseload(team_id: int, query: str = "", *, exclude=(), patient_id=None,
                     limit: int = SEARCH_LIMIT) -> Found:
    """Patients on one team's caseload whose name or NHS number matches `query` (or the one
    `patient_id`, a choice shown again), less those in `exclude`: the first `limit` by name
    and the number that matched, in one query. A read of patient data: the view that shows
    it audits it (patients.service.record_search)."""
    query = (query or "").strip()[:100]
    if patient_id is not None:
        conditions = [Patient.id == patient_id]
    else:
        conditions = _search_conditions(query) if query else None
    if conditions is None:
        return Found(query, [], 0, searchable=False)
    stmt = (select(Patient, func.count().over().label("total"))
            .join(PatientTeam, PatientTeam.patient_id == Patient.id)
            .where(PatientTeam.team_id == team_id,
                   PatientTeam.status == Status.ON_CASELOAD, *conditions))
    if exclude:
        stmt = stmt.where(Patient.id.not_in(list(exclude)))
    result = db.session.execute(stmt.order_by(Patient.family_name, Patient.given_name,
                                              Patient.id).limit(limit)).all()
    return Found(query, [patient for patient, _ in result], result[0].total if result else 0)
