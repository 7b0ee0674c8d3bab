"""`/healthz` tells the truth (200 / 503 with a JSON body a monitor can read) and `/metrics` speaks
Prometheus text format, figures read from the database, to loopback or token holders only."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from server import jobs
from server.db import get_db
from server.heartbeats import Heartbeat, ProcessHeartbeat
from server.models import SubmissionVersion, utcnow
from tests.server.helpers import JPEG, instance_xml, multipart
from tests.server.liveserver import free_port


def _beat(app, role: str, age_seconds: float = 0) -> None:  # noqa: ANN001
    heartbeat = Heartbeat(get_db(app).sessionmaker, role)
    heartbeat.beat(force=True)
    if age_seconds:
        with get_db(app).sessionmaker() as session:
            session.execute(update(ProcessHeartbeat).where(ProcessHeartbeat.id == heartbeat.id)
                            .values(beat_at=utcnow() - timedelta(seconds=age_seconds)))
            session.commit()


def _codes(body: dict) -> list[str]:
    return [p["code"] for p in body["problems"]]


def test_healthy_deployment_answers_200_with_its_figures(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.headers["Cache-Control"] == "no-store"
    body = r.get_json()
    assert body["status"] == "ok" and body["database"] == "ok" and body["storage"] == "ok"
    assert body["problems"] == []
    assert body["submissions"]["pending"] == 0 and body["submissions"]["oldest_pending_seconds"] is None
    assert body["jobs"]["queued"] == 0
    assert body["processes"]["processor"] == {"alive": 0, "newest_beat_seconds": None, "expected": False}


def test_an_expected_role_without_a_live_heartbeat_is_503(app, client):
    app.config["HEALTH_EXPECT"] = "processor,job_worker"
    r = client.get("/healthz")
    assert r.status_code == 503
    body = r.get_json()
    assert body["status"] == "unavailable" and _codes(body) == ["processor", "job_worker"]
    assert "processor" in body["problems"][0]["message"] and "处理" in body["problems"][0]["message"]
    _beat(app, "processor")
    _beat(app, "job_worker")
    body = client.get("/healthz").get_json()
    assert body["problems"] == [] and body["processes"]["processor"]["alive"] == 1
    assert body["processes"]["processor"]["expected"] is True


def test_a_stale_heartbeat_does_not_count(app, client):
    app.config["HEALTH_EXPECT"] = "processor"
    app.config["HEALTH_STALE_SECONDS"] = 30
    _beat(app, "processor", age_seconds=31)
    r = client.get("/healthz")
    assert r.status_code == 503 and _codes(r.get_json()) == ["processor"]
    assert r.get_json()["processes"]["processor"]["newest_beat_seconds"] >= 31


def test_serve_expects_the_roles_it_starts(app, client):
    app.config["HEALTH_EXPECTED_ROLES"] = ["processor"]      # set by server/serve.py
    assert _codes(client.get("/healthz").get_json()) == ["processor"]


def test_an_old_pending_submission_is_503(app, client, collect, world, db_session):
    app.config["PROCESS_INLINE"] = False
    iid = "uuid:abababab-1111-4111-8111-111111111111"
    assert collect.post(f"/v1/projects/{world.project.id}/submission",
                        data=multipart(instance_xml(iid), {"photo.jpg": JPEG})).status_code == 201
    body = client.get("/healthz").get_json()
    assert body["submissions"]["pending"] == 1 and body["problems"] == []
    db_session.execute(update(SubmissionVersion).where(SubmissionVersion.instance_id == iid)
                       .values(received_at=utcnow() - timedelta(seconds=601)))
    db_session.commit()
    r = client.get("/healthz")
    assert r.status_code == 503 and _codes(r.get_json()) == ["pending"]
    assert r.get_json()["submissions"]["oldest_pending_seconds"] >= 601


def test_a_job_waiting_too_long_is_503(app, client, db_session):
    job = jobs.enqueue(db_session, "rescore", {})
    job.created_at = utcnow() - timedelta(seconds=901)
    db_session.commit()
    r = client.get("/healthz")
    assert r.status_code == 503 and _codes(r.get_json()) == ["jobs"]
    assert r.get_json()["jobs"]["queued"] == 1


def test_an_unreachable_database_is_503_not_500(tmp_path):
    from server import create_app
    app = create_app({"DATA_DIR": str(tmp_path / "d"), "SECRET_KEY": "x", "LOG_LEVEL": "WARNING",
                      "DATABASE_URL": f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/none"})
    try:
        r = app.test_client().get("/healthz")
        assert r.status_code == 503
        body = r.get_json()
        assert body["database"] == "unreachable" and _codes(body) == ["database"]
        metrics = app.test_client().get("/metrics")
        assert metrics.status_code == 200 and "shoudi_database_up 0.0" in metrics.text
    finally:
        get_db(app).dispose()


def test_a_database_outage_on_a_request_is_503_with_retry_after(app, client, monkeypatch):
    """Nothing was acknowledged: the phone is told to retry (OpenRosa XML), no traceback in the log."""
    import psycopg
    from sqlalchemy import exc as sa_exc

    from server.openrosa import views

    def down(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise sa_exc.OperationalError("SELECT", {}, psycopg.OperationalError("connection refused"))
    monkeypatch.setattr(views, "get_session", down)
    r = client.get("/v1/projects/1/formList", headers={"X-OpenRosa-Version": "1.0"})
    assert r.status_code == 503 and r.headers["Retry-After"] == "10"
    assert b"<OpenRosaResponse" in r.data and "暂时不可用".encode() in r.data


def test_metrics_are_prometheus_text_read_from_the_database(app, client, collect, world, db_session):
    app.config["PROCESS_INLINE"] = False
    for i in range(3):
        assert collect.post(f"/v1/projects/{world.project.id}/submission", data=multipart(
            instance_xml(f"uuid:cdcdcdcd-1111-4111-8111-11111111111{i}"), {"photo.jpg": JPEG})).status_code == 201
    db_session.execute(update(SubmissionVersion).where(SubmissionVersion.instance_id.like("%1110"))
                       .values(processing_state="failed"))
    db_session.execute(update(SubmissionVersion).where(SubmissionVersion.instance_id.like("%1111"))
                       .values(processing_state="done"))
    jobs.enqueue(db_session, "rescore", {})
    db_session.commit()
    _beat(app, "processor")
    client.get("/healthz")
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    text = r.text
    for line in ("shoudi_database_up 1.0", "shoudi_submissions_received_total 3.0",
                 "shoudi_submissions_processed_total 1.0", "shoudi_submissions_failed 1.0",
                 "shoudi_submissions_pending 1.0", 'shoudi_jobs{state="queued"} 1.0',
                 'shoudi_processes_alive{role="processor"} 1.0'):
        assert line in text.splitlines(), line
    assert "shoudi_submissions_oldest_pending_seconds " in text
    assert 'shoudi_http_request_duration_seconds_bucket{endpoint="health.healthz"' in text
    assert 'endpoint="openrosa.submission",le="+Inf",method="POST",status="2xx"}' in text


def test_metrics_only_for_loopback_unless_a_token_is_set(app, client):
    remote = {"REMOTE_ADDR": "10.1.2.3"}
    r = client.get("/metrics", environ_base=remote)
    assert r.status_code == 403 and r.get_json()["code"] == "metrics_forbidden"
    assert "SHOUDI_METRICS_TOKEN" in r.get_json()["message"]
    app.config["METRICS_TOKEN"] = "s3cret-scraper-token"
    assert client.get("/metrics", environ_base=remote).status_code == 401
    assert client.get("/metrics").status_code == 401                    # a token binds loopback too
    wrong = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"].startswith("Bearer")
    ok = client.get("/metrics", environ_base=remote, headers={"Authorization": "Bearer s3cret-scraper-token"})
    assert ok.status_code == 200 and "shoudi_database_up" in ok.text


def test_heartbeat_rows_of_processes_gone_for_a_day_are_forgotten(app, db_session):
    _beat(app, "processor", age_seconds=2 * 86400)
    _beat(app, "job_worker")       # a new row's first beat clears the forgotten ones
    db_session.rollback()
    assert db_session.scalars(select(ProcessHeartbeat.role)).all() == ["job_worker"]
