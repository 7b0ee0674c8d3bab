"""Streaming multipart/form-data reading for submissions (the `multipart` library: no per-request
regex compilation, bounded parts and headers; big parts spool to temporary files)."""
from __future__ import annotations

from contextlib import contextmanager
from typing import BinaryIO, Iterator

import multipart

from server.errors import ApiError
from server.submissions.header import safe_name
from server.submissions.intake import IncomingFile

MISSING_XML = "Required multipart POST field xml_submission_file missing. 缺少 xml_submission_file。"
MAX_PARTS = 256          # Collect sends at most 100 files per request, then splits the upload
SPOOL_BYTES = 256 * 1024  # parts above this go to a temporary file
INCOMPLETE_FIELD = "*isIncomplete*"


@contextmanager
def submission_parts(stream: BinaryIO, mimetype: str, boundary: str | None,
                     content_length: int | None) -> Iterator[tuple[bytes, list[IncomingFile], bool]]:
    """Yield (xml bytes, attachment files, incomplete); temporary files are removed on exit.
    `incomplete`: the client flagged this POST as one of a split upload with more to come
    (`*isIncomplete*` = `yes`, OpenRosa Form Submission API)."""
    if mimetype != "multipart/form-data":
        raise ApiError(400, MISSING_XML, code="400.2")
    if not boundary:
        raise ApiError(400, "Multipart form content failed to parse. 上传内容格式损坏。", code="400.39",
                       details={"reason": "no boundary in Content-Type"})
    parser = multipart.MultipartParser(stream, boundary, content_length=-1 if content_length is None else content_length,
                                       part_limit=MAX_PARTS, spool_limit=SPOOL_BYTES, memory_limit=16 * 1024 * 1024)
    parts: list = []
    try:
        try:
            for part in parser:
                parts.append(part)
        except multipart.MultipartError as exc:
            raise ApiError(400, "Multipart form content failed to parse. 上传内容格式损坏。", code="400.39",
                           details={"reason": str(exc)[:200]}) from None
        xml: bytes | None = None
        files: list[IncomingFile] = []
        incomplete = False
        for part in parts:
            if part.name == "xml_submission_file":
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
