"""National-system workbooks: a layout's sheet (two title rows, header on row 3) plus a
validation sheet listing every row the national system would refuse.

Pure row building is :class:`exports.layout.RowBuilder`; this module only streams it into
:class:`exports.xlsx.Workbook`, so memory stays bounded whatever the number of households.
"""
from __future__ import annotations

import datetime as _dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable, Iterable

from .issues import VALIDATION_HEADER, Issue
from .layout import Layout, RowBuilder
from .xlsx import Workbook

VALIDATION_SHEET = "校验结果"


@dataclass
class ExportSummary:
    layout_id: str
    households: int = 0
    rows: int = 0
    issues: int = 0
    issues_by_code: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict:
        return {"layout": self.layout_id, "households": self.households, "rows": self.rows,
                "issues": self.issues, "issues_by_code": dict(self.issues_by_code)}


def region_line(region_label: str, as_of: _dt.date) -> str:
    """The second title row: region and date, as the national exports print them."""
    return f"行政区划：{region_label}　　导出日期：{as_of.year}年{as_of.month:02d}月{as_of.day:02d}日"


def issues_for(builder_rows, layout: Layout, first_row: int = 4) -> Iterable[tuple[list, list[Issue]]]:
    """Pair each built row with its :class:`Issue` objects (row numbers as Excel shows them)."""
    headers = layout.headers
    r = first_row
    for hh, member, values, problems in builder_rows:
        found: list[Issue] = []
        if problems:
            record = hh.get("record") or {}
            for col, code in problems:
                value = None
                if col >= 0 and values[col] not in (None, ""):
                    value = str(values[col])
                found.append(Issue(layout.sheet, r, hh.get("household_no"), record.get("head_name"),
                                   member.get("name") if member else None,
                                   headers[col] if col >= 0 else "", value, code))
        yield values, found
        r += 1


def write_workbook(target, layout: Layout, households: Iterable[dict], *, region_label: str,
                   as_of: _dt.date | None = None, today: _dt.date | None = None,
                   progress: Callable[[int], None] | None = None) -> ExportSummary:
    """Write ``households`` (export households, see docs/exports.md) as one national workbook.

    ``target`` is a path or a binary file object. ``progress(n)`` is called with the number of
    households done since the previous call (every 500 households and at the end).
    """
    as_of = as_of or _dt.date.today()
    summary = ExportSummary(layout.id)
    builder = RowBuilder(layout, today=today or as_of)
    width = len(layout.columns)
    counted = _Counting(households)
    with Workbook(target) as book:
        data = book.sheet(layout.sheet, widths=layout.widths, freeze_rows=3, columns=width,
                          landscape=True)
        check = book.sheet(VALIDATION_SHEET, widths=[14, 7, 18, 10, 10, 24, 22, 40, 22],
                           freeze_rows=3, columns=len(VALIDATION_HEADER), deferred=True)
        data.merged_title(layout.title, width, height=28)
        data.merged_title(region_line(region_label, as_of), width, style="subtitle")
        data.row(layout.headers, style="header", height=42)
        check.merged_title(f"{layout.title} 校验结果：国家系统将拒绝的行（请在守底中修正后再录入）",
                           len(VALIDATION_HEADER), height=24)
        check.merged_title(region_line(region_label, as_of), len(VALIDATION_HEADER), style="subtitle")
        check.row(VALIDATION_HEADER, style="header")
        row = data.row
        reported = 0
        for values, found in issues_for(builder.rows(counted), layout):
            row(values)
            summary.rows += 1
            for issue in found:
                check.row([issue.sheet, issue.row, issue.household_no, issue.head_name,
                           issue.person_name, issue.column, issue.value,
                           f"{issue.message_zh}（{issue.message_en}）", issue.code])
                summary.issues += 1
                summary.issues_by_code[issue.code] += 1
            if progress is not None and counted.n - reported >= 500:
                progress(counted.n - reported)
                reported = counted.n
        if summary.issues == 0:
            check.row(["未发现国家系统将拒绝的行（No row would be refused）"])
        data.close()
        check.close()
    summary.households = counted.n
    if progress is not None and counted.n > reported:
        progress(counted.n - reported)
    return summary


class _Counting:
    """Iterates households while counting them."""

    def __init__(self, items: Iterable[dict]):
        self._items = items
        self.n = 0

    def __iter__(self):
        for item in self._items:
            self.n += 1
            yield item
