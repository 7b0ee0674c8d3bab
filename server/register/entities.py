"""Households as ODK entities: the ``households.csv`` entity list per user, its hash (manifest and
ETag) and the integrity document (openrosa.md §5).

A collector's list holds the live households of their own villages only. Property values are written
the way the forms store them (``yes``/``no`` for yes/no questions, space-separated codes for multiple
choice, numbers as plain text), so the follow-up form pre-fills exactly what was last registered.
"""
from __future__ import annotations

import hashlib
from functools import lru_cache
from typing import Iterator, Mapping
from xml.sax.saxutils import quoteattr

from sqlalchemy import func, select
from sqlalchemy.orm import Session


from .models import Household, HouseholdVersion
from .scope import region_condition

DATASET = "households"
FILENAME = "households.csv"


@lru_cache(maxsize=1)
def _property_paths() -> tuple[tuple[str, str | None, str], ...]:
    """(property, record path, value type) for every entity property, in list order."""
    from forms import ENTITY_PROPERTIES
    from forms.catalog import CATALOG
    from forms.fields import walk

    by_entity = {}
    for _groups, field in walk(CATALOG):
        if field.entity and field.entity not in by_entity:
            by_entity[field.entity] = (field.record, field.value)
    return tuple((name, *by_entity.get(name, (None, "str"))) for name in ENTITY_PROPERTIES)


def _get(record: Mapping, path: str | None):
    value = record
    for part in (path or "").split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _text(value, kind: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def entity_properties(record: Mapping) -> dict[str, str | None]:
    """The entity properties of a household record, as the forms' raw values."""
    out: dict[str, str | None] = {}
    for name, path, kind in _property_paths():
        if name == "risks":
            codes = [r.get("code") for r in record.get("risks") or [] if isinstance(r, Mapping) and r.get("code")]
            out[name] = " ".join(codes) if codes else None
        else:
            out[name] = _text(_get(record, path), kind)
    return out


def _scope(role: str, region_codes: list[str]):
    return region_condition(Household.region_code, role, region_codes), Household.current_version_id.is_not(None)


def list_hash(session: Session, role: str, region_codes: list[str]) -> str:
    """Changes whenever a household in scope is added or gets a new version (Central's hash is
    likewise over dataset activity, not the bytes)."""
    count, total_versions, last_change, max_id = session.execute(
        select(func.count(), func.coalesce(func.sum(Household.entity_version), 0), func.max(Household.updated_at),
               func.max(Household.id)).where(*_scope(role, region_codes))).one()
    text = f"{role}|{','.join(sorted(region_codes))}|{count}|{total_versions}|{last_change}|{max_id}"
    return hashlib.md5(text.encode(), usedforsecurity=False).hexdigest()


def entity_rows(session: Session, role: str, region_codes: list[str]) -> Iterator[tuple[str, str, int, dict]]:
    from forms.entities import picker_label

    rows = session.execute(
        select(Household.entity_id, Household.head_name, Household.region_code, Household.entity_version,
               HouseholdVersion.record)
        .join(HouseholdVersion, HouseholdVersion.id == Household.current_version_id)
        .where(*_scope(role, region_codes)).order_by(Household.id).execution_options(yield_per=500))
    for entity_id, head_name, region_code, version, record in rows:
        properties = entity_properties(record)
        yield entity_id, picker_label(head_name, properties), version, properties


def households_csv(session: Session, role: str, region_codes: list[str]) -> bytes:
    return b"".join(iter_households_csv(session, role, region_codes))


def iter_households_csv(session: Session, role: str, region_codes: list[str], chunk: int = 1000) -> Iterator[bytes]:
    """The entity list in chunks (a county's list need not sit in memory); the layout is the forms'
    own writer (``forms.households_csv``), its header sent once."""
    from itertools import islice

    from forms import households_csv as write

    rows = entity_rows(session, role, region_codes)
    first = True
    while True:
        batch = list(islice(rows, chunk))
        if not batch and not first:
            return
        data = write(batch)
        yield data if first else data.split(b"\n", 1)[1]
        first = False
        if len(batch) < chunk:
            return


def integrity_xml(session: Session, role: str, region_codes: list[str], ids: list[str] | None) -> str:
    """``<data><entities><entity id="…"><deleted>false</deleted></entity>…``; an id outside the
    user's list (unknown, or no longer theirs) is reported deleted so the phone drops it."""
    live = set(session.scalars(select(Household.entity_id).where(*_scope(role, region_codes))))
    wanted = sorted(live) if ids is None else ids
    parts = ["<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<data><entities>"]
    for entity_id in wanted:
        deleted = "false" if entity_id in live else "true"
        parts.append(f"<entity id={quoteattr(entity_id)}><deleted>{deleted}</deleted></entity>")
    parts.append("</entities></data>")
    return "".join(parts)


__all__ = ["DATASET", "FILENAME", "entity_properties", "list_hash", "entity_rows", "households_csv",
           "iter_households_csv", "integrity_xml"]
