"""The household category (CAT-01 … CAT-06): 脱贫不稳定户 / 边缘易致贫户 / 突发严重困难户 / none,
Anhui's three classes of 脱贫户, and Yiyuan's relative-poverty test.
"""
from __future__ import annotations

from typing import Any

from .income import to_fen


_YIYUAN_HARDSHIP = ("illness", "education", "accident")


def hardship(income: dict, spending_total: Any, policy, previous_net) -> tuple:
    """(variant, data) when rigid spending or an income drop makes living hard, else (None, {})."""
    net, people = income["net"], income["people"]
    if spending_total and people:
        if policy.rigid_spending_test == "after_spending_below_floor":
            after = to_fen((net - spending_total) / people)
            if after < policy.floor:
                return "spending", {"spending": spending_total, "after_spending": after}
        elif spending_total > net:
            return "spending_exceeds", {"spending": spending_total, "net": net}
    if previous_net and previous_net > 0 and net <= previous_net * (1 - policy.income_drop_ratio):
        return "income_drop", {"net": net, "previous": previous_net,
                               "drop_pct": round((1 - net / previous_net) * 100, 1),
                               "ratio_pct": round(policy.income_drop_ratio * 100, 1)}
    return None, {}


def decide(record: dict, income: dict, spending_total: Any, guarantees: dict, risks: list,
           policy, previous_net, findings: list) -> dict:
    """Category code (or None) plus the regional extras; appends the deciding finding."""
    pc = income["per_capita"]
    floor = policy.floor
    out: dict[str, Any] = {"category": None, "alleviated_class": None, "relative_poverty": None,
           "hardship": None}
    if pc is None:
        findings.append(("CAT-04", "unknown"))
        return out
    htype = record.get("household_type")
    alleviated = htype == "alleviated"
    if not alleviated and htype != "ordinary":
        findings.append(("PLS-12", "household_type", {"value": str(htype)}))
    base = {"per_capita": pc, "floor": floor, "risks": risks, "policy_source": policy.floor_source}
    trigger, tdata = hardship(income, spending_total, policy, previous_net)
    out["hardship"] = trigger
    if pc < floor:
        if risks:
            out["category"] = "unstable" if alleviated else "marginal"
            findings.append(("CAT-01" if alleviated else "CAT-02", "below", base))
        else:
            findings.append(("CAT-04", "below_no_risk", base))
    elif trigger:
        causes = [r for r in risks if r in policy.sudden_hardship_causes]
        if causes:
            out["category"] = "sudden_hardship"
            findings.append(("CAT-03", trigger, {**base, **tdata, "risks": causes}))
        else:
            findings.append(("CAT-04", "hardship_no_cause",
                 {**base, "causes": list(policy.sudden_hardship_causes)}))
    else:
        findings.append(("CAT-04", "above", base))

    line = policy.alleviated_class_line
    if line and alleviated:
        if out["category"]:
            cls = "monitored"
        elif pc >= line and not risks:
            cls = "not_entitled"
        else:
            cls = "entitled"
        out["alleviated_class"] = cls
        findings.append(("CAT-05", cls, {"per_capita": pc, "floor": floor, "line": line}))

    if policy.relative_poverty:
        rule = policy.floor_rule if isinstance(policy.floor_rule, dict) else {}
        data = {"per_capita": pc, "floor": floor}
        if pc < floor:
            out["relative_poverty"] = True
            findings.append(("CAT-06", "quantitative", {
                **data, "base": rule.get("base_value"), "base_year": str(rule.get("base_year")),
                "ratio_pct": round(float(rule.get("ratio", 0)) * 100, 1)}))
        elif "not_met" in guarantees.values():
            out["relative_poverty"] = True
            findings.append(("CAT-06", "qualitative", {**data, "reason": "guarantees"}))
        elif trigger and any(r in _YIYUAN_HARDSHIP for r in risks):
            out["relative_poverty"] = True
            findings.append(("CAT-06", "qualitative", {**data, "reason": "hardship"}))
        else:
            out["relative_poverty"] = False
            findings.append(("CAT-06", "no", data))
    return out
