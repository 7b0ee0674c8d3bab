"""`shoudi serve` supervises the processes it starts: a child that exits is restarted after a back-off
(1 s, doubling while it keeps dying young, capped), with one log line per exit and per restart, until
RESTART_LIMIT restarts within 10 minutes; nothing is restarted once the server is shutting down.
Partial uploads a crash left in blobs/tmp are removed at start."""
from __future__ import annotations

import logging
import os
import sys
import time

import pytest

from server import serve
from server.serve import Child, Supervisor

DIES = [sys.executable, "-c", "import sys; sys.exit(3)"]
LIVES = [sys.executable, "-c", "import time; time.sleep(60)"]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def lines():
    logger = logging.getLogger("shoudi.serve")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield handler.lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def _exit_seen(supervisor: Supervisor, child: Child, now: float) -> float:
    """Let the child die, then run the passes that notice it (at `now`, returned) and act on it."""
    child.proc.wait(timeout=30)
    supervisor.check(now)
    supervisor.check(now + serve.SETTLE_SECONDS)
    return now


def _spawned(supervisor: Supervisor) -> None:
    for child in supervisor.children:
        child.spawn()


def test_a_dying_child_is_restarted_with_back_off_until_the_limit(lines):
    dying, steady = Child("processor", DIES), Child("job worker", LIVES)
    supervisor = Supervisor([dying, steady], limit=3)
    _spawned(supervisor)
    try:
        now = time.monotonic()
        delays = []
        pids = {dying.proc.pid}
        for _ in range(3):
            now = _exit_seen(supervisor, dying, now)
            delays.append(round(dying.due - now, 1))
            supervisor.check(dying.due - 0.01)          # not yet
            assert dying.due is not None
            now = dying.due
            supervisor.check(now)                       # restarted
            assert dying.due is None
            pids.add(dying.proc.pid)
        assert delays == [1.0, 2.0, 4.0] and len(pids) == 4
        _exit_seen(supervisor, dying, now)
        assert dying.given_up and dying.due is None
        assert steady.proc.poll() is None and steady.restarts == []   # the other child is left alone
    finally:
        supervisor.stop(timeout=5)
    assert steady.proc.poll() is not None                        # stop() ends every child
    exits = [line for line in lines if line.startswith("processor (pid")]
    assert len(exits) == 4 and all("exit status 3" in line for line in exits)
    assert [line.split(";")[1].strip() for line in exits[:3]] == ["restarting in 1 s", "restarting in 2 s",
                                                                 "restarting in 4 s"]
    assert "not restarted: 3 restarts within 10 min (RESTART_LIMIT)" in exits[3]
    assert sum(line.startswith("restarted processor") for line in lines) == 3


def test_a_child_that_ran_steadily_restarts_after_a_second_again(lines):
    child = Child("processor", DIES)
    supervisor = Supervisor([child], limit=10)
    _spawned(supervisor)
    try:
        child.quick_exits = 5               # it had been dying young…
        child.started -= serve.STEADY_SECONDS + 1   # …but this run lasted over a minute
        now = _exit_seen(supervisor, child, time.monotonic())
        assert round(child.due - now, 1) == 1.0
    finally:
        supervisor.stop(timeout=5)


def test_nothing_is_restarted_once_the_server_shuts_down(lines):
    child = Child("processor", DIES)
    supervisor = Supervisor([child], limit=10)
    _spawned(supervisor)

    class Arbiter:
        stopped = False

        def handle_term(self) -> None:
            self.stopped = True
    arbiter = Arbiter()
    serve._halt_supervisor_on_shutdown(arbiter, supervisor)
    arbiter.handle_term()                       # gunicorn calls the handler it finds by name
    assert arbiter.stopped
    _exit_seen(supervisor, child, time.monotonic())
    supervisor.check(time.monotonic() + 120)
    assert child.due is None and child.restarts == [] and lines == []


def test_serve_restarts_a_killed_processor_as_a_real_process(lines):
    """The watch thread itself: SIGKILL a real child; it comes back with a new pid."""
    import signal
    child = Child("processor", LIVES)
    supervisor = Supervisor([child], limit=5, poll=0.05)
    supervisor.start()
    try:
        first = child.proc.pid
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while child.proc.pid == first and time.monotonic() < deadline:
            time.sleep(0.05)
        assert child.proc.pid != first and child.proc.poll() is None
    finally:
        supervisor.stop(timeout=5)
    assert any("killed by signal 9" in line for line in lines), lines


def test_partial_uploads_older_than_the_grace_period_are_swept_at_start(tmp_path, lines):
    from server.storage import BlobStore
    store = BlobStore(tmp_path / "blobs", fsync=False)
    old = store.root / "tmp" / "crashed.tmp"
    fresh = store.root / "tmp" / "in-flight.tmp"
    old.write_bytes(b"half a photo")
    fresh.write_bytes(b"still arriving")
    os.utime(old, (time.time() - 7200, time.time() - 7200))
    kept = store.put_bytes(b"a stored blob").sha256
    assert serve.sweep_tmp({"DATA_DIR": str(tmp_path), "TMP_GRACE_SECONDS": 3600}) == 1
    assert not old.exists() and fresh.exists() and store.exists(kept)
    assert any("removed 1 partial upload" in line for line in lines)
