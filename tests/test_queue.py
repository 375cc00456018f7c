"""The RQ worker and the web app share one real Redis."""

from rq import SimpleWorker

from mdt.jobs import HEARTBEAT_KEY, heartbeat
from mdt.queue import get_queue, redis_connection


def test_a_job_enqueued_by_the_app_runs_on_a_worker(app):
    with app.app_context():
        redis = redis_connection()
        redis.delete(HEARTBEAT_KEY)
        job = get_queue().enqueue(heartbeat)
        SimpleWorker([get_queue()], connection=redis).work(burst=True)
        job.refresh()
        assert job.is_finished
        assert redis.get(HEARTBEAT_KEY).decode() == job.return_value()


def test_health_reports_database_and_redis(client_request):
    response = client_request.client.get("/health")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok", "redis": "ok"}


def test_health_says_degraded_when_redis_is_unreachable(app, tmp_path):
    from mdt import create_app

    broken = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
                         "REDIS_URL": f"unix://{tmp_path}/no-such.sock"})
    response = broken.test_client().get("/health")
    assert response.status_code == 503 and response.json["redis"] == "down"
