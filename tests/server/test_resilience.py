"""Background loops survive faults: the processor loop and the job worker loop retry a database outage
with back-off (logged once when it starts, once when it ends), and a record that breaks processing
outside its steps is marked failed while the others go on."""
from __future__ import annotations

import logging

import psycopg
import pytest
from sqlalchemy import exc as sa_exc
from sqlalchemy import select

from server import ingest, jobs
from server.models import SubmissionVersion
from server.resilience import Retry, describe, is_outage
from tests.server.helpers import JPEG, instance_xml, multipart


def outage() -> sa_exc.OperationalError:
    """What SQLAlchemy raises when PostgreSQL refuses connections (the server is down)."""
    return sa_exc.OperationalError("SELECT 1", {}, psycopg.OperationalError("connection refused"))


def ok_step(ctx) -> None:  # noqa: ANN001
    ctx.record = {"instance_id": ctx.version.instance_id}


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def logged():
    """Records of the `shoudi` loggers (they do not propagate to the root logger once configured)."""
    logger = logging.getLogger("shoudi")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler
    logger.removeHandler(handler)
    logger.setLevel(level)


@pytest.fixture
def no_sleep(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(ingest.time, "sleep", slept.append)
    return slept


def _submit(collect, world, n: int) -> list[str]:  # noqa: ANN001
    iids = [f"uuid:f0f0f0f0-1111-4111-8111-1111111111{i:02d}" for i in range(n)]
    for iid in iids:
        r = collect.post(f"/v1/projects/{world.project.id}/submission",
                         data=multipart(instance_xml(iid), {"photo.jpg": JPEG}))
        assert r.status_code == 201
    return iids


def _states(db_session, iids: list[str]) -> dict[str, str]:
    db_session.rollback()
    return {v.instance_id: v.processing_state for v in db_session.scalars(
        select(SubmissionVersion).where(SubmissionVersion.instance_id.in_(iids)))}


def _passes(n: int):  # noqa: ANN202
    """keep_going for `n` passes of a loop."""
    left = [n]

    def keep_going() -> bool:
        left[0] -= 1
        return left[0] >= 0
    return keep_going


def test_outages_and_bad_records_are_told_apart() -> None:
    assert is_outage(outage())
    assert is_outage(sa_exc.OperationalError("x", {}, psycopg.errors.AdminShutdown("terminating connection")))
    invalidated = sa_exc.DBAPIError("x", {}, Exception("closed"), connection_invalidated=True)
    assert is_outage(invalidated)
    assert not is_outage(sa_exc.IntegrityError("x", {}, psycopg.errors.UniqueViolation("duplicate key")))
    assert not is_outage(sa_exc.DataError("x", {}, psycopg.errors.StringDataRightTruncation("too long")))
    assert not is_outage(sa_exc.OperationalError("x", {}, psycopg.errors.DeadlockDetected("deadlock")))
    assert not is_outage(KeyError("no such form"))


def test_a_log_line_names_the_error_never_its_values() -> None:
    try:
        raise sa_exc.IntegrityError("INSERT", {}, psycopg.errors.UniqueViolation(
            "Key (id_number)=(150121199001011234) already exists"))
    except sa_exc.IntegrityError as error:
        text = describe(error)
    assert "UniqueViolation" in text and "test_resilience.py" in text
    assert "150121199001011234" not in text


def test_back_off_doubles_up_to_the_cap_and_an_outage_is_logged_once(logged) -> None:
    retry = Retry("processor", logging.getLogger("shoudi.test"), cap=4)
    delays = [retry.failed(outage()) for _ in range(6)]
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    retry.succeeded()
    assert retry.failed(outage()) == 0.5            # a new outage starts again from the bottom
    lines = [r.getMessage() for r in logged.records if r.name == "shoudi.test"]
    assert [line.split(":")[1].strip().split(" (")[0] for line in lines] == [
        "database unavailable", "database reachable again after 0.0 s", "database unavailable"]


def test_the_processor_loop_outlives_a_database_outage(app, collect, world, db_session, monkeypatch, logged,
                                                       no_sleep):
    app.config["PROCESS_INLINE"] = False
    iids = _submit(collect, world, 3)
    monkeypatch.setattr(ingest.plugins, "processing_steps", lambda: [ok_step])
    real = ingest.process_pending
    calls = [0]

    def flaky(app, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls[0] += 1
        if calls[0] <= 3:              # the database is down for three passes
            raise outage()
        return real(app, **kwargs)
    monkeypatch.setattr(ingest, "process_pending", flaky)
    ingest.follow_pending(app, keep_going=_passes(6))    # returns: it never raised out of the loop
    assert _states(db_session, iids) == {iid: "done" for iid in iids}
    assert no_sleep[:3] == [0.5, 1.0, 2.0]                # back-off while down
    messages = [r.getMessage() for r in logged.records if r.name == "shoudi.ingest"]
    assert sum("database unavailable" in m for m in messages) == 1
    assert sum("database reachable again" in m for m in messages) == 1
    assert not any("1111111111" in m for m in messages)   # no instance data in the log


def test_a_version_that_breaks_outside_its_steps_is_failed_and_the_others_go_on(app, collect, world, db_session,
                                                                                monkeypatch, no_sleep):
    app.config["PROCESS_INLINE"] = False
    iids = _submit(collect, world, 4)
    monkeypatch.setattr(ingest.plugins, "processing_steps", lambda: [ok_step])
    db_session.rollback()
    bad = db_session.scalars(select(SubmissionVersion.id).where(SubmissionVersion.instance_id == iids[1])).one()
    real_context, real_run = ingest._context, ingest._run

    def context(app, session, blobs, version, owners):  # noqa: ANN001, ANN202 — the claiming path (PostgreSQL)
        if version.id == bad:
            raise KeyError("form vanished")
        return real_context(app, session, blobs, version, owners)

    def run(app, session, version, steps, **kwargs):  # noqa: ANN001, ANN003, ANN202 — one by one (SQLite)
        if version.id == bad:
            raise KeyError("form vanished")
        return real_run(app, session, version, steps, **kwargs)
    monkeypatch.setattr(ingest, "_context", context)
    monkeypatch.setattr(ingest, "_run", run)
    ingest.follow_pending(app, keep_going=_passes(4))
    states = _states(db_session, iids)
    assert states.pop(iids[1]) == "failed"
    assert states == {iid: "done" for iid in iids if iid != iids[1]}
    version = db_session.get(SubmissionVersion, bad)
    assert version.processing_error.startswith("processing: KeyError")


def test_the_processor_loop_keeps_its_heartbeat(app, monkeypatch, no_sleep):
    from server.heartbeats import ProcessHeartbeat
    from server.db import get_db
    seen: list = []
    real = ingest.process_pending

    def spy(app, **kwargs):  # noqa: ANN001, ANN003, ANN202
        with get_db(app).sessionmaker() as session:
            seen.extend(session.scalars(select(ProcessHeartbeat.role)))
        return real(app, **kwargs)
    monkeypatch.setattr(ingest, "process_pending", spy)
    ingest.follow_pending(app, keep_going=_passes(2))
    assert seen and set(seen) == {"processor"}
    with get_db(app).sessionmaker() as session:      # removed when the loop ends cleanly
        assert session.scalars(select(ProcessHeartbeat)).all() == []


RAN: list[int] = []


def fine_job(ctx) -> dict:  # noqa: ANN001
    RAN.append(ctx.job_id)
    return {"ok": True}


def outage_job(ctx) -> dict:  # noqa: ANN001
    raise outage()


def test_the_job_worker_outlives_an_outage_and_requeues_a_job_it_cut_short(app, db_session, monkeypatch):
    monkeypatch.setitem(jobs.HANDLERS, "fine", "tests.server.test_resilience:fine_job")
    monkeypatch.setitem(jobs.HANDLERS, "outage", "tests.server.test_resilience:outage_job")
    monkeypatch.setattr(jobs.time, "sleep", lambda s: None)
    fine = jobs.enqueue(db_session, "fine", {}).id
    db_session.commit()
    real = jobs.run_pending
    calls = [0]

    def flaky(app, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls[0] += 1
        if calls[0] <= 2:
            raise outage()
        return real(app, **kwargs)
    monkeypatch.setattr(jobs, "run_pending", flaky)
    RAN.clear()
    jobs.run_worker(app, keep_going=_passes(4))
    assert RAN == [fine]
    db_session.rollback()
    assert db_session.get(jobs.Job, fine).state == "done"

    cut = jobs.enqueue(db_session, "outage", {}).id
    db_session.commit()
    with app.app_context():
        jobs.run_job(app, jobs.claim_next(db_session, "w1"))
    db_session.rollback()
    job = db_session.get(jobs.Job, cut)
    assert (job.state, job.worker, job.error) == ("queued", None, None)   # runs again, not failed


def _wait_for(predicate, timeout: float = 10.0) -> bool:  # noqa: ANN001
    import time
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize("processors", [0, 1])
def test_web_workers_sweep_versions_left_pending(app, collect, world, db_session, monkeypatch, processors):
    """The sweep of `shoudi serve`'s web workers: versions pending for over a minute are processed —
    with PROCESSORS > 0 only while no processor has a live heartbeat (the safety net behind them)."""
    import threading
    from datetime import timedelta

    from sqlalchemy import update

    from server import serve
    from server.db import get_db
    from server.heartbeats import Heartbeat, ProcessHeartbeat
    from server.models import utcnow

    app.config.update(PROCESS_INLINE=False, HEARTBEAT_SECONDS=0.05)
    old, fresh = _submit(collect, world, 2)
    db_session.execute(update(SubmissionVersion).where(SubmissionVersion.instance_id == old)
                       .values(received_at=utcnow() - timedelta(minutes=2)))
    db_session.commit()
    monkeypatch.setattr(ingest.plugins, "processing_steps", lambda: [ok_step])
    processor = Heartbeat(get_db(app).sessionmaker, "processor")
    processor.beat(force=True)                      # a processor of some node is alive
    stop = threading.Event()
    sweeper = threading.Thread(target=serve.sweep_pending, args=(app, processors, stop, 0.0))
    sweeper.start()
    try:
        if processors:
            assert not _wait_for(lambda: _states(db_session, [old])[old] != "pending", timeout=1.0)
            with get_db(app).sessionmaker() as session:      # …then its heartbeat goes stale
                session.execute(update(ProcessHeartbeat).where(ProcessHeartbeat.role == "processor")
                                .values(beat_at=utcnow() - timedelta(minutes=5)))
                session.commit()
        assert _wait_for(lambda: _states(db_session, [old])[old] == "done")
        assert _states(db_session, [fresh])[fresh] == "pending"     # not a minute old yet: not swept
    finally:
        stop.set()
        sweeper.join(10)
    assert not sweeper.is_alive()


def test_a_long_backlog_keeps_the_processor_heartbeat_fresh(app, collect, world, db_session, monkeypatch, no_sleep):
    """One pass over a big backlog may take minutes: the heartbeat is renewed between claims (between
    versions on SQLite), or /healthz would call a busy processor dead."""
    from server.heartbeats import Heartbeat
    app.config.update(PROCESS_INLINE=False, HEARTBEAT_SECONDS=0)
    iids = _submit(collect, world, 8)
    monkeypatch.setattr(ingest.plugins, "processing_steps", lambda: [ok_step])
    monkeypatch.setattr(ingest, "BATCH", 2)
    monkeypatch.setattr(ingest, "MAX_BATCH", 2)
    written: list[str] = []
    real = Heartbeat.beat

    def beat(self, **kwargs):  # noqa: ANN001, ANN003, ANN202
        if real(self, **kwargs):
            written.append(_states(db_session, iids[-1:])[iids[-1]])
        return True
    monkeypatch.setattr(Heartbeat, "beat", beat)
    ingest.follow_pending(app, keep_going=_passes(1))
    assert _states(db_session, iids) == {iid: "done" for iid in iids}
    # beats while the backlog was still being worked on, not only before and after the pass
    assert written.count("pending") >= 4, written
