"""The meeting's pages as objects: each assembles what its page shows (from the meetings,
patients, referrals, reports and teams features) and answers the questions its templates
ask (may this person change the list? does the list poll? can a case be deferred?), so
views load, build, render and templates compare no status strings."""

from dataclasses import dataclass, field

from flask import render_template, url_for
from markupsafe import Markup

from mdt.auth.actor import Actor
from mdt.auth.scope import current_teams
from mdt.extensions import db
from mdt.forms import error_list
from mdt.meetings import agenda, deaths, drafts, live_queries, queries, timing
from mdt.meetings.attendance import often_absent
from mdt.meetings.case_list_html import case_item
from mdt.meetings.forms import CaseForm, CaseRecordForm, WalkInForm
from mdt.meetings.models import ATTENDANCE, Meeting
from mdt.meetings.queries import referrals_for_cases
from mdt.patients.key_info_queries import key_card, key_cards
from mdt.patients.listing import Found, find_on_caseload
from mdt.patients.nhs_number import display as nhs_display
from mdt.teams.models import Team
from mdt.teams.service import member_choices
from mdt.timeutil import LONDON, UTC, london_today, to_london, utcnow

URGENCY_TAGS = {"urgent": "nhsuk-tag--red", "soon": "nhsuk-tag--yellow"}


@dataclass
class CaseItem:
    """One case of the list, worked out once here so that the template, run 500 times,
    only writes it out (the case list was most of the page's time in Jinja)."""
    row: object  # queries.CaseRow
    id: int
    name: str
    nhs_number: str  # 943 476 5919
    patient_url: str
    urgency_tag: str
    status_tag: str
    expected: str  # "" when the case has no slot
    key_info: list | None  # [(label, value)] recorded; None: no key information card
    review_tag: str = ""  # patients/_review_tag.html for the patient's review, or ""
    referral: Markup | None = None  # its referral's text (referrals/_on_case.html)
    minutes: str = ""
    break_after: str = ""
    errors: dict = field(default_factory=dict)  # {"minutes": ..., "break": ...}
    typed: bool = False  # times typed and refused, shown again: their box opens
    first: bool = False
    last: bool = False

    def markup(self, tools: bool, today) -> Markup:
        """The case's <li> (case_list_html), with the chair's tools when `tools`."""
        return case_item(self, tools=tools, today=today)


def _clock_of(plan):
    """A fast UK 24-hour clock for the slots of one plan (twice a case): the offset from UTC
    worked out once, unless the clocks change during the meeting (then each time)."""
    slots = list(plan.slots.values())
    if not slots:
        return lambda moment: ""
    first, last = to_london(slots[0].starts_at), to_london(slots[-1].ends_at)
    if first.utcoffset() != last.utcoffset():
        return lambda moment: f"{to_london(moment):%H:%M}"
    offset = first.utcoffset()

    def clock(moment):
        local = moment.replace(tzinfo=None) + offset if moment.tzinfo is None else \
            moment.astimezone(UTC).replace(tzinfo=None) + offset
        return f"{local.hour:02d}:{local.minute:02d}"
    return clock


@dataclass
class BlockRow:
    """A row of the "when to come" table: a block's group, its times and its cases."""
    group: str
    times: str  # "12:30 to 12:45"
    count: int


def block_rows(blocks, clock) -> list[BlockRow]:
    """A block a case when the list is not grouped yet: 500 rows, their times written once."""
    return [BlockRow(b.group, f"{clock(b.starts_at)} to {clock(b.ends_at)}", b.count)
            for b in blocks]


def _expected(case, slot, clock) -> str:
    if slot is None:
        return ""
    pause = f", then a {case.break_after}-minute break" if case.break_after else ""
    return (f"Expected {clock(slot.starts_at)} to {clock(slot.ends_at)} "
            f"({case.minutes} min{pause})")


def _key_info(card) -> list | None:
    """[(label, value)] recorded on the key information card; None: no card."""
    if not card:
        return None
    return [(item["label"], item["value"]) for item in card if item["recorded"]]


def _review_tags():
    """patients/_review_tag.html for a review, rendered once per different tag (an include
    per case was a tenth of the list's time); the same markup as the patient pages."""
    made = {}

    def tag(review):
        key = (review.is_overdue, review.is_due_soon, review.due_on)
        if key not in made:
            made[key] = Markup(render_template("patients/_review_tag.html", review=review))
        return made[key]
    return tag


