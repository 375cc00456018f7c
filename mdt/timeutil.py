"""The one place where UTC meets UK local time (Europe/London, with summer time)."""

from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")

# Set only by clock_at (the demo's history): None is the real clock.
_clock: ContextVar[datetime | None] = ContextVar("mdt_clock", default=None)


def utcnow() -> datetime:
    return _clock.get() or datetime.now(UTC)


@contextmanager
def clock_at(moment: datetime):
    """Within it, "now" is `moment` (aware) for everything that asks utcnow or
    london_today: the demo records its history through the services as it happened, each
    step at its own time, audit trail included."""
    token = _clock.set(moment.astimezone(UTC))
    try:
        yield
    finally:
        _clock.reset(token)


def as_utc(value: datetime) -> datetime:
    """Aware UTC; a naive value (SQLite hands these back) is taken to be UTC already."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_london(value: datetime) -> datetime:
    return as_utc(value).astimezone(LONDON)


def format_uk(value: datetime | None) -> str:
    """'24 Nov 2026, 14:05' in UK local time."""
    if value is None:
        return ""
    local = to_london(value)
    return f"{local.day} {local:%b %Y, %H:%M}"


def format_date(value: date | None) -> str:
    if value is None:
        return ""
    return f"{value.day} {value:%b %Y}"


def london_today() -> date:
    return utcnow().astimezone(LONDON).date()


def london_to_utc(day: date, clock) -> datetime:
    """A UK wall-clock date and time as aware UTC (summer time handled by zoneinfo)."""
    return datetime.combine(day, clock, LONDON).astimezone(UTC)


def format_clock(value: datetime | None) -> str:
    return "" if value is None else f"{to_london(value):%H:%M}"


# --- times that exist: the clock changes -------------------------------------------------
# The UK clocks go forward at 01:00 GMT on the last Sunday of March (01:00-01:59 never
# happens) and back at 02:00 BST on the last Sunday of October (01:00-01:59 happens twice).
# A UK wall-clock time is checked here before it is stored.

def _wall(day: date, clock, fold: int) -> datetime:
    return datetime.combine(day, clock).replace(tzinfo=LONDON, fold=fold)


def exists(day: date, clock) -> bool:
    """False for a time skipped when the clocks go forward."""
    local = _wall(day, clock, 0)
    return local.astimezone(UTC).astimezone(LONDON).replace(tzinfo=None) == \
        datetime.combine(day, clock)


def is_ambiguous(day: date, clock) -> bool:
    """True for a time that happens twice when the clocks go back."""
    return exists(day, clock) and _wall(day, clock, 0).utcoffset() != \
        _wall(day, clock, 1).utcoffset()


def _changes_on(day: date) -> tuple[str, str] | None:
    """('forward', '01:00') or ('back', '02:00') on a clock-change day (UK wall clock)."""
    before = datetime.combine(day, datetime.min.time()).replace(tzinfo=LONDON).utcoffset()
    after = datetime.combine(day, datetime.max.time()).replace(tzinfo=LONDON).utcoffset()
    if before == after:
        return None
    for minute in range(24 * 60):
        clock = datetime.combine(day, datetime.min.time()) + timedelta(minutes=minute)
        if not exists(day, clock.time()):
            return ("forward", f"{clock:%H:%M}")
        if is_ambiguous(day, clock.time()):
            end = (clock + timedelta(hours=1)).time()
            return ("back", f"{end:%H:%M}")
    return None


def clock_problem(day: date, clock, fold: int | None = None) -> str | None:
    """None when this UK date and time happens exactly once (or `fold` says which of two
    is meant: 0 = the first, BST; 1 = the second, GMT); else a message for the user."""
    when = f"{day.day} {day:%B %Y}"
    if not exists(day, clock):
        _, at = _changes_on(day) or ("forward", "01:00")
        later = (datetime.combine(day, clock) + timedelta(hours=1)).time()
        return (f"The clocks go forward at {at} on {when}, so {clock:%H:%M} does not happen "
                f"that day: choose {later.replace(minute=0):%H:%M} or later, or before {at}")
    if is_ambiguous(day, clock) and fold is None:
        _, at = _changes_on(day) or ("back", "02:00")
        return (f"{clock:%H:%M} on {when} happens twice (the clocks go back at {at}): write "
                f"{clock:%H:%M} BST for the first or {clock:%H:%M} GMT for the second")
    return None


def checked_london_to_utc(day: date, clock, fold: int | None = None) -> datetime:
    """london_to_utc for a time a user gave: raises ValueError(message) when it does not
    exist or happens twice and `fold` does not say which."""
    problem = clock_problem(day, clock, fold)
    if problem:
        raise ValueError(problem)
    return _wall(day, clock, fold or 0).astimezone(UTC)
