"""Streaming readers for the CSV and XLSX files departments and admins upload.

Rows come out one at a time as ``(row_number, {header: text})``; nothing holds the whole file.
The header row is the first row (within the first ``scan`` rows) that contains one of the
expected header names — national-system workbooks have title rows above the header.
"""
from __future__ import annotations

import codecs
import csv
import io
from datetime import date, datetime
from pathlib import Path
from typing import IO, Iterable, Iterator


class TableError(ValueError):
    """The file cannot be read as a table, or its header is missing."""


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _decode_lines(binary: IO[bytes]) -> Iterator[str]:
    """UTF-8 (with or without BOM); falls back to GB18030, the usual encoding of Excel-saved CSV in China."""
    head = binary.read(65536)
    try:
        head.decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 64 KiB boundary is not a reason to give up on UTF-8
        encoding = "utf-8-sig" if exc.start >= len(head) - 3 else "gb18030"
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    buffer = ""
    chunk = head
    while True:
        try:
            buffer += decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise TableError(f"the file is not valid {encoding} text: {exc.reason}") from None
        *lines, buffer = buffer.split("\n")
        for line in lines:
            yield line + "\n"
        if not chunk:
            break
        chunk = binary.read(1 << 20)
    if buffer:
        yield buffer


def _csv_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    for row in csv.reader(_decode_lines(binary)):
        yield [cell.strip() for cell in row]


def _xlsx_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt workbook
        raise TableError(f"not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        workbook.close()


def _open(source: str | Path | IO[bytes], filename: str | None) -> tuple[IO[bytes], str, bool]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.open("rb"), (filename or path.name), True
    return source, (filename or getattr(source, "name", "") or ""), False


def raw_rows(source: str | Path | IO[bytes], filename: str | None = None) -> Iterator[list[str]]:
    """Every row of the file as a list of stripped strings (``.xlsx`` by name, CSV otherwise)."""
    binary, name, owned = _open(source, filename)
    try:
        if str(name).lower().endswith((".xlsx", ".xlsm")):
            yield from _xlsx_rows(binary)
        else:
            yield from _csv_rows(binary)
    finally:
        if owned:
            binary.close()


def read_table(source: str | Path | IO[bytes], expected_headers: Iterable[str], filename: str | None = None,
               scan: int = 10) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, {header: value})`` for each non-blank data row (1-based file row numbers)."""
    wanted = {h.strip() for h in expected_headers}
    rows = raw_rows(source, filename)
    header: list[str] | None = None
    number = 0
    for number, row in enumerate(rows, start=1):
        if header is None:
            if wanted & {c for c in row if c}:
                header = row
            elif number >= scan:
                break
            continue
        if not any(row):
            continue
        yield number, {name: (row[i] if i < len(row) else "") for i, name in enumerate(header) if name}
    if header is None:
        raise TableError("no header row found; expected one of: " + ", ".join(sorted(wanted)))


def text_stream(text: str) -> IO[bytes]:
    """A binary stream of UTF-8 text (tests and small uploads)."""
    return io.BytesIO(text.encode("utf-8"))