def _referral(referral):
    """referrals/_on_case.html for a case's referral (few cases have one), or None."""
    return Markup(render_template("referrals/_on_case.html", referral=referral)) \
        if referral is not None else None


def _times(case) -> tuple[str, str]:
    return str(case.minutes if case.minutes is not None else ""), str(case.break_after or 0)


def _times_shown(rows) -> str:
    """The times as stored, "id:minutes:break ...": the list's form sends them back, so the
    view saves only the times she changed (views._typed_times)."""
    return " ".join(f"{row.case.id}:{':'.join(_times(row.case))}" for row in rows)


def case_items(rows, plan, referrals: dict, cards: dict, typed: dict | None = None,
               typed_errors: dict | None = None) -> list[CaseItem]:
    """The case list's items; `typed` ({case id: (minutes, break)}) are times she typed
    that were refused, shown again as typed with `typed_errors` ({"minutes-7": ...})."""
    typed, typed_errors = typed or {}, typed_errors or {}
    patient_url = url_for("patients.show", patient_id=0)[:-1]  # built once, not per case
    review_tag, clock, last = _review_tags(), _clock_of(plan), len(rows) - 1
    items = []
    for index, row in enumerate(rows):
        case, patient = row.case, row.patient
        mine = typed.get(case.id)
        errors = {key: typed_errors[f"{key}-{case.id}"] for key in ("minutes", "break")
                  if f"{key}-{case.id}" in typed_errors} if typed_errors else {}
        minutes, break_after = mine or _times(case)
        items.append(CaseItem(
            row=row, id=case.id, name=patient.full_name, nhs_number=nhs_display(
                patient.nhs_number), patient_url=f"{patient_url}{patient.id}",
            urgency_tag=URGENCY_TAGS.get(case.urgency, "nhsuk-tag--grey"),
            status_tag="nhsuk-tag--green" if case.is_discussed else "nhsuk-tag--blue"
            if case.is_listed else "nhsuk-tag--grey",
            expected=_expected(case, plan.slots.get(case.id), clock),
            key_info=_key_info(cards.get(patient.id)), referral=_referral(referrals.get(case.id)),
            review_tag=review_tag(row.info.review) if row.info else "",
            minutes=minutes, break_after=break_after, errors=errors,
            typed=mine is not None, first=index == 0, last=index == last))
    return items


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
              blocks: str | None = None, found: Found | None = None, typed=None,
              typed_errors=None) -> "MeetingPage":
        rows = queries.case_rows(meeting)
        team = next((t for t in current_teams() if t.id == meeting.team_id), None) or \
            db.session.get(Team, meeting.team_id)  # the header's teams: no query of its own
        user = getattr(user, "_get_current_object", lambda: user)()  # not a proxy per case
        by = blocks if blocks in timing.GROUPINGS else "practice"
        agenda_items = timing.items(rows, by)  # once, for the plan and its blocks
        timetable = timing.meeting_plan(meeting, rows, team, by, agenda_items)
        yours = timing.your_cases(user, rows, timetable)
        case_form = case_form or CaseForm()
        case_form.patient_id.choices = []  # chosen from a search, not a list of everyone
        if found is None and meeting.is_scheduled and case_form.patient_id.data:
            found = find_on_caseload(meeting.team_id, patient_id=case_form.patient_id.data,
                                     exclude={row.patient.id for row in rows})  # again
        errors = error_list(case_form)
        if not (found and found.patients):  # no choices shown: the search box instead
            errors = [{**e, "href": "#find"} if e.get("href") == "#patient_id" else e
                      for e in errors]
        case_form.presenter_id.choices = member_choices(meeting.team_id, "Not decided yet")
        is_chair = runs(actor, meeting)
        referrals = referrals_for_cases([row.case.id for row in rows])
        clock = _clock_of(timetable)
        items = case_items(rows, timetable, referrals,
                           key_cards([row.patient.id for row in rows]), typed, typed_errors)
        return cls(meeting, is_chair, {
            "meeting": meeting, "rows": rows, "items": items, "case_form": case_form,
            "found": found, "invitees": queries.invitees(meeting.id),
            "is_chair": is_chair,
            "today": london_today(), "errors": errors,
            "plan": timetable, "team": team, "blocks_by": by, "groupings": timing.GROUPINGS,
            "grouping_words": timing.GROUPING_WORDS,
            "times_shown": _times_shown(rows),
            "blocks": block_rows(agenda.blocks(agenda_items, timetable), clock),
            "starts": {case_id: clock(slot.starts_at)
                       for case_id, slot in timetable.slots.items()},
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
