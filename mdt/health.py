"""A health check for load balancers and the run script: the database and Redis answer."""

from flask import Blueprint, jsonify
from sqlalchemy import text

from mdt.extensions import db
from mdt.queue import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/health")
def health():
    checks = {}
    try:
        db.session.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - report, do not crash, the health check
        checks["database"] = "down"
    try:
        redis_connection().ping()
        checks["redis"] = "ok"
    except Exception:  # noqa: BLE001
        checks["redis"] = "down"
    healthy = all(v == "ok" for v in checks.values())
    return jsonify(status="ok" if healthy else "degraded", **checks), 200 if healthy else 503


def init_app(app) -> None:
    app.register_blueprint(bp)
