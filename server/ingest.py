"""Processing after the 201: an ordered pipeline of steps (server/components.py: PROCESSING_STEPS).

A step is `def step(ctx: StepContext) -> None`; it reads `ctx.xml`, `ctx.parsed`, `ctx.record` and may
write rows through `ctx.session`. All steps of one run share one transaction (on PostgreSQL the
processors' batches: one savepoint per version, one commit per batch): either every step's effects
are committed and the version is `done` (or `held`: a step kept it for staff review, see
server/register/holds.py), or none are and the version is `failed` with the error recorded (step,
exception type, message) and retryable with `shoudi reprocess`.
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
from sqlalchemy.orm import Session, undefer
from sqlalchemy.orm.attributes import set_committed_value

from server import plugins
from server.bulk import update_rows
from server.db import begin_write, get_db
from server.models import SETTLED_STATES, Form, FormVersion, Project, SubmissionVersion, utcnow
from server.resilience import Retry, describe, is_outage
from server.storage import BlobStore, get_blobs
from server.submissions.intake import instance_xml

log = logging.getLogger("shoudi.ingest")


class ProcessingError(Exception):
    """A step cannot complete; the message is stored on the submission version."""


class Settled(Exception):
    """A step found that no (further) processing applies to this version now. The run ends in a clean
    state of its own (`SETTLED_STATES`), never `failed`: what the steps wrote is rolled back, the reason
    is the step's `note` in `processing_log` (`processing_error` stays empty), and `reprocess
    --all-failed` leaves it alone."""

    def __init__(self, state: str, reason: str, apply: Callable[[Session], str | None] | None = None) -> None:
        if state not in SETTLED_STATES:
            raise ValueError(f"not a settled processing state: {state!r}")
        super().__init__(reason)
        self.state = state
        self.reason = reason
        self.apply = apply   # writes that still belong to this version (e.g. a county dataset's entity)

    def run_apply(self, session: Session) -> None:
        """Run `apply` in a savepoint of the recording transaction; its note joins the reason. A
        failure there is noted, never raised: the version is still settled."""
        if self.apply is None:
            return
        savepoint = session.begin_nested()
        try:
            note = self.apply(session)
            savepoint.commit()
        except Exception as exc:  # noqa: BLE001 — noted on the version
            savepoint.rollback()
            note = f"{type(exc).__name__} while applying"
            log.warning("settled step's writes failed: %s", type(exc).__name__)
        if note:
            self.reason = f"{self.reason}; {note}"


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
    outcome: str = "done"              # a step may hold the version for staff review instead ("held")
    # Writes a pure step leaves for the writing transaction (run just before the version is marked
    # done, in its transaction or savepoint): e.g. the decrypted photos of an encrypted instance.
    deferred: list = field(default_factory=list)

    def run_deferred(self) -> None:
        for write in self.deferred:
            write(self.session)
        self.deferred.clear()

    @cached_property
    def xml(self) -> bytes:
        return instance_xml(self.version, self.blobs)


Step = Callable[[StepContext], None]


def step_name(step: Step) -> str:
    return getattr(step, "step_name", None) or f"{step.__module__}.{step.__name__}"


def _steps(steps: Iterable[Step] | None) -> list[Step]:
    return list(plugins.processing_steps() if steps is None else steps)


def _skip_locked(session: Session) -> bool:
    """PostgreSQL (and any database but SQLite) claims rows with FOR UPDATE SKIP LOCKED."""
    return session.get_bind().dialect.name != "sqlite"


def process_version(app: Flask, version_id: int, *, force: bool = False,
                    steps: Iterable[Step] | None = None) -> str:
    """Run the pipeline on one version; returns its resulting state ('done', 'failed', a settled state
    such as 'not_applicable' or 'encrypted', 'missing', or 'busy' when another processor holds it now).

    PostgreSQL: the version row is locked (FOR UPDATE SKIP LOCKED) before any step, so two processors
    never run the same version. SQLite (one writer): leading steps marked `pure = True` (no database
    writes, e.g. parsing) run before the write lock, so it is held only for the steps that write; the
    state is checked again under the lock.
    """
    return _process(app, version_id, _steps(steps), force=force, found_done="done")


def _process(app: Flask, version_id: int, steps: list[Step], *, force: bool, found_done: str) -> str:
    """process_version; `found_done`: the state returned for a version already done (by another run)."""
    session = get_db(app).sessionmaker()
    try:
        if _skip_locked(session):
            version = session.get(SubmissionVersion, version_id, with_for_update={"skip_locked": True},
                                  options=_WITH_XML)
            if version is None:
                exists = session.scalar(select(SubmissionVersion.id).where(SubmissionVersion.id == version_id))
                session.rollback()
                return "missing" if exists is None else "busy"
            return _run(app, session, version, steps, force=force, locked=True, found_done=found_done)
        n_pure = _n_pure(steps)
        if n_pure == 0:
            begin_write(session)
        version = session.get(SubmissionVersion, version_id, with_for_update=n_pure == 0, options=_WITH_XML)
        if version is None:
            session.rollback()
            return "missing"
        return _run(app, session, version, steps, force=force, locked=n_pure == 0, found_done=found_done)
    finally:
        session.close()


_WITH_XML = (undefer(SubmissionVersion.xml),)  # the parse step reads it: loaded with the claimed row

BATCH = 8  # versions claimed per transaction: one commit (one WAL fsync) for all of them
MAX_BATCH = 32  # while claims come back full (a backlog), each claims twice as many, up to this
BATCH_CACHE = "shoudi.batch_cache"  # session.info key: a dict valid for one claimed batch (one transaction)


def claim_batch(app: Flask, *, older_than: timedelta | None = None, steps: Iterable[Step] | None = None,
                size: int | None = None) -> dict[str, int]:
    """PostgreSQL: lock up to `size` of the oldest pending versions no other processor holds (FOR UPDATE
    SKIP LOCKED), run the pipeline on them (`run_batch`) and commit them together. Returns counts by
    state."""
    steps = _steps(steps)
    session = get_db(app).sessionmaker()
    try:
        query = (select(SubmissionVersion).options(*_WITH_XML)
                 .where(SubmissionVersion.processing_state == "pending"))
        if older_than is not None:
            query = query.where(SubmissionVersion.received_at < utcnow() - older_than)
        versions = list(session.scalars(query.order_by(SubmissionVersion.id).limit(size or BATCH)
                                        .with_for_update(skip_locked=True)))
        counts = run_batch(app, session, versions, steps)
        session.commit()
        return counts
    finally:
        session.close()


def run_batch(app: Flask, session: Session, versions: list[SubmissionVersion], steps: list[Step], *,
              batch_writer: bool = True) -> dict[str, int]:
    """Run the pipeline on claimed versions in the caller's transaction (the caller commits).

    The leading pure steps (parsing) run first for every version. Then, when the last step offers a
    `batch_writer` for exactly the remaining steps (the register's: score + register), it writes the
    versions it covers (new households) together with a few multi-row statements, inside one savepoint:
    if it raises, that savepoint is rolled back and every version takes the step-by-step path. Each
    other version runs the remaining steps in its own savepoint: a failing one is rolled back to it and
    recorded as failed, one that lost a lock race (deadlock on a household another batch holds) stays
    pending for the next claim. Returns counts by state.
    """
    counts: dict[str, int] = {}
    session.info[BATCH_CACHE] = {}   # e.g. the policy layers, read once per batch
    try:
        blobs = get_blobs(app)
        n_pure = _n_pure(steps)
        ready: list[tuple[StepContext, list[dict]]] = []
        owners: dict[tuple[int, int], tuple] = {}   # (form, form version) → (form, version, project)
        for version in versions:
            ctx = _context(app, session, blobs, version, owners)
            entries: list[dict] = []
            ended = _run_pure(app, session, ctx, steps[:n_pure], entries)
            if ended is None:
                ready.append((ctx, entries))
            else:
                counts[ended] = counts.get(ended, 0) + 1
        writer = getattr(steps[-1], "batch_writer", None) if steps and batch_writer else None
        if writer is not None and tuple(step_name(s) for s in steps[n_pure:]) != tuple(writer.step_names):
            writer = None
        written: dict[int, list[dict]] = {}
        if writer is not None and ready:
            savepoint = session.begin_nested()
            try:
                with app.app_context():
                    written = writer(session, [ctx for ctx, _ in ready])
                savepoint.commit()
            except Exception as exc:  # noqa: BLE001 — the step-by-step path runs them (and records failures)
                savepoint.rollback()
                written = {}
                log.info("batch writer fell back to the step-by-step path: %s", type(exc).__name__)
        if written:
            _mark_done(session, [(ctx, entries + written[ctx.version.id]) for ctx, entries in ready
                                 if ctx.version.id in written])
            counts["done"] = counts.get("done", 0) + len(written)
        for ctx, entries in ready:
            if ctx.version.id not in written:
                state = _run_in_savepoint(app, session, ctx, steps[n_pure:], entries)
                counts[state] = counts.get(state, 0) + 1
        return counts
    finally:
        session.info.pop(BATCH_CACHE, None)


def _context(app: Flask, session: Session, blobs: BlobStore, version: SubmissionVersion,
             owners: dict[tuple[int, int], tuple]) -> StepContext:
    """`owners`: the batch's forms, form versions and projects, looked up once per batch."""
    key = (version.form_id, version.form_version_id)
    found = owners.get(key)
    if found is None:
        form = session.get(Form, version.form_id)
        found = owners[key] = (form, session.get(FormVersion, version.form_version_id),
                               session.get(Project, form.project_id))
    form, form_version, project = found
    return StepContext(app=app, session=session, blobs=blobs, version=version, form=form,
                       form_version=form_version, project=project)


def _run_pure(app: Flask, session: Session, ctx: StepContext, steps: list[Step],
              entries: list[dict]) -> str | None:
    """The leading pure steps of one version (no database writes); None when they all ran, else the
    state the version was left in (recorded): `failed`, or a settled state."""
    for step in steps:
        name = step_name(step)
        started = time.perf_counter()
        try:
            with app.app_context():
                step(ctx)
        except Settled as settled:
            settled.run_apply(session)
            _settle(session.get(SubmissionVersion, ctx.version.id), name, settled, entries, started)
            session.flush()
            return settled.state
        except Exception as exc:  # noqa: BLE001 — recorded on the version, never raised
            _fail_in_batch(session, ctx.version.id, name, exc, entries, started)
            return "failed"
        entries.append({"step": name, "status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)})
    return None


def _settle(version: SubmissionVersion, name: str, settled: Settled, entries: list[dict], started: float) -> None:
    """Record a settled end of processing on the (loaded) version; the caller flushes or commits."""
    entries.append({"step": name, "status": settled.state, "note": settled.reason[:500],
                    "ms": round((time.perf_counter() - started) * 1000, 1)})
    log.info("processing settled: version=%s step=%s state=%s", version.id, name, settled.state)
    version.processing_state = settled.state
    version.processing_error = None
    version.processing_attempts = (version.processing_attempts or 0) + 1
    version.processing_log = entries
    version.processed_at = utcnow()


def _fail_in_batch(session: Session, version_id: int, name: str, exc: Exception, entries: list[dict],
                   started: float) -> None:
    entries.append({"step": name, "status": "failed", "error": type(exc).__name__,
                    "ms": round((time.perf_counter() - started) * 1000, 1)})
    log.warning("processing failed: version=%s step=%s error=%s", version_id, name, type(exc).__name__)
    detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
    version = session.get(SubmissionVersion, version_id)
    version.processing_state = "failed"
    version.processing_error = f"{name}: {detail}"[:4000]
    version.processing_attempts = (version.processing_attempts or 0) + 1
    version.processing_log = entries
    version.processed_at = utcnow()
    session.flush()


def _mark_done(session: Session, done: list[tuple[StepContext, list[dict]]]) -> None:
    """The versions a batch writer wrote: state done, in one executemany UPDATE (the loaded objects are
    kept in step without another flush)."""
    table = SubmissionVersion.__table__
    now = utcnow()
    rows = []
    for ctx, _entries in done:
        ctx.run_deferred()
    for ctx, entries in done:
        version = ctx.version
        values = {"processing_state": "done", "processing_error": None,
                  "processing_attempts": (version.processing_attempts or 0) + 1, "processing_log": entries,
                  "processed_at": now}
        if ctx.record is not None:
            values["record"] = ctx.record
        else:
            values["record"] = version.record
        rows.append({"id": version.id, **values})
        for key, value in values.items():
            set_committed_value(version, key, value)
    update_rows(session.connection(), table, rows)


def _run_in_savepoint(app: Flask, session: Session, ctx: StepContext, steps: list[Step],
                      entries: list[dict]) -> str:
    from sqlalchemy.exc import DBAPIError
    version = ctx.version
    version_id = version.id
    savepoint = session.begin_nested()
    for step in steps:
        name = step_name(step)
        started = time.perf_counter()
        try:
            with app.app_context():
                step(ctx)
            session.flush()
        except Settled as settled:
            savepoint.rollback()
            settled.run_apply(session)
            _settle(session.get(SubmissionVersion, version_id), name, settled, entries, started)
            session.flush()
            return settled.state
        except Exception as exc:  # noqa: BLE001 — recorded on the version, never raised
            if is_outage(exc):
                raise   # the database went away: the version stays pending, the loop retries
            savepoint.rollback()
            if isinstance(exc, DBAPIError) and type(exc.orig).__name__ in ("DeadlockDetected", "LockNotAvailable"):
                log.info("processing deferred: version=%s step=%s lost a lock race", version_id, name)
                return "deferred"
            _fail_in_batch(session, version_id, name, exc, entries, started)
            return "failed"
        entries.append({"step": name, "status": "ok", "ms": round((time.perf_counter() - started) * 1000, 1)})
    ctx.run_deferred()
    version.processing_state = ctx.outcome
    version.processing_error = None
    version.processing_attempts = (version.processing_attempts or 0) + 1
    version.processing_log = entries
    version.processed_at = utcnow()
    if ctx.record is not None:
        version.record = ctx.record
    savepoint.commit()
    return ctx.outcome


# States a run leaves for good: done, held for review (a reviewer decides) and rejected by a reviewer.
SETTLED = ("done", "held", "rejected")


def _n_pure(steps: list[Step]) -> int:
    return next((i for i, step in enumerate(steps) if not getattr(step, "pure", False)), len(steps))


def _run(app: Flask, session: Session, version: SubmissionVersion, steps: list[Step], *, force: bool,
         locked: bool, found_done: str = "done") -> str:
    """The steps in one transaction; `locked`: the version row is already locked for writing."""
    version_id = version.id
    if version.processing_state in SETTLED and not force:
        session.rollback()
        return version.processing_state if found_done == "done" else found_done
    n_pure = 0 if locked else _n_pure(steps)
    form = session.get(Form, version.form_id)
    ctx = StepContext(app=app, session=session, blobs=get_blobs(app), version=version, form=form,
                      form_version=session.get(FormVersion, version.form_version_id),
                      project=session.get(Project, form.project_id))
    entries: list[dict] = []
    for i, step in enumerate(steps):
        if i == n_pure and n_pure:
            begin_write(session)  # ends the read transaction; objects stay loaded
            version = session.get(SubmissionVersion, version_id, with_for_update=True, populate_existing=True)
            if version is None or (version.processing_state in SETTLED and not force):
                session.rollback()
                return found_done if version is not None else "missing"  # another processor finished it
            ctx.version = version
        name = step_name(step)
        started = time.perf_counter()
        try:
            with app.app_context():
                step(ctx)
        except Settled as settled:
            session.rollback()
            return _record_settled(app, session, version_id, name, settled, entries, started)
        except Exception as exc:  # noqa: BLE001 — any failure is recorded, never raised to the client
            if is_outage(exc):
                raise   # the database went away: the version stays pending, the caller retries
            session.rollback()
            entries.append({"step": name, "status": "failed", "error": type(exc).__name__,
                            "ms": round((time.perf_counter() - started) * 1000, 1)})
            _record_failure(app, version_id, name, exc, entries)
            return "failed"
        entries.append({"step": name, "status": "ok",
                        "ms": round((time.perf_counter() - started) * 1000, 1)})
    if not locked and n_pure == len(steps):
        begin_write(session)
        version = session.get(SubmissionVersion, version_id, with_for_update=True, populate_existing=True)
        if version is None or (version.processing_state in SETTLED and not force):
            session.rollback()
            return found_done if version is not None else "missing"
    ctx.version = version
    ctx.run_deferred()
    version.processing_state = ctx.outcome
    version.processing_error = None
    version.processing_attempts = (version.processing_attempts or 0) + 1
    version.processing_log = entries
    version.processed_at = utcnow()
    if ctx.record is not None:
        version.record = ctx.record
    session.commit()
    return ctx.outcome


def _record_settled(app: Flask, session: Session, version_id: int, name: str, settled: Settled,
                    entries: list[dict], started: float) -> str:
    """`_run`'s settled end, in a write transaction of its own (the steps' writes are rolled back)."""
    begin_write(session)
    version = session.get(SubmissionVersion, version_id, with_for_update=True, populate_existing=True)
    if version is None:
        session.rollback()
        return "missing"
    settled.run_apply(session)
    _settle(version, name, settled, entries, started)
    session.commit()
    return settled.state


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


def process_pending(app: Flask, *, older_than: timedelta | None = None,
                    steps: Iterable[Step] | None = None,
                    claim_while: Callable[[], bool] | None = None,
                    tick: Callable[[], object] | None = None) -> dict[str, int]:
    """Process every pending version; returns counts by resulting state.

    Several processors may run this at once: on PostgreSQL each claims versions with FOR UPDATE SKIP
    LOCKED, a batch per transaction (BATCH versions, doubling up to MAX_BATCH while claims come back
    full), and `claim_while()`, when given, is asked before each claim; on SQLite the write lock
    serializes them and a version found `done` under the lock is not run again. `tick()`, when given, is
    called before each claim (each version on SQLite): a long backlog keeps the caller's heartbeat fresh.
    """
    counts: dict[str, int] = {}
    steps = _steps(steps)
    with get_db(app).sessionmaker() as session:
        claiming = _skip_locked(session)
    if claiming:
        size = BATCH
        while (tick is None or tick() or True) and (claim_while is None or claim_while()) and \
                (batch := claim_batch(app, older_than=older_than, steps=steps, size=size)):
            for state, n in batch.items():
                counts[state] = counts.get(state, 0) + n
            if set(batch) == {"deferred"}:
                time.sleep(0.05)  # only lock races: let the other processor commit first
            # a full claim means a backlog: larger batches spread each statement over more versions
            size = min(size * 2, MAX_BATCH) if sum(batch.values()) >= size else BATCH
        return counts
    while True:
        ids = pending_ids(app, older_than=older_than)
        if not ids:
            return counts
        progressed = False
        for version_id in ids:
            if tick is not None:
                tick()
            state = _process(app, version_id, steps, force=False, found_done="skipped")
            if state != "skipped":     # "skipped": another processor did it meanwhile
                counts[state] = counts.get(state, 0) + 1
            progressed = progressed or state in ("done", "failed", *SETTLED_STATES)
        if not progressed:
            return counts


def warm_up(steps: Iterable[Step] | None = None) -> None:
    """Import what the steps import lazily (a step's `warm_up()`), so a processor pays it at start."""
    for step in _steps(steps):
        getattr(step, "warm_up", lambda: None)()


def follow_pending(app: Flask, *, poll_seconds: float = 0.5, keep_going: Callable[[], bool] = lambda: True,
                   older_than: timedelta | None = None, when_quiet: float | None = None) -> None:
    """Process pending versions as they arrive until `keep_going()` is false (the processor loop).

    `when_quiet` (seconds; PostgreSQL): a drain helper. It claims batches only while a backlog is
    waiting and no submission has arrived for that long, i.e. after a burst of uploads, so it never
    takes CPU from the acknowledgements while uploads come in; the main processor, working meanwhile,
    and the helper then clear the backlog on both cores.

    Faults never end the loop: a database outage is retried with back-off (server/resilience.py), and
    an error outside the steps (a version the batch cannot even load) makes the next pass run the oldest
    pending versions one by one, recording the one that fails as `failed` (`isolate_failures`).
    The loop renews its heartbeat row (server/heartbeats.py) every HEARTBEAT_SECONDS.
    """
    from server.heartbeats import Heartbeat

    warm_up()
    role = "processor" if when_quiet is None else "drain_helper"
    retry = Retry(role, log, cap=app.config["RETRY_MAX_SECONDS"])
    heartbeat = Heartbeat(get_db(app).sessionmaker, role, every=app.config["HEARTBEAT_SECONDS"])
    isolate = False
    swept = 0.0
    try:
        while keep_going():
            try:
                heartbeat.beat()
                if time.monotonic() - swept > SWEEP_SECONDS:   # expired key unlocks (server/encryption.py)
                    swept = time.monotonic()
                    _sweep_unlocks(app)
                if isolate:
                    counts = isolate_failures(app)
                    isolate = False
                elif when_quiet is not None:
                    counts = _drain_while_quiet(app, when_quiet, keep_going, tick=heartbeat.beat)
                else:
                    counts = process_pending(app, older_than=older_than, tick=heartbeat.beat)
                heartbeat.beat(processed=counts.get("done", 0) + counts.get("failed", 0))
                retry.succeeded()
            except Exception as exc:  # noqa: BLE001 — never leave the loop: back off and try again
                isolate = not is_outage(exc)
                time.sleep(retry.failed(exc))
                continue
            if counts:
                log.info("processed: %s", counts)
            else:
                time.sleep(poll_seconds if when_quiet is None else min(poll_seconds, when_quiet))
    finally:
        heartbeat.remove()


def isolate_failures(app: Flask, *, steps: Iterable[Step] | None = None, limit: int = MAX_BATCH) -> dict[str, int]:
    """After a batch failed outside its steps: run the oldest pending versions one at a time; a version
    whose run raises anything but an outage is recorded `failed` (retry with `shoudi reprocess`), so one
    bad record never holds up the others."""
    counts: dict[str, int] = {}
    steps = _steps(steps)
    for version_id in pending_ids(app, limit=limit):
        try:
            state = _process(app, version_id, steps, force=False, found_done="skipped")
        except Exception as exc:  # noqa: BLE001
            if is_outage(exc):
                raise
            log.warning("processing failed outside its steps: version=%s %s", version_id, describe(exc))
            _record_failure(app, version_id, "processing", exc, [])
            state = "failed"
        counts[state] = counts.get(state, 0) + 1
    return counts


SWEEP_SECONDS = 60


def _sweep_unlocks(app: Flask) -> None:
    """Delete project keys whose unlock window has passed (server/encryption.py): they are never used
    after it, and are not kept either."""
    from server.encryption import sweep_expired
    try:
        with get_db(app).sessionmaker() as session:
            begin_write(session)
            if sweep_expired(session):
                log.info("expired key unlocks removed")
            session.commit()
    except Exception:  # noqa: BLE001 — retried at the next sweep
        log.exception("sweeping expired key unlocks failed")


_NEWEST_PENDING = select(SubmissionVersion.received_at).where(
    SubmissionVersion.processing_state == "pending").order_by(SubmissionVersion.id.desc()).limit(1)


def backlog_is_quiet(app: Flask, seconds: float) -> bool:
    """Versions are pending and none of them arrived in the last `seconds` (uploads have paused)."""
    with get_db(app).sessionmaker() as session:
        newest = session.scalar(_NEWEST_PENDING)
    return newest is not None and newest < utcnow() - timedelta(seconds=seconds)


def _drain_while_quiet(app: Flask, seconds: float, keep_going: Callable[[], bool],
                       tick: Callable[[], object] | None = None) -> dict[str, int]:
    """The drain helper's turn: claim batches (as `process_pending` does) while the backlog is quiet."""
    with get_db(app).sessionmaker() as session:
        if not _skip_locked(session):
            return {}   # SQLite: one writer at a time, a helper cannot help
    return process_pending(app, claim_while=lambda: keep_going() and backlog_is_quiet(app, seconds), tick=tick)
