"""Streaming multipart/form-data reading for submissions (the `multipart` library's push parser: no
per-request regex compilation, bounded parts and headers; big parts spool to temporary files).

The instance XML (`xml_submission_file`) is bounded on its own (`MAX_XML_BYTES`): it is parsed in
memory before the 201 and again when processed, so a larger one is refused while it streams in,
before it is buffered anywhere in full.
"""
from __future__ import annotations

import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import BinaryIO, Iterator

import multipart
from werkzeug.exceptions import ClientDisconnected

from server.errors import ApiError
from server.submissions.header import safe_name
from server.submissions.intake import IncomingFile

MISSING_XML = "Required multipart POST field xml_submission_file missing. 缺少 xml_submission_file。"
XML_FIELD = "xml_submission_file"
MAX_PARTS = 256          # Collect sends at most 100 files per request, then splits the upload
SPOOL_BYTES = 256 * 1024  # parts above this go to a temporary file
MEMORY_BYTES = 16 * 1024 * 1024  # all parts held in memory together; beyond it every part spools
READ_CHUNK = 64 * 1024
INCOMPLETE_FIELD = "*isIncomplete*"


class XmlTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"提交的 XML 超过 {limit // 1_000_000} MB 的处理上限。"
                              f" The submission XML is larger than the limit of {limit} bytes.",
                         code="413.1", details={"limit": limit}, headers=[("Connection", "close")])


@dataclass
class _Part:
    name: str | None
    filename: str | None
    content_type: str | None
    file: tempfile.SpooledTemporaryFile = field(
        default_factory=lambda: tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES))
    size: int = 0

    def close(self) -> None:
        self.file.close()


def _parse_error(reason: str) -> ApiError:
    return ApiError(400, "Multipart form content failed to parse. 上传内容格式损坏。", code="400.39",
                    details={"reason": reason[:200]})


def _read_parts(stream: BinaryIO, boundary: str, content_length: int | None, max_xml: int,
                parts: list[_Part]) -> None:
    parser = multipart.PushMultipartParser(boundary=boundary,
                                           content_length=-1 if content_length is None else content_length,
                                           max_segment_count=MAX_PARTS)
    part: _Part | None = None
    in_memory = 0
    try:
        with parser:
            for event in parser.parse_blocking(stream.read, READ_CHUNK):
                if isinstance(event, multipart.MultipartSegment):
                    part = _Part(event.name, event.filename, event.content_type)
                    parts.append(part)
                elif event:
                    assert part is not None
                    part.size += len(event)
                    if part.name == XML_FIELD and part.size > max_xml:
                        raise XmlTooLarge(max_xml)
                    part.file.write(event)
                else:
                    assert part is not None
                    if part.size <= SPOOL_BYTES:  # still in memory
                        in_memory += part.size
                        if in_memory > MEMORY_BYTES:
                            part.file.rollover()
                    part = None
    except multipart.MultipartError as exc:
        raise _parse_error(str(exc)) from None
    except (OSError, ClientDisconnected):
        # the client stopped sending (server/serve_worker.py bounds each read) or went away
        raise ApiError(408, "上传中断或过慢，请重新提交。The upload was interrupted or too slow; please retry.",
                       code="408", headers=[("Connection", "close")]) from None


@contextmanager
def submission_parts(stream: BinaryIO, mimetype: str, boundary: str | None, content_length: int | None,
                     max_xml: int) -> Iterator[tuple[bytes, list[IncomingFile], bool]]:
    """Yield (xml bytes, attachment files, incomplete); temporary files are removed on exit. An XML part
    larger than `max_xml` bytes is refused (413) as soon as that many bytes of it have arrived.
    `incomplete`: the client flagged this POST as one of a split upload with more to come
    (`*isIncomplete*` = `yes`, OpenRosa Form Submission API)."""
    if mimetype != "multipart/form-data":
        raise ApiError(400, MISSING_XML, code="400.2")
    if not boundary:
        raise _parse_error("no boundary in Content-Type")
    parts: list[_Part] = []
    try:
        _read_parts(stream, boundary, content_length, max_xml, parts)
        xml: bytes | None = None
        files: list[IncomingFile] = []
        incomplete = False
        for part in parts:
            if part.name == XML_FIELD:
                if xml is None:
                    part.file.seek(0)
                    xml = part.file.read()
                continue
            if part.filename is None:  # plain fields such as *isIncomplete*
                if part.name == INCOMPLETE_FIELD and part.size <= 16:
                    part.file.seek(0)
                    incomplete = part.file.read(16).strip().lower() in (b"yes", b"true", b"1")
                continue
            name = safe_name(part.name) or safe_name(part.filename)
            if name is None:
                continue
            part.file.seek(0)
            files.append(IncomingFile(name=name, stream=part.file, content_type=part.content_type or None))
        if xml is None:
            raise ApiError(400, MISSING_XML, code="400.2")
        yield xml, files, incomplete
    finally:
        for part in parts:
            part.close()
