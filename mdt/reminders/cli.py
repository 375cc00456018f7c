"""flask --app wsgi plan-reminders: one planner pass (for a cron job, or to look)."""

import click
from flask import current_app

from mdt.queue import redis_connection
from mdt.reminders import jobs


def register(app) -> None:
    @app.cli.command("plan-reminders")
    @click.option("--send", is_flag=True,
                  help="Also send what is queued, in this process (no worker needed).")
    def plan_reminders(send):
        """Work out the reminders due now, write them to the outbox and queue them."""
        try:
            redis = redis_connection()
            redis.ping()
        except Exception as exc:  # noqa: BLE001 - plan anyway; rows wait in the outbox
            click.echo(f"Redis is not answering ({exc}): reminders stay pending.", err=True)
            redis = None
        summary = jobs.plan_pass(redis=redis)
        click.echo(", ".join(f"{k} {v}" for k, v in summary.as_dict().items()
                             if k not in ("at", "redis_error") and v))
        if summary.redis_error:
            click.echo(f"Could not queue: {summary.redis_error}", err=True)
        if send and redis is not None:
            from rq import Queue, SimpleWorker

            queue = Queue(current_app.config["REMINDER_QUEUE"], connection=redis)
            SimpleWorker([queue], connection=redis).work(burst=True)
            click.echo("Sent what was queued.")
