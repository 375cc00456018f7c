"""Reads the database into the planner's plain data: a fixed number of queries, whatever the
number of meetings, actions or people."""

import re
from datetime import datetime, timedelta

from sqlalchemy import func, select

from mdt.actions.models import Action, ActionLogEntry
from mdt.auth.models import User
from mdt.extensions import db
from mdt.meetings import recurrence, timing
from mdt.meetings.models import Case, Invitee, Meeting, MeetingSeries
from mdt.notifications.models import Notification
from mdt.patients.models import Hna, Patient, PatientTeam
from mdt.patients.review import review_status
from mdt.reminders.models import Reminder, ReminderOptOut, ReminderSettings
from mdt.reminders.planner import (
    DEFAULT_TIMING,
    ActionData,
    Assignment,
    MeetingData,
    NoticeData,
    Recipient,
    ReviewData,
    SeriesData,
    Snapshot,
    TeamInvitationData,
    Timing,
    VisitData,
    _iso,
    end_of_week_of,
)
from mdt.teams.models import Membership, Team
from mdt.timeutil import london_to_utc, to_london
from mdt.visits.models import Visit

INVITATION_KINDS = ("meeting_invitation", "series_invitation")
VISIT_LINK = re.compile(r"^/visits/(\d+)")


def load(now: datetime, timing: Timing = DEFAULT_TIMING, teams: set[int] | None = None
         ) -> Snapshot:
    """Everything the planner reads, or (given `teams`, for an incremental pass) only what
    those teams' rows are made from; the daily digests then are left to a full pass."""
    today = to_london(now).date()
    users = {uid: Recipient(email.lower(), name, uid) for uid, email, name in db.session.execute(
        select(User.id, User.email, User.name).where(User.is_active.is_(True)))}
    meetings = _meetings(now, teams)
    series = _series(today, users, teams)
    subjects = {f"meeting:{m.id}" for m in meetings} | {f"series:{s.id}" for s in series} \
        | {f"series:{m.series_id}" for m in meetings if m.series_id}
    return Snapshot(
        users=users, meetings=tuple(meetings), series=tuple(series),
        actions=_actions(today) if teams is None else (),
        assignments=_assignments(now, timing, teams), visits=_visits(today, teams),
        notices=_notices(now, timing, teams), reviews=_reviews(today, timing, teams),
        team_invitations=_team_invitations(now, teams),
        invited=_invited(subjects),
        team_topics={team_id: dict(topics or {}) for team_id, topics in db.session.execute(
            select(ReminderSettings.team_id, ReminderSettings.topics))},
        opt_outs=frozenset((email, topic) for email, topic in db.session.execute(
            select(ReminderOptOut.email, ReminderOptOut.topic))))


def _scoped(stmt, column, teams):
    return stmt if teams is None else stmt.where(column.in_(sorted(teams)))


def _meetings(now: datetime, teams) -> list[MeetingData]:
    rows = db.session.scalars(_scoped(select(Meeting).where(
        Meeting.starts_at > now, Meeting.status.in_(("scheduled", "cancelled"))),
        Meeting.team_id, teams)).all()
    ids = [m.id for m in rows]
    people: dict[int, list[Recipient]] = {i: [] for i in ids}
    counts: dict[int, int] = {}
    if ids:
        for meeting_id, email, name, user_id in db.session.execute(
                select(Invitee.meeting_id, Invitee.email, Invitee.name, Invitee.user_id)
                .where(Invitee.meeting_id.in_(ids), Invitee.walk_in.is_(False))
                .order_by(Invitee.meeting_id, Invitee.id)):
            people[meeting_id].append(Recipient(email.lower(), name or "", user_id))
        counts = dict(db.session.execute(
            select(Case.meeting_id, func.count(Case.id))
            .where(Case.meeting_id.in_(ids), Case.status != "removed")
            .group_by(Case.meeting_id)).all())
    blocks: dict[int, dict] = {i: {} for i in ids}
    # A team at a time: blocks_for_people weighs every person against every meeting it is
    # given, so one call for a whole ICB (a thousand meetings, five thousand people) was
    # most of a full pass; a team's meetings with the team's invitees is what is needed.
    by_team: dict[int, list[Meeting]] = {}
    for meeting in rows:
        if meeting.status == "scheduled":
            by_team.setdefault(meeting.team_id, []).append(meeting)
    for team_meetings in by_team.values():
        user_ids = {p.user_id for m in team_meetings for p in people[m.id] if p.user_id}
        for (meeting_id, user_id), block in timing.blocks_for_people(team_meetings,
                                                                     user_ids).items():
            blocks[meeting_id][user_id] = {"count": block.count,
                                           "starts_at": _iso(block.starts_at),
                                           "ends_at": _iso(block.ends_at)}
    return [MeetingData(id=m.id, team_id=m.team_id, title=m.title, starts_at=m.starts_at,
                        ends_at=m.ends_at, status=m.status, sequence=m.sequence,
                        location=m.location or "", series_id=m.series_id,
                        occurrence_date=m.occurrence_date, case_count=counts.get(m.id, 0),
                        invitees=tuple(people[m.id]), blocks=blocks[m.id]) for m in rows]


