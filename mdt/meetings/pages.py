"""The meeting's pages as objects: each assembles what its page shows (from the meetings,
patients, referrals, reports and teams features) and answers the questions its templates
ask (may this person change the list? does the list poll? can a case be deferred?), so
views load, build, render and templates compare no status strings."""

from dataclasses import dataclass

from mdt.auth.actor import Actor
from mdt.extensions import db
from mdt.forms import error_list
from mdt.meetings import agenda, deaths, drafts, live_queries, queries, timing
from mdt.meetings.attendance import often_absent
from mdt.meetings.forms import CaseForm, CaseRecordForm, RemoveCaseForm, WalkInForm
from mdt.meetings.models import ATTENDANCE, Meeting
from mdt.meetings.queries import referrals_for_cases
from mdt.patients.key_info_queries import key_card, key_cards
from mdt.patients.listing import patient_choices
from mdt.teams.models import Team
from mdt.teams.service import member_choices
from mdt.timeutil import LONDON, london_today, utcnow


def runs(actor: Actor, meeting: Meeting) -> bool:
    """The team's chairs and the meeting's own chair run it."""
    return actor.is_chair(meeting.team_id) or meeting.chair_id == actor.user_id


@dataclass
class MeetingPage:
    """The meeting page (and its case list fragment, polled while the meeting runs)."""

    meeting: Meeting
    is_chair: bool
    context_values: dict

    @classmethod
    def build(cls, actor: Actor, meeting: Meeting, user, *, case_form=None,
              blocks: str | None = None) -> "MeetingPage":
        rows = queries.case_rows(meeting)
        team = db.session.get(Team, meeting.team_id)
        by = blocks if blocks in timing.GROUPINGS else "practice"
        timetable = timing.meeting_plan(meeting, rows, team, by)
        yours = timing.your_cases(user, rows, timetable)
        case_form = case_form or CaseForm()
        case_form.patient_id.choices = patient_choices(
            actor, meeting.team_id, exclude={row.patient.id for row in rows}) \
            if meeting.is_scheduled else [("", "Choose a patient")]
        case_form.presenter_id.choices = member_choices(meeting.team_id, "Not decided yet")
        is_chair = runs(actor, meeting)
        return cls(meeting, is_chair, {
            "meeting": meeting, "rows": rows, "case_form": case_form,
            "remove_form": RemoveCaseForm(), "invitees": queries.invitees(meeting.id),
            "is_chair": is_chair,
            "today": london_today(), "errors": error_list(case_form),
            "plan": timetable, "team": team, "blocks_by": by, "groupings": timing.GROUPINGS,
            "grouping_words": timing.GROUPING_WORDS,
            "referrals": referrals_for_cases([row.case.id for row in rows]),
            "key_cards": key_cards([row.patient.id for row in rows]),
            "blocks": agenda.blocks(timing.items(rows, by), timetable),
            "your_cases": yours,
            "your_block": agenda.your_block(timetable, {y.row.case.id for y in yours}),
            "deaths": deaths.deaths_since_last(meeting)})

    # The template's questions.
    @property
    def polls(self) -> bool:
        """Attendees' case lists follow the chair while the meeting runs."""
        return self.meeting.is_in_progress

    @property
    def can_change_list(self) -> bool:
        """Reorder, group, time and take cases off: the chair, before the meeting starts."""
        return self.is_chair and self.meeting.is_scheduled

    @property
    def can_add_case(self) -> bool:
        return self.meeting.is_scheduled

    @property
    def can_run(self) -> bool:
        return self.is_chair and self.meeting.is_open

    @property
    def run_label(self) -> str:
        return "Run the meeting" if self.meeting.is_scheduled else "Back to the live meeting"

    def can_send_apologies(self, me) -> bool:
        return bool(me) and self.meeting.is_open

    @property
    def shows_deaths(self) -> bool:
        return bool(self.context_values["deaths"]) or not self.meeting.is_cancelled

    def context(self) -> dict:
        return {"page": self, **self.context_values}


