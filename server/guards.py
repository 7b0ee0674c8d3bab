"""Guards every request passes before a view runs: input that can only be hostile or broken is
refused with a 4xx in the caller's language (server/errors.py) instead of reaching the database.

- `<int:…>` path parameters are bounded to the database's 32-bit integer ids (a larger one is no
  id of ours: 404, as for any unknown id);
- a NUL character anywhere in the path, the query string or a url-encoded form is refused (400): no
  database text type holds one and no legitimate client sends one;
- JSON bodies larger than `MAX_JSON_BYTES` (413) or nested deeper than `MAX_JSON_DEPTH` (400) are
  refused before anything parses them;
- a value the database rejects (`DataError`: out of range, too long, NUL inside a JSON body) is a
  400, never a 500.
"""
from __future__ import annotations

import logging
import re

from flask import Flask, Request, Response, request
from sqlalchemy.exc import DataError
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter

from server.errors import ApiError, render

log = logging.getLogger("shoudi.guards")

MAX_ID = 2**31 - 1
MAX_JSON_DEPTH = 64
MAX_JSON_BYTES = 1_000_000    # API request bodies are a few hundred bytes


class BoundedInt(IntegerConverter):
    """`<int:…>` for the database's INTEGER ids: a larger number names nothing of ours (404 for every
    method, where a non-matching converter would let another rule answer 405)."""

    def to_python(self, value: str) -> int:
        number = super().to_python(value)
        if number > MAX_ID:
            raise NotFound("未找到：编号超出范围。Not found: the id is out of range.")
        return number


_JSON_STRINGS = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_ONE_KIND = bytes.maketrans(b"{}", b"[]")      # one kind of pair: each pass removes exactly one level


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether brackets outside strings nest deeper than `limit`. No parsing and no Python loop per
    character: strings and everything but brackets are dropped, braces become brackets, then each
    pass removes the innermost pairs (one level); brackets left after `limit` passes are deeper (or
    unbalanced: invalid JSON anyway)."""
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    brackets = _JSON_STRINGS.sub(b"", data).translate(_ONE_KIND, _NOT_BRACKETS)
    for _ in range(limit):
        if not brackets:
            return False
        brackets = brackets.replace(b"[]", b"")
    return bool(brackets)


class GuardedRequest(Request):
    def on_json_loading_failed(self, e: ValueError | None) -> object:
        raise ApiError(400, "请求内容不是有效的 JSON。The request body is not valid JSON.", code="validation")

    def get_json(self, force: bool = False, silent: bool = False, cache: bool = True):  # noqa: ANN201
        if (force or self.is_json) and (self.content_length or 0) > MAX_JSON_BYTES:
            raise ApiError(413, f"JSON 请求体超过 {MAX_JSON_BYTES // 1_000_000} MB。"
                                f"The JSON body is larger than {MAX_JSON_BYTES} bytes.", code="validation")
        if (force or self.is_json) and json_depth_exceeds(self.get_data(cache=True)):
            raise ApiError(400, f"JSON 嵌套层级超过 {MAX_JSON_DEPTH}。JSON nested deeper than {MAX_JSON_DEPTH} levels.",
                           code="validation")
        try:
            return super().get_json(force=force, silent=silent, cache=cache)
        except RecursionError:
            raise ApiError(400, "请求内容不是有效的 JSON。The request body is not valid JSON.",
                           code="validation") from None


def _refuse_nul() -> None:
    form = request.form if request.mimetype == "application/x-www-form-urlencoded" else MultiDict()  # no stream
    if "\x00" in request.path or "%00" in request.query_string.decode("latin-1") or any(
            "\x00" in key or "\x00" in value
            for values in (request.args, form) for key, value in values.items(multi=True)):
        raise ApiError(400, "请求中含有非法字符（NUL）。The request contains a NUL character.", code="validation")


def init_app(app: Flask) -> None:
    """Call before the blueprints are registered (the `int` converter applies to rules added later)."""
    app.url_map.converters["int"] = BoundedInt
    app.request_class = GuardedRequest
    app.before_request(_refuse_nul)

    @app.errorhandler(DataError)
    def _data_error(exc: DataError) -> Response:
        log.warning("value refused by the database on %s %s: %s", request.method, request.endpoint,
                    type(exc.orig).__name__ if exc.orig is not None else "DataError")
        return render(400, "输入的值无效（超出范围、过长或含非法字符）。"
                           "A value in the request is invalid (out of range, too long or with forbidden characters).",
                      code="validation")

    @app.errorhandler(TimeoutError)
    def _slow_body(exc: TimeoutError) -> Response:
        # a body read waited READ_TIMEOUT (server/serve_worker.py): the client stalled
        response = render(408, "上传中断或过慢，请重新提交。The request body stalled; please retry.", code="408")
        response.headers["Connection"] = "close"
        return response

    @app.errorhandler(OverflowError)
    def _overflow(exc: OverflowError) -> Response:
        return render(400, "数值超出范围。A number in the request is out of range.", code="validation")
