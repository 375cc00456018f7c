"""Recurring meetings as iCalendar RRULEs (RFC 5545): build, describe, list occurrences.
Pure functions on dates (UK local), no database."""

from datetime import date, datetime, time

from dateutil.rrule import rrulestr

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday",
                 "Sunday")
ORDINALS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}


def monthly_rule(nth: int, weekday: int) -> str:
    """'Every month on the second Tuesday' = FREQ=MONTHLY;BYDAY=+2TU (nth -1 = last)."""
    if nth not in ORDINALS or not 0 <= weekday <= 6:
        raise ValueError("Choose which week of the month and which day")
    return f"FREQ=MONTHLY;BYDAY={nth:+d}{WEEKDAYS[weekday]}"


def weekly_rule(interval: int, weekday: int) -> str:
    if not 1 <= interval <= 8 or not 0 <= weekday <= 6:
        raise ValueError("Choose every 1 to 8 weeks and a day")
    return f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={WEEKDAYS[weekday]}"


def describe(rule: str) -> str:
    parts = dict(part.split("=", 1) for part in rule.split(";"))
    byday = parts.get("BYDAY", "")
    day = WEEKDAY_NAMES[WEEKDAYS.index(byday[-2:])] if byday else ""
    if parts.get("FREQ") == "MONTHLY":
        return f"Every month on the {ORDINALS[int(byday[:-2])]} {day}"
    interval = int(parts.get("INTERVAL", "1"))
    return f"Every {day}" if interval == 1 else f"Every {interval} weeks on {day}"


def occurrences(rule: str, first: date, *, after: date, count: int) -> list[date]:
    """The next `count` dates on or after `after` (and on or after the first date)."""
    recurrence = rrulestr(rule, dtstart=datetime.combine(first, time()))
    found, cursor = [], datetime.combine(max(after, first), time())
    for moment in recurrence.xafter(cursor, count=count, inc=True):
        found.append(moment.date())
    return found


def is_occurrence(rule: str, first: date, day: date) -> bool:
    return bool(occurrences(rule, first, after=day, count=1)) and \
        occurrences(rule, first, after=day, count=1)[0] == day
