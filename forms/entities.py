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
