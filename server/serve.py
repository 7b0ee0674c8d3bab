"""`shoudi serve`: gunicorn (gthread workers, keep-alive) running create_app, plus processing.

The worker class (server/serve_worker.py) reads request heads in the main loop and bounds body
reads (HEADER_TIMEOUT, READ_TIMEOUT, LINGER_SECONDS), so slow clients cannot hold every thread.

Background jobs (exports, re-scoring, department data comparison) run in JOB_WORKERS niced
`shoudi worker` processes started and stopped with the server.

Processing (parse → score → register) runs in PROCESSORS separate niced processes
(`shoudi reprocess --pending --follow`), so bursts of uploads keep the CPU for acknowledging, plus
DRAIN_HELPERS (PostgreSQL) that join in only once uploads pause and a backlog waits; with
PROCESSORS=0 each worker has a processing thread (server/processor.py) and a pending sweeper instead.

gunicorn sets TCP_NODELAY on its listening sockets (inherited by accepted connections), so a
response written as headers + body never waits for a delayed ACK.
"""
from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

log = logging.getLogger("shoudi.serve")

SWEEP_SECONDS = 60


class ShoudiServer(BaseApplication):
    def __init__(self, app_config: dict[str, Any], options: dict[str, Any]) -> None:
        self.app_config = app_config
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            if key in self.cfg.settings:  # settings differ across gunicorn versions
                self.cfg.set(key, value)

    def load(self):  # noqa: ANN201
        from server import create_app
        return create_app(self.app_config)


def _worker_exit(_arbiter, worker) -> None:  # noqa: ANN001
    """Finish what the processing thread has queued; anything left stays pending for the sweep."""
    from server.processor import get_processor
    found = get_processor(worker.wsgi) if getattr(worker, "wsgi", None) is not None else None
    if found is not None and not found.stop(timeout=max(1.0, worker.cfg.graceful_timeout - 5)):
        log.warning("worker exiting with %s submissions still pending", found.backlog())


def _preload() -> None:
    """Import the processing pipeline (forms, scoring, …) once before forking: no first-request stall."""
    from server import plugins
    plugins.load_models()
    plugins.processing_steps()
    import forms  # noqa: F401 — parse step imports it lazily


def _start_sweeper(worker, *, processors: int) -> None:  # noqa: ANN001
    threading.Thread(target=sweep_pending, args=(worker.wsgi, processors, threading.Event()),
                     name="shoudi-pending-sweeper", daemon=True).start()


def sweep_pending(app, processors: int, stop: threading.Event, first_wait: float = 5.0) -> None:  # noqa: ANN001
    """A web worker's loop: re-process versions left `pending` (crash, restart) once a minute old.

    With PROCESSORS > 0 this is the safety net behind the supervised processors: a worker sweeps only
    while no processor or drain helper of any node has a live heartbeat (server/heartbeats.py), so it
    never competes with them for the CPU the acknowledgements need. Ends only when `stop` is set: a
    database outage is retried with back-off (logged once), a version that breaks outside its steps is
    isolated and failed (`ingest.isolate_failures`).
    """
    from server.db import get_db
    from server.heartbeats import Heartbeat, alive_by_role
    from server.ingest import isolate_failures, process_pending
    from server.resilience import Retry, is_outage

    maker = get_db(app).sessionmaker
    retry = Retry("pending sweep", log, cap=app.config["RETRY_MAX_SECONDS"])
    heartbeat = Heartbeat(maker, "sweeper", every=app.config["HEARTBEAT_SECONDS"])
    every = SWEEP_SECONDS if not processors else min(SWEEP_SECONDS, app.config["HEARTBEAT_SECONDS"])

    def processors_alive() -> bool:
        with maker() as session:
            alive = alive_by_role(session, app.config["HEALTH_STALE_SECONDS"])
        return any(alive.get(role, {}).get("alive") for role in ("processor", "drain_helper"))

    wait, isolate = first_wait, False
    while not stop.wait(wait):
        try:
            heartbeat.beat()
            if not (processors and processors_alive()):
                counts = (isolate_failures(app) if isolate
                          else process_pending(app, older_than=timedelta(seconds=SWEEP_SECONDS)))
                isolate = False
                if counts:
                    log.info("pending sweep: %s", counts)
                    heartbeat.beat(processed=counts.get("done", 0) + counts.get("failed", 0))
            retry.succeeded()
            wait = every
        except Exception as exc:  # noqa: BLE001 — never ends: back off and sweep again
            isolate = not is_outage(exc)
            wait = retry.failed(exc)
    heartbeat.remove()


RESTART_WINDOW = 600.0     # seconds over which RESTART_LIMIT counts restarts of one child
RESTART_MAX_DELAY = 60.0   # back-off cap between restarts of a child that keeps dying
SETTLE_SECONDS = 0.5       # an exit is acted upon (logged, restart scheduled) this long after it is seen
STEADY_SECONDS = 60.0      # a child that ran this long before exiting restarts after 1 s again


