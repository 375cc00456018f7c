"""The timed agenda, as pure functions of plain data (no Flask, no database).

A case list becomes a timetable: each case starts when the one before it (and any break
after it) ends, counted from the meeting's start. Deferred, removed and carried-forward
cases take no time. Times are aware UTC; adding minutes in UTC keeps durations right across
a change of clocks, and the page converts to UK time only to show them."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

NO_TIME = ("deferred", "removed", "carried_forward")  # statuses that take no agenda time
MAX_MINUTES = 120  # one case, or one break


@dataclass(frozen=True)
class Item:
    case_id: int
    minutes: int
    status: str = "listed"
    break_after: int = 0
    group: str = ""  # GP practice or presenter, for blocks


@dataclass(frozen=True)
class Slot:
    case_id: int
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Block:
    """A run of consecutive cases with the same group: when an attendee comes and goes."""
    group: str
    starts_at: datetime
    ends_at: datetime
    count: int


@dataclass(frozen=True)
class Plan:
    slots: dict[int, Slot]  # case id -> slot, in agenda order
    ends_at: datetime  # when the last case (and its break) is expected to end
    minutes: int  # discussion minutes, breaks not counted
    break_minutes: int
    count: int
    warnings: tuple[str, ...] = field(default=())


def _clock(value: datetime, tz) -> str:
    return value.astimezone(tz).strftime("%H:%M")


def plan(starts_at: datetime, ends_at: datetime, items: list[Item], *,
         case_limit: int | None = None, minutes_limit: int | None = None,
         tz=None) -> Plan:
    """Expected start and end for each case, and warnings when the list runs past the
    meeting's end or past the team's limits. `tz` only formats the warning's clock times."""
    at, slots, minutes, breaks = starts_at, {}, 0, 0
    for item in items:
        if item.status in NO_TIME:
            continue
        end = at + timedelta(minutes=item.minutes)
        slots[item.case_id] = Slot(item.case_id, at, end)
        minutes += item.minutes
        breaks += item.break_after
        at = end + timedelta(minutes=item.break_after)
    last = max((s.ends_at for s in slots.values()), default=starts_at)
    warnings = []
    if last > ends_at:
        over = int((last - ends_at).total_seconds() // 60)
        warnings.append(f"The case list runs to about {_clock(last, tz)}, {over} "
                        f"minute{'s' if over != 1 else ''} past the meeting's end "
                        f"({_clock(ends_at, tz)}).")
    if case_limit and len(slots) > case_limit:
        warnings.append(f"{len(slots)} cases: more than the team's limit of {case_limit}. "
                        "Decisions suffer on long lists: move routine cases to the next "
                        "meeting.")
    if minutes_limit and minutes > minutes_limit:
        warnings.append(f"{minutes} minutes of discussion: more than the team's limit of "
                        f"{minutes_limit}. Decisions suffer in long meetings.")
    return Plan(slots, last, minutes, breaks, len(slots), tuple(warnings))


def blocks(items: list[Item], timetable: Plan) -> list[Block]:
    """Consecutive timed cases with the same group, as blocks (a group can appear twice
    when its cases are not next to each other)."""
    found: list[Block] = []
    for item in items:
        slot = timetable.slots.get(item.case_id)
        if slot is None:
            continue
        if found and found[-1].group == item.group:
            last = found[-1]
            found[-1] = Block(last.group, last.starts_at, slot.ends_at, last.count + 1)
        else:
            found.append(Block(item.group, slot.starts_at, slot.ends_at, 1))
    return found


def grouped_order(items: list[Item]) -> list[int]:
    """Case ids with each group's cases together: groups in the order they first appear,
    cases within a group in their current order (so urgent cases listed first stay first)."""
    order: dict[str, list[int]] = {}
    for item in items:
        order.setdefault(item.group, []).append(item.case_id)
    return [case_id for ids in order.values() for case_id in ids]


def your_block(timetable: Plan, case_ids: set[int]) -> Block | None:
    """When someone's own cases run: from the first one's start to the last one's end."""
    slots = [timetable.slots[i] for i in case_ids if i in timetable.slots]
    if not slots:
        return None
    return Block("", min(s.starts_at for s in slots), max(s.ends_at for s in slots),
                 len(slots))


@dataclass(frozen=True)
class Progress:
    used: int  # minutes since the meeting started
    planned: int  # planned minutes (with breaks) for the cases discussed so far
    behind: int  # used - planned: positive is behind plan, negative ahead
    remaining: int  # planned minutes (with breaks) for cases still to discuss
    expected_end: datetime


def progress(items: list[Item], started_at: datetime, now: datetime) -> Progress:
    """Time used against plan in a running meeting."""
    used = max(0, int((now - started_at).total_seconds() // 60))
    planned = sum(i.minutes + i.break_after for i in items if i.status == "discussed")
    remaining = sum(i.minutes + i.break_after for i in items if i.status == "listed")
    return Progress(used, planned, used - planned, remaining,
                    now + timedelta(minutes=remaining))
