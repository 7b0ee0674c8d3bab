"""Formatters: turn one source value into the text or number a national sheet expects.

A layout column names a formatter (``format = "code"``) and its options; :func:`make` builds a
callable ``value -> (cell, problem)`` once per column, so the per-cell cost stays small.
``problem`` is None or an issue code of :mod:`exports.issues` (e.g. a value outside its code list).
Code values become the national text labels of :mod:`scoring.codes` (``Code.label``).
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Callable

from scoring import codes as _codes

from .issues import CODE_NOT_IN_LIST, DATE_OUT_OF_RANGE, INVALID_VALUE

Formatter = Callable[[Any], tuple[Any, str | None]]

YES, NO = _codes.YES_NO.get("yes").label, _codes.YES_NO.get("no").label


def _labels(list_name: str) -> dict[str, str]:
    return {item.code: item.label for item in _codes.code_list(list_name)}


def _text(_opts) -> Formatter:
    def fmt(v):
        if v is None:
            return None, None
        return (v if type(v) is str else str(v)).strip(), None
    return fmt


def _code(opts) -> Formatter:
    labels = _labels(opts["codes"])

    def fmt(v):
        if v is None or v == "":
            return None, None
        label = labels.get(v)
        if label is None:
            return str(v), CODE_NOT_IN_LIST
        return label, None
    return fmt


def _codes_multi(opts) -> Formatter:
    labels = _labels(opts["codes"])
    sep = opts.get("separator", ",")

    def fmt(v):
        if not v:
            return None, None
        if isinstance(v, str):
            v = v.split()
        out, problem = [], None
        for item in v:
            label = labels.get(item)
            if label is None:
                problem = CODE_NOT_IN_LIST
                label = str(item)
            out.append(label)
        return sep.join(out), problem
    return fmt


def _yes_no(opts) -> Formatter:
    invert = bool(opts.get("invert"))

    def fmt(v):
        if v is None or v == "":
            return None, None
        if type(v) is not bool:
            if v in ("yes", "true", "1", 1):
                v = True
            elif v in ("no", "false", "0", 0):
                v = False
            else:
                return str(v), INVALID_VALUE
        return (NO if v else YES) if invert else (YES if v else NO), None
    return fmt


def _parse_month(text: str) -> tuple[int, int] | None:
    try:
        year, month = int(text[0:4]), int(text[5:7])
    except (ValueError, TypeError):
        return None
    if len(text) < 7 or text[4] != "-" or not 1 <= month <= 12:
        return None
    return year, month


def _month_bounds(opts) -> tuple[tuple[int, int], tuple[int, int]]:
    low = _parse_month(opts.get("min", "2016-01")) or (2016, 1)
    high_text = opts.get("max", "today")
    if high_text == "today":
        today = opts.get("today") or _dt.date.today()
        high = (today.year, today.month)
    else:
        high = _parse_month(high_text) or (9999, 12)
    return low, high


def _yyyymm(opts) -> Formatter:
    low, high = _month_bounds(opts)

    def fmt(v):
        if not v:
            return None, None
        ym = _parse_month(str(v))
        if ym is None:
            return str(v), INVALID_VALUE
        text = f"{ym[0]:04d}{ym[1]:02d}"
        return text, (None if low <= ym <= high else DATE_OUT_OF_RANGE)
    return fmt


def _date(opts) -> Formatter:
    low, high = _month_bounds({"min": opts.get("min", "1900-01"), "max": opts.get("max", "today"),
                               "today": opts.get("today")})
    pattern = opts.get("pattern", "%Y-%m-%d")

    def fmt(v):
        if not v:
            return None, None
        try:
            d = _dt.date.fromisoformat(str(v)[:10])
        except ValueError:
            return str(v), INVALID_VALUE
        return d.strftime(pattern), (None if low <= (d.year, d.month) <= high else DATE_OUT_OF_RANGE)
    return fmt


def _number(opts) -> Formatter:
    digits = opts.get("decimals")
    low, high = opts.get("min"), opts.get("max")

    def fmt(v):
        if v is None or v == "":
            return None, None
        if type(v) is bool or not isinstance(v, (int, float)):
            try:
                v = float(v)
            except (TypeError, ValueError):
                return str(v), INVALID_VALUE
        if digits is not None:
            v = round(v, digits)
            if digits == 0:
                v = int(v)
        if isinstance(v, float) and v.is_integer() and digits is None:
            v = int(v)
        problem = None
        if (low is not None and v < low) or (high is not None and v > high):
            problem = INVALID_VALUE
        return v, problem
    return fmt


def _count(_opts) -> Formatter:
    def fmt(v):
        return (len(v) if v else 0), None
    return fmt


def _has(opts) -> Formatter:
    """是/否: does a list of dicts contain an item whose ``key`` equals ``value``."""
    key, wanted = opts["key"], opts["value"]

    def fmt(v):
        if not v:
            return NO, None
        for item in v:
            if isinstance(item, dict) and item.get(key) == wanted:
                return YES, None
        return NO, None
    return fmt


def _is(opts) -> Formatter:
    """是/否: is the value one of ``values`` (or equal to ``value``)."""
    wanted = set(opts.get("values") or [opts.get("value")])

    def fmt(v):
        if v is None or v == "":
            return None, None
        return (YES if v in wanted else NO), None
    return fmt


def _pick(opts) -> Formatter:
    """From a list of dicts, the ``field`` of the first item whose ``key`` equals ``value``,
    as a code label when ``codes`` is given."""
    key, wanted, field = opts["key"], opts["value"], opts["field"]
    inner = _code(opts) if "codes" in opts else _text(opts)

    def fmt(v):
        for item in v or ():
            if isinstance(item, dict) and item.get(key) == wanted:
                return inner(item.get(field))
        return None, None
    return fmt


def _fixed(opts) -> Formatter:
    value = opts.get("value")

    def fmt(_v):
        return value, None
    return fmt


FORMATTERS: dict[str, Callable[[dict], Formatter]] = {
    "text": _text,
    "code": _code,
    "codes": _codes_multi,
    "yes_no": _yes_no,
    "yyyymm": _yyyymm,
    "date": _date,
    "number": _number,
    "count": _count,
    "has": _has,
    "is": _is,
    "pick": _pick,
    "fixed": _fixed,
}


def make(name: str, options: dict | None = None) -> Formatter:
    """The formatter ``name`` configured with ``options`` (raises KeyError for unknown names)."""
    try:
        factory = FORMATTERS[name]
    except KeyError:
        raise KeyError(f"unknown formatter {name!r}; known: {', '.join(sorted(FORMATTERS))}") from None
    return factory(dict(options or {}))
