"""Which procedure (and which parameters) applies in a region.

A configuration maps, per procedure kind, region-code prefixes to a procedure name, and region
prefixes to parameter overrides; the longest matching prefix wins, ``default`` otherwise. The
built-in configuration uses the Inner Mongolia 8 steps in Inner Mongolia (codes ``15…``) and the
simplified one-notice procedure elsewhere. Deployments pass their own mapping (e.g. from JSON).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from .definitions import PROCEDURES, Procedure

DEFAULT_CONFIG = {
    "identification": {"default": "identification_simplified", "15": "identification_im8"},
    "elimination": {"default": "elimination"},
    "gradual_exit": {"default": "gradual_exit"},
    # Inner Mongolia 2021 plan (002) sets no minimum monitoring time before elimination.
    "params": {"15": {"elimination": {"min_months_monitored": 0}}},
}


class UnknownProcedure(KeyError):
    pass


def _longest_prefix(mapping: Mapping[str, object], region_code: str):
    best = None
    for prefix in mapping:
        if prefix != "default" and region_code.startswith(prefix) and (best is None or len(prefix) > len(best)):
            best = prefix
    return mapping[best] if best is not None else mapping.get("default")


def validate_config(config: Mapping) -> None:
    """Raise ``UnknownProcedure`` when a mapping names a procedure that does not exist or has the
    wrong kind."""
    for kind, mapping in config.items():
        if kind == "params":
            continue
        for prefix, name in mapping.items():
            proc = PROCEDURES.get(name)
            if proc is None or proc.kind != kind:
                raise UnknownProcedure(f"{kind}/{prefix}: {name!r} is not a {kind} procedure")


def procedure_for(kind: str, region_code: str, config: Mapping | None = None) -> Procedure:
    """The procedure of ``kind`` for ``region_code``, with the region's parameter overrides applied."""
    config = config or DEFAULT_CONFIG
    mapping = config.get(kind)
    if not mapping:
        raise UnknownProcedure(f"no procedure configured for {kind!r}")
    name = _longest_prefix(mapping, region_code)
    proc = PROCEDURES.get(name)
    if proc is None or proc.kind != kind:
        raise UnknownProcedure(f"{kind}: {name!r} is not a {kind} procedure")
    params = dict(proc.params)
    overrides = config.get("params") or {}
    for prefix in sorted((p for p in overrides if region_code.startswith(p)), key=len):
        params.update((overrides[prefix] or {}).get(kind, {}))
    return replace(proc, params=params) if params != proc.params else proc
