"""Run `shoudi` commands and a real `shoudi serve` (gunicorn) process for end-to-end tests."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]


def _env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SHOUDI_")}
    env.update({"PYTHONPATH": str(ROOT), "SHOUDI_LOG_LEVEL": "WARNING", "SHOUDI_SECRET_KEY": "e2e-secret"})
    env.update(extra)
    return env


def shoudi(env: dict[str, str], *args: str, check: bool = True) -> str:
    """Run `python -m server ARGS…` and return its stdout (raise with stderr on failure)."""
    proc = subprocess.run([sys.executable, "-m", "server", *args], env=_env(env), cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    if check and proc.returncode != 0:
        raise AssertionError(f"shoudi {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    def __init__(self, env: dict[str, str], data: Path, *, workers: int = 1, threads: int = 4,
                 log: Path | None = None) -> None:
        """`log`: write the server's output to this file (default: a pipe read only if it dies at start)."""
        self.env, self.data, self.workers, self.threads, self.log = env, data, workers, threads, log
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "LiveServer":
        output = open(self.log, "ab") if self.log is not None else subprocess.PIPE
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server", "serve", "--data-dir", str(self.data), "--host", "127.0.0.1",
             "--port", str(self.port), "--workers", str(self.workers), "--threads", str(self.threads)],
            env=_env(self.env), cwd=ROOT, stdout=output, stderr=subprocess.STDOUT,
            start_new_session=True)
        if self.log is not None:
            output.close()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                text = (self.log.read_bytes() if self.log is not None else self.proc.stdout.read())
                raise AssertionError("server exited:\n" + text.decode(errors="replace"))
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.2)
        self.stop()
        raise AssertionError("server did not start within 60 s")

    def kill(self) -> None:
        """SIGKILL the whole process group (arbiter and workers) — a crash, not a shutdown."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "LiveServer":
        return self.start()

    def __exit__(self, *exc) -> None:  # noqa: ANN002
        self.stop()


def empty_database(url: str) -> None:
    """Empty every table (what the `app` fixture does after each test) for module-scoped servers."""
    from server.db import make_engine
    from tests.conftest import _empty_all_tables
    engine = make_engine(url)
    _empty_all_tables(engine)
    engine.dispose()
