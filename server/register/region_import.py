"""Region import from CSV/XLSX: 12-digit codes, names and the code vintage, validated as a tree.

Columns (Chinese or English headers): 区划代码/code, 名称/name, optional 年份/vintage and
上级代码/parent_code. The level and the parent follow from the code (server.roles); a given parent
must agree. Every non-province region needs its parent in the file or among ``existing`` codes.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import IO, Iterable

from server.roles import is_region_code, level_of, parent_code

from .tables import TableError, TableLimits, read_table

CODE = ("区划代码", "统计用区划代码", "代码", "code")
NAME = ("名称", "区划名称", "name")
VINTAGE = ("年份", "版本", "vintage")
PARENT = ("上级代码", "上级区划代码", "parent_code")


@dataclass(frozen=True)
class RegionRow:
    code: str
    name: str
    level: str
    parent_code: str | None
    vintage: int


@dataclass
class RegionImport:
    regions: list[RegionRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)   # {"row": n, "code": …, "message": zh/en}

    @property
    def ok(self) -> bool:
        return not self.errors


def _pick(row: dict, names: tuple[str, ...]) -> str:
    for name in names:
        if name in row:
            return row[name].strip()
    return ""


def read_regions(file: str | IO[bytes], *, filename: str | None = None, vintage: int | None = None,
                 existing: Iterable[str] = (), limits: TableLimits | None = None) -> RegionImport:
    """Parse and validate a region file; all errors are collected (nothing is partially valid)."""
    result = RegionImport()
    seen: dict[str, int] = {}
    known = set(existing)
    try:
        for number, row in read_table(file, CODE, filename=filename, limits=limits):
            code, name = _pick(row, CODE), _pick(row, NAME)
            error = None
            if not is_region_code(code):
                error = f"区划代码应为12位数字 / code must be 12 digits: {code!r}"
            elif not name:
                error = "名称为空 / name is empty"
            elif code in seen:
                error = f"区划代码重复（第{seen[code]}行）/ duplicate of row {seen[code]}"
            row_vintage = vintage
            text = _pick(row, VINTAGE)
            if text:
                try:
                    row_vintage = int(float(text))
                except ValueError:
                    error = error or f"年份无效 / vintage is not a year: {text!r}"
            if error is None and row_vintage is None:
                error = "缺少年份 / vintage missing (column or import option)"
            level = parent = None
            if error is None:
                try:
                    level, parent = level_of(code), parent_code(code)
                except ValueError as exc:
                    error = f"区划代码层级无效 / {exc}"
            given_parent = _pick(row, PARENT)
            if error is None and given_parent and given_parent != parent:
                error = f"上级代码与区划代码不符 / parent {given_parent} does not match the code (expected {parent})"
            if error:
                result.errors.append({"row": number, "code": code, "message": error})
                continue
            seen[code] = number
            result.regions.append(RegionRow(code, name, level, parent, row_vintage))
    except TableError as exc:
        result.errors.append({"row": 0, "code": "", "message": str(exc)})
        return result
    codes = set(seen) | known
    for region in result.regions:
        if region.parent_code and region.parent_code not in codes:
            result.errors.append({"row": seen[region.code], "code": region.code,
                                  "message": f"上级区划不存在 / parent {region.parent_code} is neither in the file "
                                             "nor already imported"})
    order = {lv: i for i, lv in enumerate(("province", "city", "county", "township", "village"))}
    result.regions.sort(key=lambda r: (order[r.level], r.code))   # parents before children
    return result
