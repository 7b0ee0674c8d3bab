"""Income: family net income, per-capita net income, the income window (INC-01 … INC-05).

家庭纯收入 = 工资性 + 生产经营性 − 生产经营性支出 + 财产性 + 转移性 (+ 理赔收入 when the policy
counts it); 人均纯收入 = 家庭纯收入 ÷ 家庭共同生活人口数. Absent amounts count as 0.
"""
from __future__ import annotations

from math import floor
from typing import Any


def _amount(value: Any) -> Any:
    if value is None or value == "":
        return 0
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ValueError(f"not an amount: {value!r}") from None


def _slow_total(items: Any, field: str, findings: list) -> Any:
    """Sum with None/strings tolerated; negatives are reported and count 0."""
    if not isinstance(items, dict):
        items = {"": items}
    total: Any = 0  # int, or float once a float is added
    for key, v in items.items():
        try:
            v = _amount(v)
        except ValueError:
            name = f"{field}.{key}" if key else field
            findings.append(("INC-05", "not_a_number", {"field": name, "value": str(v)}))
            continue
        if v < 0:
            name = f"{field}.{key}" if key else field
            findings.append(("INC-05", "negative", {"field": name, "amount": v}))
        else:
            total += v
    return total


def to_fen(x: Any) -> float:
    """Round yuan to the fen (0.01), half up; much cheaper than ``round(x, 2)``."""
    return floor(x * 100 + 0.5) / 100


_WINDOWS: dict = {}


def window(month: str) -> tuple[str, str]:
    """The 12 months ending the month before ``month`` ("YYYY-MM"): ("YYYY-MM", "YYYY-MM")."""
    w = _WINDOWS.get(month)
    if w is None:
        y, m = int(month[:4]), int(month[5:7])
        if not 1 <= m <= 12:
            raise ValueError(f"not a month: {month!r}")
        ey, em = (y, m - 1) if m > 1 else (y - 1, 12)
        w = (f"{y - 1:04d}-{m:02d}", f"{ey:04d}-{em:02d}")
        if len(_WINDOWS) < 4096:
            _WINDOWS[month] = w
    return w


_PARTS = ("wage", "business", "business_costs", "property", "transfer", "insurance_payouts")


def compute(record: dict, policy, people_count_members: int, findings: list,
            period_month: str) -> dict:
    """The income section of an assessment; appends INC and PLS-12 findings."""
    inc: dict = record.get("income") or {}
    totals: list = []
    for key in _PARTS:  # inline fast path: non-negative numbers in a dict, or one number
        items = inc.get(key)
        if not items:
            totals.append(0)
            continue
        if type(items) is dict:
            vals = items.values()
            plain = True  # non-negative ints/floats (no NaN): min(vals) >= 0 holds, skip min()
            for v in vals:
                t = type(v)  # (a local: narrowing v itself would make mypyc convert it)
                if (t is not int and t is not float) or not v >= 0:
                    plain = False
                    break
            try:
                if plain or min(vals) >= 0:
                    totals.append(sum(vals))
                    continue
            except TypeError:
                pass
        elif (type(items) is int or type(items) is float) and items >= 0:
            totals.append(items)
            continue
        totals.append(_slow_total(items, key, findings))
    wage, business, costs, prop, transfer, payouts = totals
    net = wage + business - costs + prop + transfer
    counted = policy.insurance_payouts_count_as_income
    if payouts:
        if counted:
            net += payouts
        findings.append(("INC-04", "counted" if counted else "not_counted", {"amount": payouts}))
    findings.append(("INC-01", "net_insurance" if payouts and counted else "net", {
        "net": net, "wage": wage, "business": business, "business_costs": costs,
        "property": prop, "transfer": transfer, "insurance_payouts": payouts}))

    declared: Any = record.get("people_count")
    if type(declared) is int and declared > 0:
        people = declared
    else:
        people = people_count_members
    if people_count_members and people != people_count_members:
        findings.append(("PLS-12", "people_count", {"people_count": declared,
                                        "coresident": people_count_members,
                                        "people": people}))
    if people > 0:
        per_capita = to_fen(net / people)
        findings.append(("INC-02", "per_capita", {"per_capita": per_capita, "net": net, "people": people}))
    else:
        per_capita = None
        findings.append(("INC-02", "no_people"))
    start, end = window(period_month)
    previous = inc.get("previous_net")
    return {
        "wage": wage, "business": business, "business_costs": costs, "property": prop,
        "transfer": transfer, "insurance_payouts": payouts, "insurance_counted": counted,
        "net": net, "people": people, "per_capita": per_capita,
        "previous_net": previous if type(previous) in (int, float) else None,
        "window": {"from": start, "to": end},
    }
