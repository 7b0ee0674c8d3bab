"""One place that turns errors into responses: OpenRosa XML on OpenRosa routes, JSON elsewhere.

Domain code raises `ApiError` (or werkzeug HTTP exceptions); it never builds error responses itself.
"""
from __future__ import annotations

import logging
import time

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

log = logging.getLogger("shoudi.errors")

OUTAGE_LOG_SECONDS = 10
_outage_logged = [0.0]   # monotonic time of this process's last "database unavailable" line

OPENROSA_BLUEPRINTS = {"openrosa", "openrosa_entities"}  # the latter: server/register/openrosa_entities.py


class ApiError(Exception):
    """An expected failure with an HTTP status, a stable code and a message for the user."""

    def __init__(self, status: int, message: str, *, code: str | None = None,
                 headers: list[tuple[str, str]] | None = None, details: dict | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.code = code or str(status)
        self.headers = list(headers or [])
        self.details = details


def _is_openrosa() -> bool:
    # a URL no rule matched (e.g. an id out of range) has no blueprint: its /v1/ prefix decides
    return request.blueprint in OPENROSA_BLUEPRINTS or (request.blueprint is None and request.path.startswith("/v1/"))


def render(status: int, message: str, *, code: str | None = None, headers: list | None = None,
           details: dict | None = None) -> Response:
    if _is_openrosa():
        from server.openrosa import wire
        response = wire.error_response(status, message)
    else:
        body = {"message": message, "code": code or str(status)}
        if details:
            body["details"] = details
        response = jsonify(body)
        response.status_code = status
    for key, value in headers or []:
        response.headers.add(key, value)
    return response


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return render(exc.status, exc.message, code=exc.code, headers=exc.headers, details=exc.details)

    @app.errorhandler(RequestEntityTooLarge)
    def _too_large(exc: RequestEntityTooLarge) -> Response:
        limit = app.config["MAX_BODY_BYTES"]
        response = render(413, f"请求内容过大，上限 {limit // 1_000_000} MB。"
                               f" Request body is larger than the limit of {limit} bytes.")
        response.headers["Connection"] = "close"  # the unread body cannot be skipped safely
        return response

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        response = render(exc.code or 500, exc.description or exc.name)
        for key, value in (exc.get_headers() or []):
            if key.lower() not in {"content-type", "content-length"}:
                response.headers[key] = value
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        from server.resilience import describe, is_outage
        if is_outage(exc):
            # Nothing was acknowledged: the client retries (Collect keeps the form as unsent).
            now = time.monotonic()
            if now - _outage_logged[0] > OUTAGE_LOG_SECONDS:
                _outage_logged[0] = now
                log.warning("database unavailable: %s on %s %s answered 503 (%s; logged at most every %d s)",
                            type(exc).__name__, request.method, request.endpoint, describe(exc), OUTAGE_LOG_SECONDS)
            return render(503, "数据库暂时不可用，请稍后重试。The database is temporarily unavailable; please retry.",
                          code="database_unavailable", headers=[("Retry-After", "10")])
        log.exception("unhandled %s on %s %s", type(exc).__name__, request.method, request.endpoint)
        return render(500, "服务器内部错误。Internal server error.")
