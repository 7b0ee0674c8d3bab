"""Assistance measures for a household in monitoring (MEA-01 … MEA-03; Gzuwkj, domain.md §5).

- MEA-01: at least one measure within a month of identification (rules/1_11_010).
- MEA-02: a household with able labour still monitored ≥ 6 months after identification needs a
  开发式 measure (产业, 就业, 金融, 公益岗位; rules/5_12_007).
- MEA-03: each declared risk needs a matching measure once the first month has passed (§5.1).
"""
from __future__ import annotations

from datetime import date

from . import codes

FIRST_MEASURE_MONTHS = 1
DEVELOPMENTAL_AFTER_MONTHS = 6
_DEVELOPMENTAL = frozenset(codes.DEVELOPMENTAL_MEASURES)
# Risk → measures that answer it (domain.md §5.1 consistency column).
RISK_MEASURES = {
    "illness": ("health", "social_assistance"),
    "disability": ("social_protection", "social_assistance"),
    "education": ("compulsory_education", "other_education", "social_assistance"),
    "housing": ("housing_security", "relocation"),
    "water": ("water_security",),
}


def check(record: dict, history: dict, identified: date | None, as_of: date, months: int,
          able_workers: int, findings: list) -> None:
    """``months``: whole months since identification (``identified`` must not be None)."""
    if identified is None:
        return
    taken = set()
    for m in list(history.get("measures") or ()) + list(record.get("measures") or ()):
        if isinstance(m, dict) and m.get("measure"):
            taken.add(m["measure"])
    if not taken and months >= FIRST_MEASURE_MONTHS:
        findings.append(("MEA-01", "none", {"identified": identified.isoformat(), "months": months}))
    if able_workers and months >= DEVELOPMENTAL_AFTER_MONTHS and not (taken & _DEVELOPMENTAL):
        findings.append(("MEA-02", "none", {"identified": identified.isoformat(), "months": months,
                                "able": able_workers}))
    if months >= FIRST_MEASURE_MONTHS and taken:
        for r in record.get("risks") or ():
            code = r.get("code") if isinstance(r, dict) else r
            needed = RISK_MEASURES.get(code)  # type: ignore[arg-type]
            if needed and not taken.intersection(needed):
                findings.append(("MEA-03", "missing", {"risk": code, "measures": list(needed)}))
