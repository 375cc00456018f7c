"""The reminders' settings: app config first, then the environment (so a worker started as
a plain process can be tuned), then these defaults."""

import json
import os
from datetime import timedelta
from urllib.parse import urlsplit

DEFAULTS = {
    "REMINDER_QUEUE": "reminders",
    "REMINDER_BATCH_SIZE": 100,  # reminders per job (a fork and one SMTP session each)
    "REMINDER_JOB_TIMEOUT": 180,  # seconds one send job may take
    # A row left 'sending' longer than this (its worker died) is sent again. Longer than a
    # job can live, so a slow job is never doubled by its own rescue.
    "REMINDER_SENDING_TIMEOUT": 300,
    "REMINDER_RETRY_INTERVALS": [10, 60, 300],  # RQ Retry of a job that crashed
    # A reminder the mail server could not take waits REMINDER_RETRY_BASE seconds, doubling
    # to REMINDER_RETRY_CAP, and keeps trying until its news is no longer useful (or 24 h).
    "REMINDER_RETRY_BASE": 30,
    "REMINDER_RETRY_CAP": 600,
    # A row whose worker died while sending it, this many times: 'failed' (a message that
    # kills the worker must not do so for ever), for an admin to retry.
    "REMINDER_MAX_ATTEMPTS": 8,
    "REMINDER_PLAN_INTERVAL": 60,  # seconds between planner runs (the worker's ticker)
    # An incremental pass plans only the teams a change named; a full pass runs at least
    # this often (and whenever a time of day at which reminders fall due has passed).
    "REMINDER_FULL_PASS_SECONDS": 3600,
    "REMINDER_LOST_JOB_GRACE": 30,  # seconds before a queued row's missing job is redone
    "REMINDER_SMTP_TIMEOUT": 20,
    "REMINDER_FROM": "",  # default: Neighbourhood MDT <no-reply@the BASE_URL's host>
    "REMINDER_PLAN_ON_COMMIT": True,  # a web change that matters asks for a plan at once
    "REMINDER_KEEP_DAYS": 90,  # sent and withdrawn rows are deleted after this
}


def _parse(default, text: str):
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, list):
        return json.loads(text) if text.strip().startswith("[") else \
            [int(part) for part in text.split(",") if part.strip()]
    return text


def install(app) -> None:
    for name, default in DEFAULTS.items():
        if name not in app.config:
            text = os.environ.get(name)
            app.config[name] = default if text is None else _parse(default, text)
    if not app.config["REMINDER_FROM"]:
        host = urlsplit(app.config.get("BASE_URL") or "http://localhost").hostname or ""
        is_name = "." in host and not host.replace(".", "").isdigit() and ":" not in host
        domain = host if is_name else "neighbourhood-mdt.invalid"  # not an IP address
        app.config["REMINDER_FROM"] = f"Neighbourhood MDT <no-reply@{domain}>"


def seconds(app, name: str) -> timedelta:
    return timedelta(seconds=app.config[name])
