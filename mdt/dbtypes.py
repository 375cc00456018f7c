"""Column types shared by every capability."""

from datetime import datetime

from sqlalchemy import CheckConstraint, DateTime
from sqlalchemy.types import TypeDecorator

from mdt.timeutil import as_utc


class UTCDateTime(TypeDecorator):
    """Stores aware UTC; hands back aware UTC on SQLite too (which keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: store aware UTC (mdt.timeutil.utcnow)")
        return as_utc(value)

    def process_result_value(self, value, dialect):
        return None if value is None else as_utc(value)


def one_of(column: str, values) -> CheckConstraint:
    """A CHECK that `column` holds one of a lifecycle's values (a StrEnum). Named by the
    metadata's convention: ck_<table>_<column>, as the migration that adds it."""
    allowed = ", ".join(f"'{value}'" for value in values)
    return CheckConstraint(f"{column} IN ({allowed})", name=column)