class Child:
    """One supervised process slot: its command, current process and restart history."""

    def __init__(self, role: str, command: list[str]) -> None:
        self.role, self.command = role, command
        self.proc: subprocess.Popen | None = None
        self.started = 0.0
        self.restarts: list[float] = []
        self.quick_exits = 0
        self.due: float | None = None   # when a restart is scheduled
        self.exited_at: float | None = None   # exit seen, not yet acted upon
        self.given_up = False

    def spawn(self) -> None:
        self.proc = subprocess.Popen(self.command, preexec_fn=lambda: os.nice(10))
        self.started = time.monotonic()


class Supervisor:
    """Starts the background processes of `shoudi serve` and restarts any that exits, with a back-off
    (1 s doubling to 60 s while it keeps dying within a minute of its start) and a limit
    (RESTART_LIMIT restarts within 10 minutes, then it stays down and `/healthz` says so). Every exit,
    restart and give-up is one log line. Runs as a thread in the gunicorn arbiter."""

    def __init__(self, children: list[Child], *, limit: int, poll: float = 0.5) -> None:
        self.children, self.limit, self.poll = children, limit, poll
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="shoudi-supervisor", daemon=True)

    def start(self) -> None:
        for child in self.children:
            child.spawn()
            log.info("started %s (pid %s)", child.role, child.proc.pid)
        self._thread.start()

    def check(self, now: float | None = None) -> None:
        """One pass: note exits, schedule and perform restarts."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._stop.is_set():
                return
            for child in self.children:
                if child.given_up or child.proc is None:
                    continue
                if child.due is None and child.exited_at is None and child.proc.poll() is not None:
                    child.exited_at = now    # decided a moment later: a server shutting down stops us first
                elif child.exited_at is not None and now - child.exited_at >= SETTLE_SECONDS:
                    self._exited(child, child.exited_at)
                    child.exited_at = None
                elif child.due is not None and now >= child.due:
                    child.due = None
                    child.restarts.append(now)
                    child.spawn()
                    log.warning("restarted %s (pid %s; restart %d in the last %d min)", child.role,
                                child.proc.pid, len(child.restarts), RESTART_WINDOW // 60)

    def _exited(self, child: Child, now: float) -> None:
        ran = now - child.started
        code = child.proc.returncode
        how = (f"killed by signal {-code}" if code and code < 0 else f"exit status {code}") if code else "exited"
        child.restarts = [t for t in child.restarts if now - t < RESTART_WINDOW]
        if len(child.restarts) >= self.limit:
            child.given_up = True
            log.error("%s (pid %s) %s after %.0f s; not restarted: %d restarts within %d min "
                      "(RESTART_LIMIT); /healthz reports it", child.role, child.proc.pid, how, ran,
                      len(child.restarts), RESTART_WINDOW // 60)
            return
        child.quick_exits = child.quick_exits + 1 if ran < STEADY_SECONDS else 0
        delay = min(RESTART_MAX_DELAY, 2.0 ** max(child.quick_exits - 1, 0))
        child.due = now + max(delay, SETTLE_SECONDS)
        log.warning("%s (pid %s) %s after %.0f s; restarting in %.0f s", child.role, child.proc.pid, how,
                    ran, delay)

    def _watch(self) -> None:
        while not self._stop.wait(self.poll):
            try:
                self.check()
            except Exception:  # noqa: BLE001 — e.g. fork failing under memory pressure: try again next pass
                log.exception("supervisor pass failed")

    def halt(self) -> None:
        """No more restarts (the server is shutting down)."""
        with self._lock:
            self._stop.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop supervising, terminate every child, kill those still running after `timeout`."""
        self.halt()
        running = [c.proc for c in self.children if c.proc is not None and c.proc.poll() is None]
        for proc in running:
            proc.terminate()
        for proc in running:
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()


def _halt_supervisor_on_shutdown(arbiter, supervisor: Supervisor) -> None:  # noqa: ANN001
    """Children share the server's process group, so a Ctrl-C or a TERM to the group reaches them
    directly: stop restarting as soon as the arbiter starts shutting down (gunicorn looks its signal
    handlers up by name), not only at `on_exit` after the web workers have finished."""
    for signame in ("term", "int", "quit"):
        original = getattr(arbiter, f"handle_{signame}", None)
        if original is None:
            continue

        def handler(original=original) -> None:  # noqa: ANN001
            supervisor.halt()
            original()
        setattr(arbiter, f"handle_{signame}", handler)