@dataclass
class LivePage:
    """The chair's live meeting (or, for htmx, just the case panel) with the current case."""

    meeting: Meeting
    current: object
    whole_page: bool
    context_values: dict

    @classmethod
    def build(cls, actor: Actor, meeting: Meeting, *, case_id=None, after=None, saved="",
              whole_page=True, changed=(), forms: dict, action_rows) -> "LivePage":
        """`case_id`: the case to show (else the first still to discuss); `after`: show the
        case following this one (the last shows itself). `changed`: the cases whose line in
        the navigation an htmx answer carries out-of-band (one just saved)."""
        nav = live_queries.outline(meeting.id)
        ids = [item.case_id for item in nav]
        if after in ids:
            case_id = ids[min(ids.index(after) + 1, len(ids) - 1)]
        index = ids.index(case_id) if case_id in ids else next(
            (i for i, item in enumerate(nav) if item.is_listed), 0)
        screen = live_queries.case_on_screen(meeting, ids[index], actor.user_id) if nav \
            else None
        current = screen.row if screen else None
        draft, writing = None, screen.writing if screen else []
        if current:
            members = live_queries.member_choices(meeting.team_id)
            key_worker_id = current.info.key_worker_id if current.info else None
            draft = drafts.unsaved(screen.draft, current.case) if "record_form" not in forms \
                else None
            typed = draft or current.case  # her unsaved text comes back after a reload
            forms.setdefault("record_form", CaseRecordForm(data={
                "notes": typed.notes, "outcome": typed.outcome, "decisions": typed.decisions,
                "version": str(draft.case_version if draft else current.case.version),
                "key_worker_id": key_worker_id, "seen_key_worker_id": str(key_worker_id or ""),
                "defer": current.case.is_deferred}))
            forms.setdefault("action_rows", action_rows(1))
            forms["record_form"].key_worker_id.choices = [("", "No key worker")] + members
            for row in forms["action_rows"]:
                row.owner_id.choices = [("", "Choose an owner")] + members
        if whole_page:
            forms.setdefault("walk_in_form", WalkInForm())
        items = [item.item for item in nav]
        # The case on screen's planned slot: the cases before it decide it.
        timetable = agenda.plan(meeting.starts_at, meeting.ends_at, items[:index + 1],
                                tz=LONDON)
        clock = agenda.progress(items, meeting.started_at or meeting.starts_at, utcnow()) \
            if meeting.is_in_progress else None
        errors = [item for form in forms.values() if not isinstance(form, list)
                  for item in error_list(form)]
        errors += [item for row in forms.get("action_rows", []) for item in error_list(row)]
        values = dict(meeting=meeting, nav=nav, count=len(nav), current=current, index=index,
                      saved=saved, restored=draft.updated_at if draft else None,
                      writing=writing,
                      previous=nav[index - 1] if current and index > 0 else None,
                      following=nav[index + 1] if current and index + 1 < len(nav) else None,
                      changed=[item for item in nav if item.case_id in set(changed)],
                      attendance=ATTENDANCE, today=london_today(), errors=errors,
                      plan=timetable, clock=clock,
                      referral=referrals_for_cases([current.case.id]).get(
                          current.case.id) if current else None,
                      key_card=key_card(current.patient.id) if current else [], **forms)
        if whole_page:  # the attendance column: the whole page only, not the panel's swaps
            values.update(invitees=queries.invitees(meeting.id),
                          often_absent=often_absent(meeting.team_id, london_today()))
        return cls(meeting, current, whole_page, values)

    # The template's questions.
    @property
    def panel_summary(self) -> bool:
        """The panel carries its own error summary when swapped in alone; the whole page has
        the layout's (one summary a page)."""
        return not self.whole_page

    @property
    def takes_attendance(self) -> bool:
        return self.meeting.is_in_progress

    @property
    def can_defer(self) -> bool:
        """A finished meeting's cases can still be written up, no longer deferred."""
        return not self.meeting.is_finished

    def context(self) -> dict:
        return {"page": self, **self.context_values}
