"""Processing after the 201, off the request threads: one background thread per `shoudi serve` worker.

The submission view hands each new version id to `enqueue` once its 201 is written; the thread runs the
pipeline (server/ingest.py) in arrival order, so a keep-alive connection is free for the next upload
at once. The database stays the record of what is left to do: a version is `pending` until processed,
so ids lost with the process (crash, kill) are picked up by the pending sweep or `reprocess --pending`.
"""
from __future__ import annotations

import logging
import queue
import threading

from flask import Flask

log = logging.getLogger("shoudi.processor")
KEY = "shoudi.processor"


class Processor:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self._queue: queue.SimpleQueue[int | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="shoudi-processor", daemon=True)
        self._thread.start()

    def enqueue(self, version_id: int) -> None:
        self._queue.put(version_id)

    def backlog(self) -> int:
        return self._queue.qsize()

    def stop(self, timeout: float) -> bool:
        """Process what is queued (up to `timeout` seconds), then end; True when the queue was drained."""
        self._queue.put(None)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        from server.ingest import process_version
        while True:
            version_id = self._queue.get()
            if version_id is None:
                return
            try:
                process_version(self.app, version_id)
            except Exception as exc:  # noqa: BLE001 — the version stays pending; the sweep retries it
                from server.resilience import describe
                log.warning("processing interrupted for version %s (%s); left pending for the sweep",
                            version_id, describe(exc))


def start(app: Flask) -> Processor:
    processor = Processor(app)
    app.extensions[KEY] = processor
    return processor


def get_processor(app: Flask) -> Processor | None:
    return app.extensions.get(KEY)