def _children(processors: int, job_workers: int, data_dir: str | None, helpers: int = 0,
              quiet_seconds: float = 0.25) -> list[Child]:
    """`processors` × `shoudi reprocess --pending --follow`, `helpers` drain helpers (`--when-quiet`,
    claiming only once uploads pause while a backlog waits), `job_workers` × `shoudi worker`."""
    base = [sys.executable, "-m", "server"]
    tail = ["--data-dir", data_dir] if data_dir else []
    process = base + ["reprocess", "--pending", "--follow"] + tail
    return ([Child("processor", process) for _ in range(processors)]
            + [Child("drain helper", process + ["--when-quiet", str(quiet_seconds)])
               for _ in range(helpers if processors else 0)]
            + [Child("job worker", base + ["worker"] + tail) for _ in range(job_workers)])


def sweep_tmp(app_config: dict[str, Any]) -> int:
    """Delete partial uploads a crash left in `blobs/tmp` (untouched for TMP_GRACE_SECONDS)."""
    from server.config import load_settings
    from server.storage import BlobStore, open_store

    settings = load_settings(app_config)
    store = open_store(settings["BLOB_STORE"], data_dir=settings["DATA_DIR"], fsync=False,
                       endpoint=settings["S3_ENDPOINT"], region=settings["S3_REGION"])
    if not isinstance(store, BlobStore):   # S3: uploads spool in the system temp dir, nothing to sweep
        return 0
    removed = store.sweep_tmp(settings["TMP_GRACE_SECONDS"])
    if removed:
        log.warning("removed %d partial upload(s) older than %.0f s from %s", removed,
                    settings["TMP_GRACE_SECONDS"], store.root / "tmp")
    return removed


def listen_urls(host: str, port: int) -> list[str]:
    """The addresses a browser can use for a server bound to ``host``: the loopback address when bound
    to loopback; loopback and this machine's LAN address when bound to every interface."""
    from server.collect_config import guess_base_url

    if host in ("localhost", "::1") or host.startswith("127."):
        return [f"http://{'127.0.0.1' if host == 'localhost' else host}:{port}"]
    if host in ("0.0.0.0", "::", ""):
        lan = guess_base_url(port)
        local = f"http://127.0.0.1:{port}"
        return [local] if lan == local else [local, lan]
    return [f"http://{host}:{port}"]


def run(app_config: dict[str, Any], *, host: str, port: int, workers: int, threads: int,
        processors: int = 1, job_workers: int = 0, drain_helpers: int = 0) -> None:
    """Serve until stopped. With processors > 0, processing happens in those processes, not inline."""
    from server import metrics
    from server.config import load_settings

    app_config = dict(app_config)
    settings = load_settings(app_config)
    inline = processors == 0
    if processors:
        app_config["PROCESS_INLINE"] = False
    expected = [role for role, n in (("processor", processors), ("job_worker", job_workers)) if n]
    app_config.setdefault("HEALTH_EXPECTED_ROLES", expected)   # what this node runs; see health.py
    sweep_tmp(app_config)
    metrics_dir = metrics.prepare_multiprocess(port)
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "server.serve_worker.ShoudiWorker",   # gthread, hardened against slow clients
        "threads": threads,
        "keepalive": 75,             # Collect reuses connections between formList, downloads, uploads
        "timeout": 120,
        "graceful_timeout": 30,
        "accesslog": None,           # shoudi logs one line per request itself (no query strings)
        "errorlog": "-",
        "loglevel": app_config.get("LOG_LEVEL", "info").lower(),
        "proc_name": "shoudi",
        "limit_request_field_size": 16384,
        "control_socket_disable": True,   # no socket in $HOME; several servers may run side by side
    }
    from server.transport import gunicorn_options
    options.update(gunicorn_options(settings))  # X-Forwarded-Proto only from our proxies

    def post_worker_init(worker) -> None:  # noqa: ANN001
        if inline:
            from server import processor
            processor.start(worker.wsgi)
        _start_sweeper(worker, processors=processors)

    def child_exit(_arbiter, worker) -> None:  # noqa: ANN001
        metrics.worker_gone(metrics_dir, worker.pid)

    options["post_worker_init"] = post_worker_init
    options["child_exit"] = child_exit
    if inline:
        options["worker_exit"] = _worker_exit
    supervisor = Supervisor(_children(processors, job_workers, app_config.get("DATA_DIR"), drain_helpers),
                            limit=settings["RESTART_LIMIT"])

    def when_ready(arbiter) -> None:  # noqa: ANN001
        if supervisor.children:
            _halt_supervisor_on_shutdown(arbiter, supervisor)
            supervisor.start()

    def on_exit(_arbiter) -> None:  # noqa: ANN001
        supervisor.stop()
        metrics.cleanup(metrics_dir)

    options["when_ready"] = when_ready
    options["on_exit"] = on_exit
    _preload()
    ShoudiServer(app_config, options).run()
