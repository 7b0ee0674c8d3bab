"""A real S3-protocol server on loopback for tests and benches: moto's standalone server (`moto[server]`).

`S3Server().start()` runs `python -m moto.server` in a subprocess on a free port and waits until it
answers; `.url` is its endpoint, `.env()` the settings a shoudi process needs to use it, `.bucket(name)`
creates a bucket. Stop it with `.stop()` (or use it as a context manager).
"""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid

import requests

ACCESS_KEY, SECRET_KEY, REGION = "testing", "testing", "us-east-1"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "S3Server":
        env = dict(os.environ, AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY,
                   AWS_DEFAULT_REGION=REGION)
        # its request log goes to a file: an unread pipe would fill up and stall the server
        self._log = tempfile.TemporaryFile()
        self.proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)],
                                     env=env, stdout=subprocess.DEVNULL, stderr=self._log, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self._log.seek(0)
                raise RuntimeError("moto server exited: " + self._log.read().decode(errors="replace")[-4000:])
            try:
                requests.get(self.url + "/moto-api/", timeout=1)
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto server did not start within 60 s")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def __enter__(self) -> "S3Server":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def bucket(self, name: str | None = None) -> str:
        """Create a bucket (a fresh random name by default) and return its name."""
        name = name or f"shoudi-{uuid.uuid4().hex[:12]}"
        response = requests.put(f"{self.url}/{name}", timeout=10)
        response.raise_for_status()
        return name

    def env(self, bucket: str, prefix: str = "blobs") -> dict[str, str]:
        """Settings (environment) for a shoudi process storing blobs in `bucket/prefix` of this server."""
        return {"SHOUDI_BLOB_STORE": f"s3://{bucket}/{prefix}", "SHOUDI_S3_ENDPOINT": self.url,
                "SHOUDI_S3_REGION": REGION, "AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
