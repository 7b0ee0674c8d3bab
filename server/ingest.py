"""Processing after the 201: an ordered pipeline of steps (server/components.py: PROCESSING_STEPS).

A step is `def step(ctx: StepContext) -> None`; it reads `ctx.xml`, `ctx.parsed`, `ctx.record` and may
write rows through `ctx.session`. All steps of one run share one transaction: either every step's
effects are committed and the version is `done`, or none are and the version is `failed` with the
error recorded (step, exception type, message) and retryable with `shoudi reprocess`.
A failure here never touches the stored submission itself.
"""
from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any, Callable, Iterable

from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from server import plugins
from server.db import begin_write, get_db
from server.models import Form, FormVersion, Project, SubmissionVersion, utcnow
from server.storage import BlobStore, get_blobs

log = logging.getLogger("shoudi.ingest")


class ProcessingError(Exception):
    """A step cannot complete; the message is stored on the submission version."""


@dataclass
class StepContext:
    app: Flask
    session: Session
    blobs: BlobStore
    version: SubmissionVersion
    form: Form
    form_version: FormVersion
    project: Project
    parsed: Any = None                 # forms.ParsedSubmission, set by the parse step
    record: dict | None = None         # household record (docs/household-record.md)
    results: dict = field(default_factory=dict)  # steps may leave outputs for later steps here

    @cached_property
    def xml(self) -> bytes:
        return self.blobs.read(self.version.xml_sha256)


Step = Callable[[StepContext], None]


def step_name(step: Step) -> str:
    return getattr(step, "step_name", None) or f"{step.__module__}.{step.__name__}"


def process_version(app: Flask, version_id: int, *, force: bool = False,
                    steps: Iterable[Step] | None = None) -> str:
    """Run the pipeline on one version; returns its resulting state ('done', 'failed', or 'missing').

    Leading steps marked `pure = True` (no database writes, e.g. parsing) run before the write
    transaction starts, so on SQLite the write lock is held only for the steps that write.
    """
    steps = list(plugins.processing_steps() if steps is None else steps)
    n_pure = next((i for i, step in enumerate(steps) if not getattr(step, "pure", False)), len(steps))
    session = get_db(app).sessionmaker()
    if n_pure == 0:
        begin_write(session)
    try:
        version = session.get(SubmissionVersion, version_id, with_for_update=n_pure == 0)
        if version is None:
            session.rollback()
            return "missing"
        if version.processing_state == "done" and not force:
            session.rollback()
            return "done"
        form = session.get(Form, version.form_id)
        ctx = StepContext(app=app, session=session, blobs=get_blobs(app), version=version, form=form,
                          form_version=session.get(FormVersion, version.form_version_id),
                          project=session.get(Project, form.project_id))
        entries: list[dict] = []
        for i, step in enumerate(steps):
            if i == n_pure and n_pure:
                begin_write(session)  # ends the read transaction; objects stay loaded
                version = session.get(SubmissionVersion, version_id, with_for_update=True, populate_existing=True)
                if version is None or (version.processing_state == "done" and not force):
                    session.rollback()
                    return "done" if version is not None else "missing"  # another processor finished it
                ctx.version = version
            name = step_name(step)
            started = time.perf_counter()
            try:
                with app.app_context():
                    step(ctx)
            except Exception as exc:  # noqa: BLE001 — any failure is recorded, never raised to the client
                session.rollback()
                entries.append({"step": name, "status": "failed", "error": type(exc).__name__,
                                "ms": round((time.perf_counter() - started) * 1000, 1)})
                _record_failure(app, version_id, name, exc, entries)
                return "failed"
            entries.append({"step": name, "status": "ok",
                            "ms": round((time.perf_counter() - started) * 1000, 1)})
        if n_pure == len(steps):
            begin_write(session)
            version = session.get(SubmissionVersion, version_id, with_for_update=True, populate_existing=True)
        version.processing_state = "done"
        version.processing_error = None
        version.processing_attempts = (version.processing_attempts or 0) + 1
        version.processing_log = entries
        version.processed_at = utcnow()
        if ctx.record is not None:
            version.record = ctx.record
        session.commit()
        return "done"
    finally:
        session.close()


def _record_failure(app: Flask, version_id: int, step: str, exc: Exception, entries: list[dict]) -> None:
    # Logs carry the step and exception type only: messages may quote submitted personal data.
    log.warning("processing failed: version=%s step=%s error=%s", version_id, step, type(exc).__name__)
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    with get_db(app).engine.begin() as conn:
        conn.execute(update(SubmissionVersion).where(SubmissionVersion.id == version_id).values(
            processing_state="failed", processing_error=f"{step}: {detail}"[:4000],
            processing_attempts=SubmissionVersion.processing_attempts + 1,
            processing_log=entries, processed_at=utcnow()))


def pending_ids(app: Flask, *, older_than: timedelta | None = None, limit: int = 500) -> list[int]:
    """Versions waiting for processing (e.g. left by a crash), oldest first."""
    query = select(SubmissionVersion.id).where(SubmissionVersion.processing_state == "pending")
    if older_than is not None:
        query = query.where(SubmissionVersion.received_at < utcnow() - older_than)
    with get_db(app).sessionmaker() as session:
        return list(session.scalars(query.order_by(SubmissionVersion.id).limit(limit)))


def failed_ids(app: Flask, limit: int = 100_000) -> list[int]:
    with get_db(app).sessionmaker() as session:
        return list(session.scalars(select(SubmissionVersion.id).where(
            SubmissionVersion.processing_state == "failed").order_by(SubmissionVersion.id).limit(limit)))


def process_pending(app: Flask, *, older_than: timedelta | None = None) -> dict[str, int]:
    """Process every pending version; returns counts by resulting state."""
    counts: dict[str, int] = {}
    while True:
        ids = pending_ids(app, older_than=older_than)
        if not ids:
            return counts
        progressed = False
        for version_id in ids:
            state = process_version(app, version_id)
            counts[state] = counts.get(state, 0) + 1
            progressed = progressed or state != "pending"
        if not progressed:
            return counts


def follow_pending(app: Flask, *, poll_seconds: float = 0.5, keep_going: Callable[[], bool] = lambda: True,
                   older_than: timedelta | None = None) -> None:
    """Process pending versions as they arrive until `keep_going()` is false (the processor loop)."""
    while keep_going():
        counts = process_pending(app, older_than=older_than)
        if counts:
            log.info("processed: %s", counts)
        else:
            time.sleep(poll_seconds)
