"""`GET /metrics`: Prometheus text format (prometheus-client).

Two sources, each correct across processes and nodes:
- deployment figures (submissions received / processed / failed / pending, the oldest pending age, jobs
  by state, live background processes per role, whether the database answers) are read from the
  database at scrape time (`health.snapshot`), so any worker of any node reports the same values;
- request latency (`shoudi_http_request_duration_seconds`, by method, endpoint and status class) is
  measured in each web worker; under `shoudi serve` the workers share it through prometheus-client's
  multiprocess mode (a private directory per server, set up before gunicorn forks), so one scrape of a
  node covers all its workers.

Access: with METRICS_TOKEN set, `Authorization: Bearer <token>`; unset, loopback clients only.
prometheus_client is imported lazily: its multiprocess mode is decided when its modules are imported.
"""
from __future__ import annotations

import hmac
import ipaddress
import os
import shutil
import sys
import tempfile
import time

from flask import Blueprint, Response, current_app, g, request

from server.errors import ApiError

bp = Blueprint("metrics", __name__)

ENV = "PROMETHEUS_MULTIPROC_DIR"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)
_histogram = None


def prepare_multiprocess(port: int) -> str:
    """`shoudi serve`, before forking: a fresh directory for the workers' shared metric files."""
    path = tempfile.mkdtemp(prefix=f"shoudi-metrics-{port}-")
    os.environ[ENV] = path
    values = sys.modules.get("prometheus_client.values")
    if values is not None:   # imported before the variable was set: pick the multiprocess value class
        values.ValueClass = values.get_value_class()
    return path


def worker_gone(path: str, pid: int) -> None:
    from prometheus_client import multiprocess
    multiprocess.mark_process_dead(pid, path)


def cleanup(path: str) -> None:
    shutil.rmtree(path, ignore_errors=True)


def _request_histogram():  # noqa: ANN202
    global _histogram
    if _histogram is None:
        from prometheus_client import Histogram
        _histogram = Histogram("shoudi_http_request_duration_seconds",
                               "Time from request start to response headers, by method, endpoint, status class.",
                               ["method", "endpoint", "status"], buckets=BUCKETS, registry=None)
    return _histogram


@bp.before_app_request
def _started() -> None:
    g.metrics_started = time.perf_counter()


@bp.after_app_request
def _observe(response: Response) -> Response:
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule is not None else "unmatched"
        _request_histogram().labels(request.method if request.method in _METHODS else "other", endpoint,
                                    f"{response.status_code // 100}xx").observe(time.perf_counter() - started)
    return response


_METHODS = {"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"}


def _allowed() -> None:
    token = current_app.config.get("METRICS_TOKEN")
    if token:
        sent = request.headers.get("Authorization", "")
        scheme, _, value = sent.partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), token.encode()):
            raise ApiError(401, "需要有效的监控令牌。A valid metrics token is required (Authorization: Bearer …).",
                           code="metrics_token", headers=[("WWW-Authenticate", 'Bearer realm="metrics"')])
        return
    try:
        loopback = ipaddress.ip_address(request.remote_addr or "").is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ApiError(403, "监控指标仅限本机访问，或设置 SHOUDI_METRICS_TOKEN。Metrics are served to loopback "
                            "clients only unless SHOUDI_METRICS_TOKEN is set.", code="metrics_forbidden")


class DeploymentCollector:
    """Figures read from the database at scrape time (the same for every worker and node)."""

    def __init__(self, app) -> None:  # noqa: ANN001
        self.app = app

    def collect(self):  # noqa: ANN201
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

        from server.health import snapshot
        try:
            figures = snapshot(self.app, totals=True)
        except Exception:  # noqa: BLE001 — the scrape still answers: the database is down
            yield GaugeMetricFamily("shoudi_database_up", "1 when the database answered this scrape.", value=0)
            return
        yield GaugeMetricFamily("shoudi_database_up", "1 when the database answered this scrape.", value=1)
        subs = figures["submissions"]
        yield CounterMetricFamily("shoudi_submissions_received", "Submission versions received (acknowledged 201).",
                                  value=subs["received"])
        yield CounterMetricFamily("shoudi_submissions_processed", "Submission versions processed successfully.",
                                  value=subs["done"])
        yield GaugeMetricFamily("shoudi_submissions_failed", "Submission versions whose processing failed "
                                "(retry with `shoudi reprocess --all-failed`).", value=subs["failed"])
        yield GaugeMetricFamily("shoudi_submissions_pending", "Submission versions waiting for processing (backlog).",
                                value=subs["pending"])
        yield GaugeMetricFamily("shoudi_submissions_oldest_pending_seconds", "Age of the oldest pending version "
                                "(0 when none).", value=subs["oldest_pending_seconds"] or 0)
        jobs = GaugeMetricFamily("shoudi_jobs", "Background jobs by state.", labels=["state"])
        for state in ("queued", "running", "done", "failed"):
            jobs.add_metric([state], figures["jobs"][state])
        yield jobs
        yield GaugeMetricFamily("shoudi_jobs_oldest_queued_seconds", "Age of the oldest queued job (0 when none).",
                                value=figures["jobs"]["oldest_queued_seconds"] or 0)
        alive = GaugeMetricFamily("shoudi_processes_alive", "Background processes with a fresh heartbeat, by role.",
                                  labels=["role"])
        for role, found in figures["processes"].items():
            alive.add_metric([role], found["alive"])
        yield alive


@bp.get("/metrics")
def metrics() -> Response:
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

    _allowed()
    registry = CollectorRegistry()
    path = os.environ.get(ENV)
    if path and os.path.isdir(path):
        from prometheus_client import multiprocess
        multiprocess.MultiProcessCollector(registry, path=path)
    else:
        registry.register(_request_histogram())
    registry.register(DeploymentCollector(current_app._get_current_object()))
    response = Response(generate_latest(registry), mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