def _series(today, users, teams) -> list[SeriesData]:
    all_series = db.session.scalars(_scoped(select(MeetingSeries), MeetingSeries.team_id,
                                            teams)).all()
    if not all_series:
        return []
    ids = [s.id for s in all_series]
    sequences = dict(db.session.execute(
        select(Meeting.series_id, func.coalesce(func.sum(Meeting.sequence), 0))
        .where(Meeting.series_id.in_(ids)).group_by(Meeting.series_id)).all())
    members: dict[int, list[int]] = {}
    for team_id, user_id in db.session.execute(
            select(Membership.team_id, Membership.user_id)
            .where(Membership.team_id.in_({s.team_id for s in all_series}))
            .order_by(Membership.team_id, Membership.user_id)):
        members.setdefault(team_id, []).append(user_id)
    found = []
    for series in all_series:
        upcoming = recurrence.occurrences(series.rrule, series.first_date, after=today, count=2)
        if not upcoming:
            continue
        people = [users[uid] for uid in members.get(series.team_id, []) if uid in users]
        known = {p.email for p in people}
        people += [Recipient(email.lower()) for email in series.guest_emails or []
                   if email.lower() not in known]
        first = (recurrence.occurrences(series.rrule, series.first_date,
                                        after=series.first_date, count=1)
                 or [series.first_date])[0]
        found.append(SeriesData(
            id=series.id, team_id=series.team_id, title=series.title,
            sequence=series.sequence + int(sequences.get(series.id, 0)),
            description=recurrence.describe(series.rrule),
            first_start=london_to_utc(first, series.start_time),
            start_time=series.start_time, end_time=series.end_time,
            location=series.location or "", upcoming=tuple(upcoming), people=tuple(people)))
    return found


def _actions(today) -> tuple[ActionData, ...]:
    return tuple(ActionData(*row) for row in db.session.execute(
        select(Action.id, Action.team_id, Action.owner_id, Action.due_on, Action.status)
        .where(Action.status == "open", Action.due_on <= end_of_week_of(today))))


def _assignments(now, timing, teams) -> tuple[Assignment, ...]:
    latest: dict[int, Assignment] = {}
    for entry_id, at, by, action_id, team_id, owner_id, due_on in db.session.execute(
            _scoped(select(ActionLogEntry.id, ActionLogEntry.at, ActionLogEntry.user_id, Action.id,
                   Action.team_id, Action.owner_id, Action.due_on)
            .join(Action, Action.id == ActionLogEntry.action_id)
            .where(ActionLogEntry.kind.in_(("created", "reassigned")),
                   ActionLogEntry.at >= now - timing.assignment_window,
                   Action.status == "open")
            .order_by(ActionLogEntry.id), Action.team_id, teams)):
        latest[action_id] = Assignment(action_id, team_id, owner_id, due_on, entry_id, at, by)
    return tuple(latest.values())


