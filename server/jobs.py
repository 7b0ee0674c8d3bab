"""Background jobs: a database-backed queue with progress that works on SQLite and PostgreSQL.

``enqueue`` adds a row; ``shoudi worker`` (``run_worker``) claims rows one at a time — an atomic
``UPDATE … WHERE state = 'queued'`` so two workers never run the same job — and calls the handler
registered for the job's kind with a ``JobContext`` that reports progress (committed in its own
transaction, so the API shows it while the job runs). A job whose worker stopped heartbeating is
requeued. Nothing depends on process-local state.
"""
from __future__ import annotations

import importlib
import logging
import os
import socket
import time
import traceback
from datetime import datetime, timedelta
from typing import Callable

import click
from sqlalchemy import CheckConstraint, Index, Integer, String, Text, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from server.models.base import Base, JSONType, UTCDateTime, utcnow

log = logging.getLogger("shoudi.jobs")

JOB_STATES = ("queued", "running", "done", "failed")

# kind -> "module:function"; the function takes (JobContext) and returns a JSON-able result.
HANDLERS = {
    "rescore": "server.register.rescoring:run_job",
    "comparison": "server.register.comparison_import:run_job",
    "export": "server.exporting:run_job",
}

STALE_AFTER = timedelta(minutes=10)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'done', 'failed')", name="state"),
        Index("ix_jobs_state_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    params: Mapped[dict] = mapped_column(JSONType, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="queued")
    region_code: Mapped[str | None] = mapped_column(String(12))   # scope: who may see the job
    created_by: Mapped[int | None] = mapped_column(Integer)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    message: Mapped[str | None] = mapped_column(Text)
    result: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    worker: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "state": self.state, "region_code": self.region_code,
                "done": self.done, "total": self.total, "message": self.message, "result": self.result,
                "error": self.error, "created_at": _iso(self.created_at), "started_at": _iso(self.started_at),
                "finished_at": _iso(self.finished_at),
                "percent": round(100 * self.done / self.total, 1) if self.total else None}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def enqueue(session: Session, kind: str, params: dict, *, region_code: str | None = None,
            created_by: int | None = None) -> Job:
    """Add a job (the caller commits)."""
    if kind not in HANDLERS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, params=params, region_code=region_code, created_by=created_by, state="queued")
    session.add(job)
    session.flush()
    return job


class JobContext:
    """What a handler gets: its job's params, a session factory, and progress reporting."""

    def __init__(self, app, job_id: int, params: dict, sessionmaker) -> None:  # noqa: ANN001
        self.app = app
        self.job_id = job_id
        self.params = params
        self.sessionmaker = sessionmaker
        self._last = 0.0

    def progress(self, done: int, total: int | None = None, message: str | None = None,
                 force: bool = False) -> None:
        """Record progress (at most twice a second unless ``force``); also the heartbeat."""
        now = time.monotonic()
        if not force and now - self._last < 0.5:
            return
        self._last = now
        values = {"done": done, "heartbeat_at": utcnow()}
        if total is not None:
            values["total"] = total
        if message is not None:
            values["message"] = message
        with self.sessionmaker() as session:
            session.execute(update(Job).where(Job.id == self.job_id).values(**values))
            session.commit()


def _handler(kind: str) -> Callable[[JobContext], dict | None]:
    module, _, attr = HANDLERS[kind].partition(":")
    return getattr(importlib.import_module(module), attr)


def requeue_stale(session: Session, now: datetime | None = None) -> int:
    """Put back jobs whose worker stopped heartbeating (crash, kill)."""
    cutoff = (now or utcnow()) - STALE_AFTER
    result = session.execute(update(Job).where(Job.state == "running", Job.heartbeat_at < cutoff)
                             .values(state="queued", worker=None))
    session.commit()
    return result.rowcount or 0


def claim_next(session: Session, worker: str) -> int | None:
    """Atomically take the oldest queued job; returns its id or None."""
    for _ in range(5):
        job_id = session.scalar(select(Job.id).where(Job.state == "queued").order_by(Job.id).limit(1))
        if job_id is None:
            session.rollback()
            return None
        now = utcnow()
        result = session.execute(update(Job).where(Job.id == job_id, Job.state == "queued").values(
            state="running", worker=worker, started_at=now, heartbeat_at=now, attempts=Job.attempts + 1))
        session.commit()
        if result.rowcount == 1:
            return job_id
    return None


