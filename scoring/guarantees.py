"""两不愁三保障 + 饮水: compulsory education, basic medical care, safe housing, safe water.

Each status is "met", "not_met" or "unknown" (nothing declared and nothing in the data).
Rules GUA-01 … GUA-04.
"""
from __future__ import annotations

from typing import Any

from .members import Facts


MET, NOT_MET, UNKNOWN = "met", "not_met", "unknown"
DANGEROUS = frozenset(("C", "D"))
WATER_ITEMS = ("quality", "quantity", "convenience", "reliability")


def assess(record: dict, facts: Facts, medical_spending: Any, policy, findings: list) -> dict:
    g = record.get("guarantees") or {}
    add = findings.append
    return {
        "education": _education(g, facts, add),
        "medical": _medical(g, facts, medical_spending, policy.large_medical_cost, add),
        "housing": _housing(g, add),
        "water": _water(g, add),
    }


def _education(g, facts: Facts, add) -> str:
    status = MET
    for n, rel, age, reason in facts.out_of_school:
        if reason == "economic":
            add(("GUA-01", "not_met", {"member": n, "relation": rel, "age": age}))
            status = NOT_MET
        elif reason:
            add(("GUA-01", "other_reason", {"member": n, "relation": rel, "age": age,
                                            "reason": reason}))
        else:
            add(("GUA-01", "no_reason", {"member": n, "relation": rel, "age": age}))
    declared = g.get("school_dropout")
    if declared and status == MET:
        reason = g.get("school_dropout_reason")
        if reason in (None, "economic"):
            add(("GUA-01", "declared", {"reason": reason or "economic"}))
            status = NOT_MET
    if declared is None and not facts.count:
        return UNKNOWN
    return status


def _medical(g, facts: Facts, medical, threshold, add) -> str:
    status = MET
    for n, rel, reason in facts.uninsured:
        if reason == "personal" and medical >= threshold:
            add(("GUA-02", "not_met", {"member": n, "relation": rel, "medical": medical,
                                       "threshold": threshold}))
            status = NOT_MET
        else:
            add(("GUA-02", "attention", {"member": n, "relation": rel, "medical": medical,
                                         "threshold": threshold}))
    declared = g.get("medical_uninsured")
    if declared and not facts.uninsured:
        add(("GUA-02", "declared"))
        status = NOT_MET
    if declared is None and not facts.count:
        return UNKNOWN
    return status


def _housing(g, add) -> str:
    grade = g.get("house_grade")
    declared = g.get("housing_unsafe")
    dangerous = grade in DANGEROUS
    if dangerous and g.get("only_house") is False:
        add(("GUA-03", "not_only", {"grade": grade}))
        dangerous = False
    if dangerous:
        add(("GUA-03", "not_met", {"grade": grade}))
        if declared is False:
            add(("GUA-03", "inconsistent", {"declared": False, "grade": grade}))
        return NOT_MET
    if declared:
        add(("GUA-03", "declared", {"grade": grade}))
        if grade:
            add(("GUA-03", "inconsistent", {"declared": True, "grade": grade}))
        return NOT_MET
    if declared is None and grade is None:
        return UNKNOWN
    return MET


def _water(g, add) -> str:
    w = g.get("water")
    declared = g.get("water_unsafe")
    # ``False in values`` is a cheap pre-test: no False value, no failed item.
    failed = [k for k in WATER_ITEMS if w.get(k) is False] if w and False in w.values() else []
    if failed:
        add(("GUA-04", "not_met", {"failed": failed}))
        if declared is False:
            add(("GUA-04", "inconsistent", {"declared": False, "failed": failed}))
        return NOT_MET
    if declared:
        add(("GUA-04", "declared"))
        if w and all(w.get(k) is True for k in WATER_ITEMS):
            add(("GUA-04", "inconsistent", {"declared": True, "failed": []}))
        return NOT_MET
    if declared is None and not w:
        return UNKNOWN
    return MET
