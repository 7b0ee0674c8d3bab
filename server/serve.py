"""`shoudi serve`: gunicorn (gthread workers, keep-alive) running create_app, plus processing.

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
from datetime import timedelta
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


def _worker_started(worker) -> None:  # noqa: ANN001
    from server import processor
    processor.start(worker.wsgi)
    _start_sweeper(worker)


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


def _start_sweeper(worker) -> None:  # noqa: ANN001
    """Each worker re-processes versions left `pending` (crash, restart) once they are a minute old."""
    from server.ingest import process_pending

    app = worker.wsgi

    def loop() -> None:
        stop = threading.Event()
        while not stop.wait(SWEEP_SECONDS if loop.ran else 5):
            loop.ran = True
            try:
                counts = process_pending(app, older_than=timedelta(seconds=SWEEP_SECONDS))
                if counts:
                    log.info("pending sweep: %s", counts)
            except Exception:  # noqa: BLE001
                log.exception("pending sweep failed")

    loop.ran = False
    threading.Thread(target=loop, name="shoudi-pending-sweeper", daemon=True).start()


def _start_processors(count: int, data_dir: str | None, helpers: int = 0,
                      quiet_seconds: float = 0.25) -> list[subprocess.Popen]:
    """Niced `shoudi reprocess --pending --follow` processes: web workers keep priority in bursts.
    `helpers` more of them drain a backlog once uploads pause (`--when-quiet`)."""
    command = [sys.executable, "-m", "server", "reprocess", "--pending", "--follow"]
    if data_dir:
        command += ["--data-dir", data_dir]
    helper = command + ["--when-quiet", str(quiet_seconds)]
    return ([subprocess.Popen(command, preexec_fn=lambda: os.nice(10)) for _ in range(count)]
            + [subprocess.Popen(helper, preexec_fn=lambda: os.nice(10)) for _ in range(helpers if count else 0)])


def _start_job_workers(count: int, data_dir: str | None) -> list[subprocess.Popen]:
    """Niced `shoudi worker` processes for background jobs (exports, re-scoring, data comparison)."""
    command = [sys.executable, "-m", "server", "worker"]
    if data_dir:
        command += ["--data-dir", data_dir]
    return [subprocess.Popen(command, preexec_fn=lambda: os.nice(10)) for _ in range(count)]


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
    app_config = dict(app_config)
    sweep = processors == 0
    if processors:
        app_config["PROCESS_INLINE"] = False
    options = {
        "bind": f"{host}:{port}",
        "workers": workers,
        "worker_class": "gthread",
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
    if sweep:
        options["post_worker_init"] = _worker_started
        options["worker_exit"] = _worker_exit
    children: list[subprocess.Popen] = []
    if processors or job_workers:
        def when_ready(_arbiter) -> None:  # noqa: ANN001
            children.extend(_start_processors(processors, app_config.get("DATA_DIR"), drain_helpers))
            children.extend(_start_job_workers(job_workers, app_config.get("DATA_DIR")))

        def on_exit(_arbiter) -> None:  # noqa: ANN001
            for child in children:
                child.terminate()
            for child in children:
                try:
                    child.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    child.kill()
        options["when_ready"] = when_ready
        options["on_exit"] = on_exit
    _preload()
    ShoudiServer(app_config, options).run()
