"""Logging: one line per event, tagged with the request id; never personal data.

Log identifiers (user id, form id, instanceID, sha256), never names, ID numbers, phones or answers.
"""
from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Flask, g, has_request_context, request

_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
_configured = False


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = g.get("request_id", "-") if has_request_context() else "-"
        return True


def configure(level: str = "INFO") -> None:
    """Configure the `shoudi` logger once per process (idempotent)."""
    global _configured
    logger = logging.getLogger("shoudi")
    logger.setLevel(level.upper())
    if _configured:
        return
    handler = logging.StreamHandler()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(logging.Formatter(
        "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    logger.addHandler(handler)
    logger.propagate = False
    _configured = True


def init_app(app: Flask) -> None:
    configure(app.config["LOG_LEVEL"])
    log = logging.getLogger("shoudi.http")

    @app.before_request
    def _start() -> None:
        incoming = request.headers.get("X-Request-Id", "")
        g.request_id = incoming if _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex[:16]
        g.request_started = time.perf_counter()

    @app.after_request
    def _finish(response):  # noqa: ANN001
        response.headers["X-Request-Id"] = g.get("request_id", "-")
        if log.isEnabledFor(logging.INFO):
            ms = (time.perf_counter() - g.get("request_started", time.perf_counter())) * 1000
            # Path only (no query string: tokens may travel in ?st=); key/{token} is masked. A view may
            # add identifiers to this one line (g.log_detail) instead of logging a line of its own.
            detail = g.get("log_detail")
            log.info("%s %s %s %.1fms%s", request.method, mask_path(request.path), response.status_code, ms,
                     f" {detail}" if detail else "")
        return response


_KEY_SEGMENT = re.compile(r"/key/[^/]+")


def mask_path(path: str) -> str:
    """Hide app-user tokens embedded in URL paths."""
    return _KEY_SEGMENT.sub("/key/***", path)
