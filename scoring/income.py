"""Income: family net income, per-capita net income, the income window (INC-01 … INC-05).

家庭纯收入 = 工资性 + 生产经营性 − 生产经营性支出 + 财产性 + 转移性 (+ 理赔收入 when the policy
counts it); 人均纯收入 = 家庭纯收入 ÷ 家庭共同生活人口数. Absent amounts count as 0.
"""
from __future__ import annotations

from .findings import Finding

COMPONENTS = ("wage", "business", "business_costs", "property", "transfer")


def _amount(value) -> float:
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None


def _total(items, field: str, findings: list) -> float:
    """Sum of a component's sub-items (or a bare number); negatives are reported and count 0."""
    if not items:
        return 0
    if not isinstance(items, dict):
        total = _amount(items)
        if total < 0:
            findings.append(Finding("INC-05", "negative", {"field": field, "amount": total}))
            return 0
        return total
    try:
        total = sum(items.values())
        if total >= 0 and min(items.values()) >= 0:
            return total
    except TypeError:
        pass
    total = 0
    for key, v in items.items():
        v = _amount(v)
        if v < 0:
            findings.append(Finding("INC-05", "negative", {"field": f"{field}.{key}", "amount": v}))
        else:
            total += v
    return total


def window(ymd: tuple) -> tuple[str, str]:
    """The 12 months ending the month before ``ymd``: ("YYYY-MM", "YYYY-MM")."""
    y, m = ymd[0], ymd[1]
    ey, em = (y, m - 1) if m > 1 else (y - 1, 12)
    return f"{y - 1:04d}-{m:02d}", f"{ey:04d}-{em:02d}"


def compute(record: dict, policy, people_count_members: int, findings: list,
            period_ymd: tuple) -> dict:
    """The income section of an assessment; appends INC and PLS-12 findings."""
    inc = record.get("income") or {}
    add = findings.append
    wage = _total(inc.get("wage"), "wage", findings)
    business = _total(inc.get("business"), "business", findings)
    costs = _total(inc.get("business_costs"), "business_costs", findings)
    prop = _total(inc.get("property"), "property", findings)
    transfer = _total(inc.get("transfer"), "transfer", findings)
    payouts = _total(inc.get("insurance_payouts"), "insurance_payouts", findings)
    net = wage + business - costs + prop + transfer
    counted = policy.insurance_payouts_count_as_income
    if payouts:
        if counted:
            net += payouts
        add(Finding("INC-04", "counted" if counted else "not_counted", {"amount": payouts}))
    add(Finding("INC-01", "net", {
        "net": net, "wage": wage, "business": business, "business_costs": costs,
        "property": prop, "transfer": transfer,
        "insurance_note_zh": f" + 理赔收入 {payouts:,.0f}" if payouts and counted else "",
        "insurance_note_en": f" + insurance payouts {payouts:,.0f}" if payouts and counted else "",
    }))

    declared = record.get("people_count")
    people = declared if isinstance(declared, int) and not isinstance(declared, bool) and declared > 0 \
        else people_count_members
    if people_count_members and people != people_count_members:
        add(Finding("PLS-12", "people_count", {"people_count": declared,
                                                "coresident": people_count_members,
                                                "people": people}))
    if people > 0:
        per_capita = round(net / people, 2)
        add(Finding("INC-02", "per_capita", {"per_capita": per_capita, "net": net, "people": people}))
    else:
        per_capita = None
        add(Finding("INC-02", "no_people"))
    start, end = window(period_ymd)
    previous = inc.get("previous_net")
    return {
        "wage": wage, "business": business, "business_costs": costs, "property": prop,
        "transfer": transfer, "insurance_payouts": payouts, "insurance_counted": counted,
        "net": net, "people": people, "per_capita": per_capita,
        "previous_net": previous if isinstance(previous, (int, float)) else None,
        "window": {"from": start, "to": end},
    }
