"""The ``households`` entity list as the follow-up forms read it (``households.csv``).

The server owns the entities; this module only fixes the file layout so that both sides agree:
header ``name,label,__version,*ENTITY_PROPERTIES``, one row per live entity, ``name`` = bare UUID.
"""
from __future__ import annotations

import csv
import io
from typing import Iterable, Mapping

from .catalog import ENTITY_PROPERTIES


def entity_list_header() -> tuple[str, ...]:
    return ("name", "label", "__version", *ENTITY_PROPERTIES)


def picker_label(head_name: str | None, properties: Mapping[str, object]) -> str:
    """The label of a household in the follow-up picker (the list is already one village's):
    the head, the household size and the last visit, e.g. ``王建国（4人，上次走访 2026-10-08）``."""
    people = _text(properties.get("people_count"))
    last = _text(properties.get("last_visit"))
    details = [f"{people}人" if people else None, f"上次走访 {last[:10]}" if last else None]
    details = [d for d in details if d]
    return f"{head_name or '?'}（{'，'.join(details)}）" if details else (head_name or "?")


def households_csv(rows: Iterable[tuple[str, str, int, Mapping[str, object]]]) -> bytes:
    """CSV bytes from ``(entity_id, label, version, properties)`` rows; unknown properties are
    dropped, missing ones left empty, ``uuid:`` prefixes removed."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(entity_list_header())
    for entity_id, label, version, props in rows:
        entity_id = entity_id[5:] if entity_id.startswith("uuid:") else entity_id
        writer.writerow([entity_id, label, int(version),
                         *("" if props.get(p) is None else str(props[p]) for p in ENTITY_PROPERTIES)])
    return out.getvalue().encode("utf-8")


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple)):
        return " ".join(str(v) for v in value) or None
    return str(value)


def _get(record: Mapping, path: str):
    value = record
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def entity_properties(record: Mapping) -> dict[str, str | None]:
    """The entity properties of a household record (docs/household-record.md), as the forms
    would save them: codes as codes, yes/no for booleans, numbers without a trailing ``.0``.
    The three risk properties come from ``record["risks"]``."""
    from .catalog import CATALOG
    from .fields import HOUSEHOLD_SURVEY, walk
    risks = [r for r in record.get("risks") or [] if isinstance(r, Mapping) and r.get("code")]
    derived = {
        "risks": " ".join(r["code"] for r in risks) or None,
        "risk_disaster": next((r.get("disaster") for r in risks if r["code"] == "natural_disaster"), None),
        "risk_note": next((r.get("note") for r in risks if r["code"] == "other"), None),
    }
    out: dict[str, str | None] = {}
    for _, f in walk(CATALOG, HOUSEHOLD_SURVEY):
        if f.entity:
            out[f.entity] = derived[f.entity] if f.entity in derived else \
                _text(_get(record, f.record)) if f.record else None
    return out
