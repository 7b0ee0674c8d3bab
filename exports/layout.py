"""Layouts: one declarative TOML file per sheet, compiled into a fast row builder.

A layout names its title, sheet, level (one row per ``household`` or per ``person``), an
optional row filter and its columns; each column names a header, a source path, a formatter of
:mod:`exports.formatters` with its options, and whether it is required or checked. The files
shipped with shoudi live in ``exports/layouts/``; a province copies one, edits it and passes its
path — no code change. The file format is documented in ``docs/exports.md``.

Source paths are dotted: ``member.*`` reads the person, ``record.*`` the household record,
``assessment.*`` scoring's assessment, anything else the export household itself
(``household_no``, ``region.county``, ``identified_on`` …). A number indexes a list
(``record.risks.0.code``).
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

from . import formatters
from .issues import (HOUSEHOLD_WITHOUT_HEAD, ID_CHECK_DIGIT, PERSON_WITHOUT_HOUSEHOLD,
                     PHONE_INVALID, REQUIRED_EMPTY)

LEVELS = ("household", "person")
CHECKS = ("id_number", "phone")
_COLUMN_KEYS = {"header", "source", "format", "required", "check", "width", "id_type"}
_MOBILE = re.compile(r"1[3-9]\d{9}")


class LayoutError(ValueError):
    """A layout file is malformed (unknown formatter, level, check or missing key)."""


@dataclass(frozen=True)
class Column:
    header: str
    source: str
    format: str = "text"
    required: bool = False
    check: str | None = None
    width: float = 12.0
    options: dict = field(default_factory=dict)

    @property
    def person_scoped(self) -> bool:
        return self.source.startswith("member.") or self.source == "member"


@dataclass(frozen=True)
class Layout:
    id: str
    title: str
    sheet: str
    level: str
    columns: tuple[Column, ...]
    include_if: str | None = None           # person rows: keep members where this source is truthy
    household_key: tuple[str, ...] = ()     # sources that must be non-empty on every person row
    description: str = ""

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def widths(self) -> list[float]:
        return [c.width for c in self.columns]


def _split(path: str) -> tuple[str, tuple]:
    parts = path.split(".")
    segs = tuple(int(p) if p.isdigit() else p for p in parts[1:])
    return parts[0], segs


def getter(path: str) -> Callable[[dict, dict | None], Any]:
    """A function ``(export_household, member) -> value`` for a source path."""
    root, segs = _split(path)

    def walk(obj, segs=segs):
        for s in segs:
            if obj is None:
                return None
            if type(s) is int:
                obj = obj[s] if isinstance(obj, list) and len(obj) > s else None
            else:
                obj = obj.get(s) if isinstance(obj, dict) else None
        return obj

    # Fast paths for the common one- and two-step paths (most layout columns).
    if root == "member":
        if len(segs) == 1 and type(segs[0]) is str:
            key = segs[0]
            return lambda hh, m: m.get(key) if type(m) is dict else None
        return lambda hh, m: walk(m)
    if not segs:
        return lambda hh, m: hh.get(root)
    if len(segs) == 1 and type(segs[0]) is str:
        key = segs[0]

        def one(hh, m):
            d = hh.get(root)
            return d.get(key) if type(d) is dict else None
        return one
    return lambda hh, m: walk(hh.get(root))


def parse(data: dict, origin: str = "<layout>") -> Layout:
    """Build a :class:`Layout` from the parsed TOML mapping (validating every column)."""
    try:
        level = data.get("level", "person")
        if level not in LEVELS:
            raise LayoutError(f"{origin}: level must be one of {LEVELS}, not {level!r}")
        columns = []
        for i, raw in enumerate(data["column"], start=1):
            if "header" not in raw or "source" not in raw:
                raise LayoutError(f"{origin}: column {i} needs header and source")
            opts = {k: v for k, v in raw.items() if k not in _COLUMN_KEYS}
            col = Column(header=raw["header"], source=raw["source"],
                         format=raw.get("format", "text"), required=bool(raw.get("required")),
                         check=raw.get("check"), width=float(raw.get("width", 12)), options=opts)
            if col.check is not None and col.check not in CHECKS:
                raise LayoutError(f"{origin}: column {col.header!r}: unknown check {col.check!r}")
            if col.check == "id_number" and "id_type" in raw:
                col.options["__id_type"] = raw["id_type"]
            try:
                formatters.make(col.format, col.options)
            except KeyError as exc:
                raise LayoutError(f"{origin}: column {col.header!r}: {exc}") from None
            if level == "household" and col.person_scoped:
                raise LayoutError(f"{origin}: column {col.header!r} reads a member in a household layout")
            columns.append(col)
        return Layout(id=data["id"], title=data["title"], sheet=data.get("sheet", data["title"]),
                      level=level, columns=tuple(columns), include_if=data.get("include_if"),
                      household_key=tuple(data.get("household_key", ())),
                      description=data.get("description", ""))
    except KeyError as exc:
        raise LayoutError(f"{origin}: missing key {exc}") from None


def load(path: str | Path) -> Layout:
    """Load a layout from a TOML file."""
    path = Path(path)
    with path.open("rb") as fh:
        return parse(tomllib.load(fh), str(path))


def builtin(layout_id: str) -> Layout:
    """One of the layouts shipped in ``exports/layouts/`` by id (file stem)."""
    ref = resources.files(__package__).joinpath("layouts", f"{layout_id}.toml")
    if not ref.is_file():
        raise LayoutError(f"no built-in layout {layout_id!r}; known: {', '.join(builtin_ids())}")
    return parse(tomllib.loads(ref.read_text("utf-8")), f"layouts/{layout_id}.toml")


def builtin_ids() -> list[str]:
    folder = resources.files(__package__).joinpath("layouts")
    return sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".toml"))


# --- row building -------------------------------------------------------------------------

RowProblems = list[tuple[int, str]] | None   # (column index or -1 for the row, issue code)


@dataclass
class _Compiled:
    index: int
    get: Callable
    fmt: Callable
    required: bool
    check: str | None
    id_type: Callable | None


def _id_check():
    # The GB 11643 check lives in scoring (one implementation); imported lazily so that a
    # layout without ID checks does not depend on it.
    from scoring import idcard
    return idcard.is_valid


def _check_id(is_valid, value: str, id_type: str | None) -> bool:
    if id_type in (None, "resident_id"):
        return is_valid(value)
    if id_type == "disability_cert":   # 20/22 chars: the 18-digit ID plus category and grade
        return len(value) in (20, 22) and is_valid(value[:18])
    return True


class RowBuilder:
    """Compiled layout: ``rows(households)`` yields ``(household, member, values, problems)``.

    Household-scoped cells are formatted once per household and repeated on its person rows.
    """

    def __init__(self, layout: Layout, today=None):
        self.layout = layout
        self._hh_cols: list[_Compiled] = []
        self._person_cols: list[_Compiled] = []
        needs_id = False
        for i, col in enumerate(layout.columns):
            opts = dict(col.options)
            id_type_src = opts.pop("__id_type", None)
            if today is not None and col.format in ("yyyymm", "date"):
                opts["today"] = today
            comp = _Compiled(i, getter(col.source), formatters.make(col.format, opts),
                             col.required, col.check,
                             getter(id_type_src) if id_type_src else None)
            needs_id |= col.check == "id_number"
            (self._person_cols if col.person_scoped else self._hh_cols).append(comp)
        self._is_valid_id = _id_check() if needs_id else None
        self._include = getter(layout.include_if) if layout.include_if else None
        self._key = [getter(src) for src in layout.household_key]
        self._width = len(layout.columns)

    def _cells(self, cols, hh, member, values, problems):
        for c in cols:
            cell, problem = c.fmt(c.get(hh, member))
            values[c.index] = cell
            if problem is None and c.check is not None and cell:
                problem = self._check(c, cell, hh, member)
            if problem is not None:
                problems.append((c.index, problem))
            elif c.required and (cell is None or cell == ""):
                problems.append((c.index, REQUIRED_EMPTY))

    def _check(self, c: _Compiled, cell, hh, member):
        if c.check == "id_number":
            id_type = c.id_type(hh, member) if c.id_type else None
            return None if _check_id(self._is_valid_id, str(cell), id_type) else ID_CHECK_DIGIT
        if c.check == "phone":
            return None if _MOBILE.fullmatch(str(cell)) else PHONE_INVALID
        return None

    def rows(self, households: Iterable[dict]) -> Iterator[tuple[dict, dict | None, list, RowProblems]]:
        width = self._width
        for hh in households:
            base = [None] * width
            hh_problems: list = []
            self._cells(self._hh_cols, hh, None, base, hh_problems)
            members = (hh.get("record") or {}).get("members") or []
            if not any(m.get("relation") == "head" for m in members):
                hh_problems.append((-1, HOUSEHOLD_WITHOUT_HEAD))
            if self.layout.level == "household":
                yield hh, None, base, hh_problems or None
                continue
            keyless = any(k(hh, None) in (None, "") for k in self._key)
            first = True
            for m in members:
                if self._include is not None and not self._include(hh, m):
                    continue
                values = base.copy()
                problems = list(hh_problems) if first else []  # household issues: first row only
                if keyless:
                    problems.append((-1, PERSON_WITHOUT_HOUSEHOLD))
                self._cells(self._person_cols, hh, m, values, problems)
                first = False
                yield hh, m, values, problems or None