def _visits(today, teams) -> tuple[VisitData, ...]:
    tomorrow = today + timedelta(days=1)
    return tuple(VisitData(v.id, v.team_id, v.professional_id, v.day, v.when_label, v.status)
                 for v in db.session.scalars(_scoped(select(Visit).where(
                     Visit.day == tomorrow, Visit.status == "planned"), Visit.team_id, teams)))


def _notices(now, timing, teams) -> tuple[NoticeData, ...]:
    rows = db.session.execute(
        select(Notification.id, Notification.user_id, Notification.text, Notification.link,
               Notification.created_at)
        .where(Notification.kind == "visit", Notification.read_at.is_(None),
               Notification.created_at >= now - timing.notice_window)).all()
    visit_ids = {int(m.group(1)) for row in rows if (m := VISIT_LINK.match(row.link or ""))}
    visit_teams = dict(db.session.execute(
        select(Visit.id, Visit.team_id).where(Visit.id.in_(visit_ids))).all()) \
        if visit_ids else {}
    found = []
    for row in rows:
        match = VISIT_LINK.match(row.link or "")
        team_id = visit_teams.get(int(match.group(1))) if match else None
        if teams is None or team_id in teams:  # (an incremental pass: only its teams')
            found.append(NoticeData(row.id, row.user_id, row.text, row.link or "",
                                    row.created_at, team_id))
    return tuple(found)


def _reviews(today, timing, teams) -> tuple[ReviewData, ...]:
    last_hna = (select(Hna.patient_id, Hna.team_id, func.max(Hna.assessed_on).label("last"))
                .group_by(Hna.patient_id, Hna.team_id).subquery())
    rows = db.session.execute(
        select(PatientTeam.patient_id, PatientTeam.team_id, PatientTeam.key_worker_id,
               PatientTeam.listed_on, Team.review_interval_months,
               Patient.pathway_stage_changed_on, last_hna.c.last)
        .join(Team, Team.id == PatientTeam.team_id)
        .join(Patient, Patient.id == PatientTeam.patient_id)
        .outerjoin(last_hna, (last_hna.c.patient_id == PatientTeam.patient_id)
                   & (last_hna.c.team_id == PatientTeam.team_id))
        .where(PatientTeam.key_worker_id.is_not(None), PatientTeam.status == "on_caseload")
        .where(PatientTeam.team_id.in_(sorted(teams)) if teams is not None else True))
    found = []
    earliest = today - timedelta(days=timing.review_grace_days)
    latest = today + timedelta(days=timing.review_lead_days)
    for patient_id, team_id, key_worker_id, listed_on, interval, changed_on, last in rows:
        due = review_status(last_hna=last, stage_changed_on=changed_on, listed_on=listed_on,
                            interval_months=interval or 6, today=today).due_on
        if earliest <= due <= latest:
            found.append(ReviewData(patient_id, team_id, key_worker_id, due))
    return tuple(found)


def _team_invitations(now, teams) -> tuple[TeamInvitationData, ...]:
    from mdt.auth.oidc.models import Invitation  # (invitations to sign in with OIDC)
    return tuple(TeamInvitationData(*row) for row in db.session.execute(_scoped(
        select(Invitation.id, Invitation.team_id, Team.name, Invitation.email, User.name,
               Invitation.created_at, Invitation.expires_at)
        .join(Team, Team.id == Invitation.team_id)
        .join(User, User.id == Invitation.invited_by_id)
        .where(Invitation.accepted_at.is_(None), Invitation.withdrawn_at.is_(None),
               Invitation.expires_at > now), Invitation.team_id, teams)))


def _invited(subjects) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    subjects = sorted(subjects)
    for start in range(0, len(subjects), 500):
        for subject, recipient in db.session.execute(
                select(Reminder.subject, Reminder.recipient)
                .where(Reminder.kind.in_(INVITATION_KINDS),
                       Reminder.subject.in_(subjects[start:start + 500]),
                       Reminder.status.in_(("sent", "sending")))):
            found.setdefault(subject, set()).add(recipient)
    return found
