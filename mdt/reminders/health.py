"""The queue's health for the admin page: workers alive, queue length, failed jobs. Redis
down is a reading, not an error."""

import json

from rq import Queue, Worker
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from mdt.reminders.jobs import LAST_PLAN_KEY


def queue_health(redis, queue_name: str) -> dict:
    try:
        redis.ping()
        queue = Queue(queue_name, connection=redis)
        workers = Worker.all(connection=redis)
        last = redis.get(LAST_PLAN_KEY)
        return {
            "redis": "ok",
            "workers": [{"name": w.name, "state": str(w.get_state()),
                         "queues": ", ".join(w.queue_names()),
                         "last_heartbeat": w.last_heartbeat} for w in workers],
            "listening": sum(1 for w in workers if queue_name in w.queue_names()),
            "queued": queue.count,
            "started": StartedJobRegistry(queue=queue).count,
            "scheduled": ScheduledJobRegistry(queue=queue).count,
            "failed": FailedJobRegistry(queue=queue).count,
            "last_plan": json.loads(last) if last else None,
        }
    except Exception as exc:  # noqa: BLE001 - Redis down or unreachable
        return {"redis": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
