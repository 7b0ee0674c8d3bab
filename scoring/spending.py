"""合规自付支出: the five eligible kinds of 002 and what does not count (SPD-01 … SPD-04)."""
from __future__ import annotations

from .income import _amount
from .members import Facts

KINDS = ("education", "medical", "housing", "water", "disaster_loss")
DANGEROUS = frozenset(("C", "D"))


def compute(record: dict, facts: Facts, findings: list) -> dict:
    """Eligible spending by kind, what was left out and why, and the total."""
    sp = record.get("spending")
    if not sp or not any(sp.values()):
        return {"total": 0, "by_kind": {}, "excluded": {}}
    by_kind = {}
    excluded = {}
    for kind in KINDS:
        v = sp.get(kind)
        if type(v) is int or type(v) is float:
            if v >= 0:
                by_kind[kind] = v
                continue
        try:
            v = _amount(sp.get(kind))
        except ValueError:
            findings.append(("INC-05", "not_a_number", {"field": f"spending.{kind}",
                                            "value": str(sp.get(kind))}))
            v = 0
        if v < 0:
            findings.append(("INC-05", "negative", {"field": f"spending.{kind}", "amount": v}))
            v = 0
        by_kind[kind] = v
    housing = by_kind["housing"]
    if housing:
        g = record.get("guarantees") or {}
        grade = g.get("house_grade")
        if record.get("relocated_settlement"):
            findings.append(("SPD-02", "relocated", {"amount": housing}))
            excluded["housing"] = housing
            by_kind["housing"] = 0
        elif grade and grade not in DANGEROUS:
            findings.append(("SPD-02", "safe_grade", {"amount": housing, "grade": grade}))
            excluded["housing"] = housing
            by_kind["housing"] = 0
        elif grade and g.get("only_house") is False:
            findings.append(("SPD-02", "not_only_house", {"amount": housing}))
            excluded["housing"] = housing
            by_kind["housing"] = 0
    if by_kind["education"] and not facts.students:
        findings.append(("SPD-03", "no_student", {"amount": by_kind["education"]}))
    if by_kind["medical"] and not facts.ill and not facts.disabled:
        findings.append(("SPD-04", "no_patient", {"amount": by_kind["medical"]}))
    total = sum(by_kind.values())
    if total:
        findings.append(("SPD-01", "total", {"total": total, **by_kind}))
    return {"total": total, "by_kind": by_kind, "excluded": excluded}
