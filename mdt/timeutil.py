"""The one place where UTC meets UK local time (Europe/London, with summer time)."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")


def utcnow() -> datetime:
    return datetime.now(UTC)


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
