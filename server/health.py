"""`GET /healthz`: is this deployment doing its work? 200 when it is, 503 (same JSON body) when not.

Checked on every call, from the database, so every web worker of every node gives the same answer:
the database answers; the blob store is writable; the processors and job workers that must run have a
heartbeat renewed within HEALTH_STALE_SECONDS (server/heartbeats.py); no submission has waited for
processing longer than HEALTH_PENDING_SECONDS; no job has waited in the queue longer than
HEALTH_JOB_WAIT_SECONDS. The body lists each figure and, under `problems`, what is wrong (a stable
`code` and a zh-CN / English message). No personal data: counts and ages only. See docs/operations.md.
"""
from __future__ import annotations

from datetime import datetime

from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import func, select, text

from server.db import get_db
from server.models import SubmissionVersion, utcnow
from server.storage import get_blobs

bp = Blueprint("health", __name__)

EXPECTABLE = ("processor", "job_worker")
_MESSAGES = {
    "database": "数据库无法连接 / database unreachable",
    "storage": "附件存储不可写 / blob store is not writable",
    "processor": "没有正在运行的提交处理进程 / no live processor",
    "job_worker": "没有正在运行的后台任务进程 / no live job worker",
    "pending": "有提交等待处理超过 {limit:.0f} 秒 / a submission has waited for processing over {limit:.0f} s",
    "jobs": "有后台任务排队超过 {limit:.0f} 秒 / a job has waited in the queue over {limit:.0f} s",
}


def expected_roles(app: Flask) -> list[str]:
    """HEALTH_EXPECT when set, else what this node's `shoudi serve` starts (none outside serve)."""
    if app.config.get("HEALTH_EXPECT"):   # validated by server/config.py
        return [r for r in app.config["HEALTH_EXPECT"].split(",") if r in EXPECTABLE]
    return list(app.config.get("HEALTH_EXPECTED_ROLES") or [])


def _age(now: datetime, then: datetime | None) -> float | None:
    return round((now - then).total_seconds(), 1) if then is not None else None


def snapshot(app: Flask, *, totals: bool = False) -> dict:
    """Every figure /healthz and /metrics report, read from the database now (raises on an outage).

    `totals` (/metrics): also every version received and done — a scan of the state index (≈ 0.1 s per
    million versions on PostgreSQL); without it only the pending and failed ranges of that index are read.
    """
    from server.heartbeats import alive_by_role
    from server.jobs import JOB_STATES, Job

    config = app.config
    with get_db(app).sessionmaker() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("SET LOCAL statement_timeout = 5000"))   # a monitor never waits long
        now = utcnow()
        counting = select(SubmissionVersion.processing_state, func.count())
        if not totals:
            counting = counting.where(SubmissionVersion.processing_state.in_(("pending", "failed")))
        by_state = dict(session.execute(counting.group_by(SubmissionVersion.processing_state)).all())
        oldest = session.scalar(select(SubmissionVersion.received_at)
                                .where(SubmissionVersion.processing_state == "pending")
                                .order_by(SubmissionVersion.id).limit(1))
        jobs = dict(session.execute(select(Job.state, func.count()).group_by(Job.state)).all())
        oldest_job = session.scalar(select(func.min(Job.created_at)).where(Job.state == "queued"))
        alive = alive_by_role(session, config["HEALTH_STALE_SECONDS"])
        session.rollback()
    expected = expected_roles(app)
    roles = {role: {"alive": alive.get(role, {}).get("alive", 0),
                    "newest_beat_seconds": alive.get(role, {}).get("newest_beat_seconds"),
                    "expected": role in expected}
             for role in sorted({"processor", "drain_helper", "job_worker", "sweeper"} | set(alive))}
    return {
        "submissions": {**({"received": sum(by_state.values()), "done": by_state.get("done", 0)} if totals else {}),
                        "pending": by_state.get("pending", 0), "failed": by_state.get("failed", 0),
                        "oldest_pending_seconds": _age(now, oldest),
                        "limit_seconds": config["HEALTH_PENDING_SECONDS"]},
        "jobs": {**{s: jobs.get(s, 0) for s in JOB_STATES}, "oldest_queued_seconds": _age(now, oldest_job),
                 "limit_seconds": config["HEALTH_JOB_WAIT_SECONDS"]},
        "processes": roles,
    }


def check(app: Flask) -> tuple[dict, int]:
    """(body, status) of /healthz."""
    body: dict = {"status": "ok", "checked_at": utcnow().isoformat(timespec="seconds")}
    problems: list[str] = []
    try:
        body.update(snapshot(app))
        body["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 — an unreachable database is the answer, not an error
        body["database"] = "unreachable"
        body["database_error"] = type(getattr(exc, "orig", None) or exc).__name__
        problems.append("database")
    writable = get_blobs(app).writable()     # local disk or S3 (server/storage.py)
    body["storage"] = "ok" if writable else "read-only"
    if not writable:
        problems.append("storage")
    if body["database"] == "ok":
        for role in expected_roles(app):
            if not body["processes"][role]["alive"]:
                problems.append(role)
        waited = body["submissions"]["oldest_pending_seconds"]
        if waited is not None and waited > app.config["HEALTH_PENDING_SECONDS"]:
            problems.append("pending")
        waited = body["jobs"]["oldest_queued_seconds"]
        if waited is not None and waited > app.config["HEALTH_JOB_WAIT_SECONDS"]:
            problems.append("jobs")
    limits = {"pending": app.config["HEALTH_PENDING_SECONDS"], "jobs": app.config["HEALTH_JOB_WAIT_SECONDS"]}
    body["problems"] = [{"code": code, "message": _MESSAGES[code].format(limit=limits.get(code, 0))}
                        for code in problems]
    if problems:
        body["status"] = "unavailable"
    return body, 503 if problems else 200


@bp.get("/healthz")
def healthz():
    body, status = check(current_app)
    response = jsonify(body)
    response.status_code = status
    response.headers["Cache-Control"] = "no-store"
    return response
