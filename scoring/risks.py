"""Risk consistency: declared risks need supporting data, and data imply undeclared risks.

Rules RSK-01 … RSK-10 (domain.md §5.1). Returns (declared, inferred) risk code lists.
"""
from __future__ import annotations

from . import codes
from .members import Facts

_KNOWN = frozenset(codes.RISK.codes)


def check(record: dict, facts: Facts, spending: dict, guarantees: dict, policy,
          findings: list) -> tuple[list, list]:
    declared = []
    raw = record.get("risks") or ()
    if len(raw) > codes.MAX_RISKS:
        findings.append(("RSK-09", "too_many", {"count": len(raw), "max": codes.MAX_RISKS}))
    medical = spending["by_kind"].get("medical", 0) if spending["by_kind"] else 0
    for r in raw:
        code = r.get("code") if isinstance(r, dict) else r
        if code not in _KNOWN:
            findings.append(("RSK-09", "unknown_code", {"code": code}))
            continue
        if code in declared:
            findings.append(("RSK-09", "duplicate", {"risk": code}))
            continue
        declared.append(code)
        if code == "illness":
            if not facts.ill:
                findings.append(("RSK-01", "no_patient"))
            elif not medical:
                findings.append(("RSK-01", "no_spending"))
        elif code == "disability":
            if not facts.disabled:
                findings.append(("RSK-02", "no_disabled"))
        elif code == "lack_of_labour":
            if facts.count and facts.able * 4 > facts.count:
                findings.append(("RSK-03", "able", {"able": facts.able, "members": facts.count}))
        elif code == "unstable_employment":
            if facts.count and not facts.working:
                findings.append(("RSK-04", "no_labour"))
            elif facts.count and not facts.workers:
                findings.append(("RSK-04", "no_work"))
        elif code == "natural_disaster":
            if not (isinstance(r, dict) and r.get("disaster")):
                findings.append(("RSK-05", "no_subitem"))
        elif code == "other":
            if not (isinstance(r, dict) and (r.get("note") or "").strip()):
                findings.append(("RSK-06", "no_note"))
        elif code == "education":
            if not facts.students:
                findings.append(("RSK-07", "no_student"))
        elif code == "housing":
            if guarantees["housing"] == "met":
                findings.append(("RSK-08", "housing_met"))
        elif code == "water":
            if guarantees["water"] == "met":
                findings.append(("RSK-08", "water_met"))

    inferred = []
    if facts.ill and medical > 0 and "illness" not in declared:
        inferred.append("illness")
    if facts.disabled and "disability" not in declared:
        inferred.append("disability")
    if facts.count and not facts.able and "lack_of_labour" not in declared:
        inferred.append("lack_of_labour")
    if guarantees["housing"] == "not_met" and "housing" not in declared:
        inferred.append("housing")
    if guarantees["water"] == "not_met" and "water" not in declared:
        inferred.append("water")
    if "education" not in declared and (
            guarantees["education"] == "not_met"
            or (policy.college_students_risk and facts.college >= policy.college_students_risk)):
        inferred.append("education")
    for code in inferred:
        findings.append(("RSK-10", "inferred", {"risk": code, "evidence": code}))
    return declared, inferred
