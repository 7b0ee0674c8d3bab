"""Incremental export selection: which households belong in the next batch of a layout.

A batch of a (layout, region) takes the households approved or changed after the previous
batch's cut-off; a full export takes all. The server records batches (who, when, cut-off, what)
and queries the register with the same rule; this pure version serves plain data and tests.
"""
from __future__ import annotations

import datetime as _dt
from typing import Iterable, Iterator


def parse_instant(value) -> _dt.datetime | None:
    """An ISO 8601 string or datetime as an aware UTC datetime (naive = UTC)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = _dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    elif isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        value = _dt.datetime(value.year, value.month, value.day)
    if value.tzinfo is None:
        value = value.replace(tzinfo=_dt.timezone.utc)
    return value.astimezone(_dt.timezone.utc)


def last_change(hh: dict) -> _dt.datetime | None:
    """The later of ``updated_at`` and ``approved_at`` of an export household."""
    times = [t for t in (parse_instant(hh.get("updated_at")), parse_instant(hh.get("approved_at")))
             if t is not None]
    return max(times) if times else None


def changed_since(households: Iterable[dict], since) -> Iterator[dict]:
    """Households changed or approved strictly after ``since`` (None = all: a full export).

    A household without any timestamp is always included, so nothing is silently left out.
    """
    cut = parse_instant(since)
    for hh in households:
        if cut is None:
            yield hh
            continue
        t = last_change(hh)
        if t is None or t > cut:
            yield hh
