"""Background jobs: importable module-level functions that take ids, not objects."""

from mdt.timeutil import utcnow

HEARTBEAT_KEY = "mdt:worker:heartbeat"


def heartbeat() -> str:
    """Proves a worker is taking jobs: writes the time it ran into Redis."""
    from rq import get_current_job

    stamp = utcnow().isoformat()
    get_current_job().connection.set(HEARTBEAT_KEY, stamp)
    return stamp
