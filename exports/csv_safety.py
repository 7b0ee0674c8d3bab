"""Spreadsheet formula injection: every CSV the exports write goes through :func:`writer`.

A cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is read as a
formula by Excel, WPS and LibreOffice (``=HYPERLINK(…)``, ``@SUM(…)``, DDE). As OWASP advises
("CSV Injection"), such a cell is written with a leading apostrophe, which spreadsheets show as
text and do not evaluate; the csv module quotes it as needed. Plain numbers (``-12.5``, ``+86``,
``-1e3``) cannot be formulas and are kept as they are, so negative altitudes or amounts stay numbers.
The XLSX writer (exports/xlsx.py) needs none of this: it writes every text as an inline string,
never a formula.
"""
from __future__ import annotations

import csv
import re
from typing import Any, Iterable

TRIGGERS = frozenset("=+-@\t\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value: Any) -> Any:
    """The cell as a spreadsheet will show it but never evaluate it."""
    if type(value) is str and value and value[0] in TRIGGERS and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


class SafeWriter:
    """`csv.writer` whose rows are neutralised cell by cell (one place for every CSV export)."""

    __slots__ = ("_writer",)

    def __init__(self, fileobj, **fmtparams) -> None:  # noqa: ANN001, ANN003
        self._writer = csv.writer(fileobj, **fmtparams)

    def writerow(self, row: Iterable[Any]):  # noqa: ANN201
        return self._writer.writerow([safe_cell(c) if type(c) is str and c and c[0] in TRIGGERS else c
                                      for c in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fileobj, **fmtparams) -> SafeWriter:  # noqa: ANN001, ANN003
    return SafeWriter(fileobj, **fmtparams)