def run_job(app, job_id: int, heartbeat=None) -> Job:  # noqa: ANN001
    """Run one claimed job to completion, recording result or error.

    A job cut short by a database outage goes back to the queue (it runs again once the database is
    back) instead of being marked failed; the final state is written with back-off until it is stored.
    `heartbeat` (server/heartbeats.Heartbeat): kept beating, with the job's own heartbeat, while it runs.
    """
    from contextlib import nullcontext

    from server.db import get_db
    from server.resilience import Retry, is_outage

    maker = get_db(app).sessionmaker
    with maker() as session:
        job = session.get(Job, job_id)
        kind, params = job.kind, dict(job.params or {})
    ctx = JobContext(app, job_id, params, maker)

    def touch(session: Session) -> None:
        session.execute(update(Job).where(Job.id == job_id, Job.state == "running").values(heartbeat_at=utcnow()))

    busy = heartbeat.busy(touch) if heartbeat is not None else nullcontext()
    try:
        with busy, app.app_context():
            result = _handler(kind)(ctx)
        values = {"state": "done", "result": result, "error": None}
    except Exception as exc:  # a failing job is recorded, never crashes the worker
        if is_outage(exc):
            log.warning("job %s (%s) interrupted by a database outage; queued again", job_id, kind)
            values = {"state": "queued", "worker": None}
        else:
            log.error("job %s (%s) failed: %s", job_id, kind, type(exc).__name__)
            values = {"state": "failed",
                      "error": f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=5)}"}
    if values["state"] != "queued":
        values["finished_at"] = utcnow()
    retry = Retry(f"job {job_id} result", log, cap=app.config.get("RETRY_MAX_SECONDS", 30.0))
    while True:
        try:
            with maker() as session:
                session.execute(update(Job).where(Job.id == job_id).values(**values))
                session.commit()
                job = session.get(Job, job_id)
            retry.succeeded()
            return job
        except Exception as exc:  # noqa: BLE001
            if not is_outage(exc):
                raise
            time.sleep(retry.failed(exc))


def run_pending(app, worker: str | None = None, limit: int | None = None, heartbeat=None) -> int:  # noqa: ANN001
    """Run queued jobs until none is left (or ``limit``); returns how many ran."""
    from server.db import get_db

    worker = worker or f"{socket.gethostname()}:{os.getpid()}"
    count = 0
    while limit is None or count < limit:
        with get_db(app).sessionmaker() as session:
            requeue_stale(session)
            job_id = claim_next(session, worker)
        if job_id is None:
            return count
        run_job(app, job_id, heartbeat)
        count += 1
        if heartbeat is not None:
            heartbeat.beat(processed=1)
    return count


def run_worker(app, poll_seconds: float = 2.0, once: bool = False,  # noqa: ANN001
               keep_going: Callable[[], bool] = lambda: True) -> None:
    """The worker loop behind ``shoudi worker``: never ends on a database outage or a failing job; it
    retries with back-off (server/resilience.py) and renews its heartbeat row (server/heartbeats.py)."""
    from server.db import get_db
    from server.heartbeats import Heartbeat
    from server.resilience import Retry

    if once:
        run_pending(app)
        return
    retry = Retry("job worker", log, cap=app.config["RETRY_MAX_SECONDS"])
    heartbeat = Heartbeat(get_db(app).sessionmaker, "job_worker", every=app.config["HEARTBEAT_SECONDS"])
    try:
        while keep_going():
            try:
                heartbeat.beat()
                ran = run_pending(app, heartbeat=heartbeat)
                retry.succeeded()
            except Exception as exc:  # noqa: BLE001 — back off and try again, never exit
                time.sleep(retry.failed(exc))
                continue
            if not ran:
                time.sleep(poll_seconds)
    finally:
        heartbeat.remove()


@click.command("worker")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Data directory (default: $SHOUDI_DATA_DIR or ./data).")
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between polls when idle.")
def worker_command(data_dir: str | None, once: bool, poll: float) -> None:
    """Run background jobs (re-scoring, department data comparison)."""
    from server.cli import make_app
    app = make_app(data_dir)
    click.echo("shoudi worker: waiting for jobs" if not once else "shoudi worker: running queued jobs")
    run_worker(app, poll_seconds=poll, once=once)
