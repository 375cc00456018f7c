"""The audit table is append-only in the database itself: a trigger refuses UPDATE and
DELETE, so not even a bug (or a hand-typed SQL statement through the app's account) can
rewrite who saw or changed what."""

POSTGRES_UP = [
    """CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'audit_events is append-only';
    END
    $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()""",
]
# Lifting the row trigger leaves the function: the TRUNCATE trigger uses it too (and
# CREATE OR REPLACE above makes putting it back safe).
POSTGRES_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events",
]
SQLITE_UP = [
    """CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events
    BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS audit_events_no_update",
    "DROP TRIGGER IF EXISTS audit_events_no_delete",
]


# PostgreSQL: TRUNCATE skips row triggers, so a statement trigger refuses it too.
TRUNCATE_UP = [
    """CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()""",
]
TRUNCATE_DOWN = ["DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events"]


def statements(dialect: str, up: bool) -> list[str]:
    if dialect == "postgresql":
        return POSTGRES_UP if up else POSTGRES_DOWN
    return SQLITE_UP if up else SQLITE_DOWN
