"""Reading referrals: every list and page in a fixed number of queries, scoped to the
actor's teams (a referral of another team is not found)."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import case, func, literal_column, select, union_all
from sqlalchemy.orm import aliased

from mdt.auth.actor import Actor
from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings import queries as meeting_queries
from mdt.meetings.models import Meeting
from mdt.patients.models import Patient
from mdt.referrals.models import Referral, ReferralEvent
from mdt.timeutil import format_date, to_london

OTHERS_LIMIT = 100
MINE_LIMIT = 200


@dataclass
class ReferralRow:
    referral: Referral
    patient: Patient
    referrer_name: str
    presenter_name: str | None
    meeting_title: str | None
    meeting_starts_at: datetime | None


_URGENCY_ORDER = case({"urgent": 0, "soon": 1}, value=Referral.urgency, else_=2)


def _rows_query():
    """(referral, patient, referrer, presenter, meeting title and start): one query."""
    referrer, presenter = aliased(User), aliased(User)
    return (select(Referral, Patient, referrer.name, presenter.name, Meeting.title,
                   Meeting.starts_at)
            .join(Patient, Patient.id == Referral.patient_id)
            .join(referrer, referrer.id == Referral.referrer_id)
            .outerjoin(presenter, presenter.id == Referral.presenter_id)
            .outerjoin(Meeting, Meeting.id == Referral.meeting_id))


def _rows(stmt) -> list[ReferralRow]:
    return [ReferralRow(*row) for row in db.session.execute(stmt).all()]


def chaired_team_ids(actor: Actor) -> list[int]:
    return [t for t in actor.team_ids if actor.is_chair(t)]


def triage_list(actor: Actor) -> tuple[list[ReferralRow], list[ReferralRow]]:
    """For chairs: (waiting for triage, most urgent and oldest first; the rest, latest
    first). Two queries whatever the number of referrals; empty for a member."""
    teams = chaired_team_ids(actor)
    if not teams:
        return [], []
    waiting = _rows(_rows_query().where(Referral.team_id.in_(teams), Referral.status == "sent")
                    .order_by(_URGENCY_ORDER, Referral.updated_at, Referral.id))
    others = _rows(_rows_query().where(Referral.team_id.in_(teams), Referral.status != "sent")
                   .order_by(Referral.updated_at.desc(), Referral.id.desc())
                   .limit(OTHERS_LIMIT))
    return waiting, others


def my_referrals(actor: Actor) -> list[ReferralRow]:
    """The actor's own referrals, latest first: one query."""
    return _rows(_rows_query().where(Referral.referrer_id == actor.user_id,
                                     Referral.team_id.in_(actor.team_ids))
                 .order_by(Referral.updated_at.desc(), Referral.id.desc()).limit(MINE_LIMIT))


def page_lists(actor: Actor) -> tuple[list[ReferralRow], list[ReferralRow], list[ReferralRow]]:
    """The referrals page's three lists, (waiting for triage, the rest, the actor's own: as
    triage_list and my_referrals order and cut them), in one query whatever the number of
    referrals: each list numbers its rows (a window), the cut is on that number, and the
    three are read together (UNION ALL) joined to what a row shows."""
    teams = chaired_team_ids(actor)

    def numbered(tag: int, where, order, limit=None):
        rows = select(Referral.id.label("id"), literal_column(str(tag)).label("list"),
                      func.row_number().over(order_by=order).label("pos")).where(*where)
        inner = rows.subquery()
        picked = select(inner.c.id, inner.c.list, inner.c.pos)
        return picked.where(inner.c.pos <= limit) if limit else picked

    parts = [numbered(2, (Referral.referrer_id == actor.user_id,
                          Referral.team_id.in_(actor.team_ids)),
                      (Referral.updated_at.desc(), Referral.id.desc()), MINE_LIMIT)]
    if teams:
        parts += [numbered(0, (Referral.team_id.in_(teams), Referral.status == "sent"),
                           (_URGENCY_ORDER, Referral.updated_at, Referral.id)),
                  numbered(1, (Referral.team_id.in_(teams), Referral.status != "sent"),
                           (Referral.updated_at.desc(), Referral.id.desc()), OTHERS_LIMIT)]
    chosen = union_all(*parts).subquery()
    lists = ([], [], [])
    for *row, tag, _ in db.session.execute(
            _rows_query().add_columns(chosen.c.list, chosen.c.pos)
            .join(chosen, chosen.c.id == Referral.id).order_by(chosen.c.list, chosen.c.pos)):
        lists[int(tag)].append(ReferralRow(*row))
    return lists


def get_referral(actor: Actor, referral_id: int) -> Referral | None:
    return db.session.scalar(select(Referral).where(Referral.id == referral_id,
                                                    Referral.team_id.in_(actor.team_ids)))


def referral_row(actor: Actor, referral_id: int) -> ReferralRow | None:
    found = _rows(_rows_query().where(Referral.id == referral_id,
                                      Referral.team_id.in_(actor.team_ids)))
    return found[0] if found else None


def events(referral_id: int) -> list[tuple[ReferralEvent, str]]:
    """The referral's history, oldest first, with who did each step: one query."""
    return db.session.execute(
        select(ReferralEvent, User.name).join(User, User.id == ReferralEvent.user_id)
        .where(ReferralEvent.referral_id == referral_id)
        .order_by(ReferralEvent.at, ReferralEvent.id)).all()


def answer_case_referrals(sender, case_ids: list[int]) -> dict[int, Referral]:
    """meetings.queries.case_referrals' answer (connected by referrals.init_app)."""
    return referrals_for_cases(case_ids)


def referrals_for_cases(case_ids: list[int]) -> dict[int, Referral]:
    """{case id: the accepted referral that put it on the list}, in one query. Each referral
    also carries `referrer_name` (the referrer's name) for the live meeting's fragment."""
    if not case_ids:
        return {}
    found = {}
    for referral, name in db.session.execute(
            select(Referral, User.name).join(User, User.id == Referral.referrer_id)
            .where(Referral.case_id.in_(list(case_ids)), Referral.status == "accepted")
            .order_by(Referral.id)):
        referral.referrer_name = name
        found[referral.case_id] = referral  # the latest wins
    return found


# --- meeting choices ----------------------------------------------------------------------

def meeting_value(item: meeting_queries.Upcoming) -> str:
    if item.meeting is not None:
        return f"m{item.meeting.id}"
    return f"s{item.series.id}-{item.day.isoformat()}"


def meeting_label(item: meeting_queries.Upcoming) -> str:
    local = to_london(item.starts_at)
    return f"{local:%a} {format_date(local.date())}, {local:%H:%M}: {item.title}"


def meeting_options(actor: Actor, team_id: int, today: date) -> list[tuple[str, object]]:
    """(value, Upcoming) for the team's meetings ahead that can still take cases, soonest
    first: opened meetings and series dates not opened yet."""
    return [(meeting_value(item), item) for item in meeting_queries.upcoming(actor, today)
            if item.team_id == team_id and (item.meeting is None or item.meeting.status in
                                            ("scheduled", "in_progress"))]


def meeting_day(item) -> date:
    return to_london(item.starts_at).date()
