"""Streaming readers for the CSV and XLSX files departments and admins upload.

Rows come out one at a time as ``(row_number, {header: text})``; nothing holds the whole file.
The header row is the first row (within the first ``scan`` rows) that contains one of the
expected header names — national-system workbooks have title rows above the header.

Uploaded files are untrusted: before openpyxl opens an XLSX, its zip directory is checked (total
uncompressed size, compression ratio of each member: zip bombs); while rows stream, their number,
their width and the length of every cell are bounded (`TableLimits`, from the IMPORT_* settings);
a NUL character or an overlong CSV field is a clear `TableError`, never a crash.
"""
from __future__ import annotations

import codecs
import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import IO, Iterable, Iterator


class TableError(ValueError):
    """The file cannot be read as a table, or its header is missing."""


MAX_COLUMNS = 1024          # wider rows are no department or region table
MAX_LINE_CHARS = 8_000_000  # one CSV record without a line end; beyond it the file is refused


@dataclass(frozen=True)
class TableLimits:
    max_rows: int = 1_000_000
    max_cell_chars: int = 32_767             # Excel's own limit per cell
    max_xlsx_bytes: int = 300_000_000        # all members of the .xlsx zip, uncompressed
    max_xlsx_ratio: int = 100                # uncompressed / compressed, per member above 1 MB

    @classmethod
    def from_config(cls, config) -> "TableLimits":  # noqa: ANN001
        return cls(max_rows=config["IMPORT_MAX_ROWS"], max_cell_chars=config["IMPORT_MAX_CELL_CHARS"],
                   max_xlsx_bytes=config["IMPORT_MAX_XLSX_BYTES"], max_xlsx_ratio=config["IMPORT_MAX_XLSX_RATIO"])


def current_limits() -> TableLimits:
    """The running app's limits (a request or a job), else the defaults."""
    from flask import current_app, has_app_context
    return TableLimits.from_config(current_app.config) if has_app_context() else TableLimits()


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
        if len(buffer) > MAX_LINE_CHARS:
            raise TableError(f"一行超过 {MAX_LINE_CHARS} 个字符 / a line is longer than {MAX_LINE_CHARS} characters")
        if not chunk:
            break
        chunk = binary.read(1 << 20)
    if buffer:
        yield buffer


def _csv_rows(binary: IO[bytes]) -> Iterator[list[str]]:
    reader = csv.reader(_decode_lines(binary))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line = reader.line_num
            if "NUL" in str(exc):
                raise TableError(f"第{line}行含有 NUL 字符（不是文本文件？）/ line {line} contains a NUL "
                                 "character (not a text file?)") from None
            if "field larger" in str(exc):
                raise TableError(f"第{line}行的单元格过长 / a cell in line {line} is too long") from None
            raise TableError(f"第{line}行无法读取 / line {line} cannot be read as CSV: {exc}") from None
        yield [cell.strip() for cell in row]


def check_xlsx(binary: IO[bytes], limits: TableLimits) -> None:
    """Refuse a zip bomb before openpyxl inflates anything: the directory's sizes and ratios."""
    try:
        start = binary.tell()
        with zipfile.ZipFile(binary) as archive:
            members = archive.infolist()
        binary.seek(start)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise TableError(f"不是有效的 .xlsx 文件 / not a readable .xlsx workbook: {exc}") from None
    total = sum(m.file_size for m in members)
    if total > limits.max_xlsx_bytes:
        raise TableError(f"工作簿解压后 {total // 1_000_000} MB，超过上限 {limits.max_xlsx_bytes // 1_000_000} MB / "
                         f"the workbook inflates to {total} bytes, above the limit of {limits.max_xlsx_bytes}")
    for member in members:
        if member.file_size > 1_000_000 and member.file_size > limits.max_xlsx_ratio * max(member.compress_size, 1):
            raise TableError(f"工作簿压缩比异常（{member.filename}），疑似压缩炸弹 / {member.filename} inflates more than "
                             f"{limits.max_xlsx_ratio} times: refused as a possible zip bomb")


def _xlsx_rows(binary: IO[bytes], limits: TableLimits) -> Iterator[list[str]]:
    from openpyxl import load_workbook

    check_xlsx(binary, limits)
    try:
        workbook = load_workbook(binary, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a corrupt workbook
        raise TableError(f"not a readable .xlsx workbook: {exc}") from None
    try:
        sheet = workbook.worksheets[0]
        # read-only rows are padded to the declared width: a forged A1:XFD1 would make every row 16k cells
        if (sheet.max_column or 0) > MAX_COLUMNS:
            raise TableError(f"工作表超过 {MAX_COLUMNS} 列 / the sheet has more than {MAX_COLUMNS} columns")
        for row in sheet.iter_rows(values_only=True):
            yield [_cell_text(v) for v in row]
    finally:
        workbook.close()


def _bounded(rows: Iterator[list[str]], limits: TableLimits) -> Iterator[list[str]]:
    for number, row in enumerate(rows, start=1):
        if number > limits.max_rows:
            raise TableError(f"文件超过 {limits.max_rows} 行，请拆分后导入 / the file has more than "
                             f"{limits.max_rows} rows: split it")
        if len(row) > MAX_COLUMNS:
            raise TableError(f"第{number}行超过 {MAX_COLUMNS} 列 / row {number} has more than {MAX_COLUMNS} columns")
        for cell in row:
            if len(cell) > limits.max_cell_chars:
                raise TableError(f"第{number}行的单元格超过 {limits.max_cell_chars} 个字符 / a cell in row {number} "
                                 f"is longer than {limits.max_cell_chars} characters")
            if "\x00" in cell:
                raise TableError(f"第{number}行含有 NUL 字符 / row {number} contains a NUL character")
        yield row


def _open(source: str | Path | IO[bytes], filename: str | None) -> tuple[IO[bytes], str, bool]:
    if isinstance(source, (str, Path)):
        path = Path(source)
        return path.open("rb"), (filename or path.name), True
    return source, (filename or getattr(source, "name", "") or ""), False


def raw_rows(source: str | Path | IO[bytes], filename: str | None = None,
             limits: TableLimits | None = None) -> Iterator[list[str]]:
    """Every row of the file as a list of stripped strings (``.xlsx`` by name, CSV otherwise)."""
    limits = limits or current_limits()
    binary, name, owned = _open(source, filename)
    try:
        if str(name).lower().endswith((".xlsx", ".xlsm")):
            yield from _bounded(_xlsx_rows(binary, limits), limits)
        else:
            yield from _bounded(_csv_rows(binary), limits)
    finally:
        if owned:
            binary.close()


def read_table(source: str | Path | IO[bytes], expected_headers: Iterable[str], filename: str | None = None,
               scan: int = 10, limits: TableLimits | None = None) -> Iterator[tuple[int, dict[str, str]]]:
    """Yield ``(row_number, {header: value})`` for each non-blank data row (1-based file row numbers)."""
    wanted = {h.strip() for h in expected_headers}
    rows = raw_rows(source, filename, limits)
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
