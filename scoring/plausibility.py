"""Household-level plausibility (PLS-08 household phone, PLS-09, PLS-10, PLS-11, PLS-13).

Member-level checks (IDs, birth dates, sex, schooling, labour) are in :mod:`scoring.members`.
"""
from __future__ import annotations

from .idcard import normalize
from .income import _amount, to_fen
from .members import Facts, is_mobile

_NUMBER = frozenset((int, float))


def check(record: dict, facts: Facts, income: dict, policy, findings: list) -> None:
    head_id = record.get("head_id_number")
    if (head_id and facts.head_id and head_id != facts.head_id
            and normalize(str(head_id)) != normalize(str(facts.head_id))):
        findings.append(("PLS-01", "head_mismatch"))
    phone = record.get("phone")
    if phone is not None and not is_mobile(phone):
        findings.append(("PLS-08", "household"))

    land = record.get("land")
    if land:
        limits = policy.land_max
        for key, value in land.items():
            mx = limits.get(key)
            if mx is not None and type(value) in _NUMBER and not 0 <= value <= mx:
                findings.append(("PLS-09", "land", {"field": key, "value": value, "max": mx}))
    road = record.get("road_distance_km")
    if type(road) in _NUMBER and road > policy.road_max_km:
        findings.append(("PLS-09", "road", {"value": road, "max": policy.road_max_km}))

    wage = income["wage"]
    if 0 < wage < 100:
        findings.append(("PLS-10", "wage_tiny", {"wage": wage}))
    pc = income["per_capita"]
    if pc is not None and pc > policy.per_capita_suspicious_above:
        findings.append(("PLS-10", "per_capita_high", {"per_capita": pc,
                                           "max": policy.per_capita_suspicious_above}))
    if facts.work_months and wage:
        migrant = ((record.get("income") or {}).get("wage") or {})
        try:
            migrant = _amount(migrant.get("migrant_work")) if isinstance(migrant, dict) else 0
        except ValueError:
            migrant = 0
        if migrant > 0:
            monthly = to_fen(migrant / facts.work_months)
            if monthly < policy.monthly_wage_min:
                findings.append(("PLS-10", "monthly_wage_low", {
                    "wage": migrant, "months": facts.work_months, "monthly": monthly,
                    "min": policy.monthly_wage_min}))

    if record.get("whole_household_no_labour") and facts.working:
        findings.append(("PLS-13", "declared_but_able", {"working": facts.working}))

    if facts.dibao or facts.tekun:
        transfer = (record.get("income") or {}).get("transfer")
        items = transfer if isinstance(transfer, dict) else {}
        if not income["transfer"]:
            scheme = "dibao" if facts.dibao else "tekun"
            findings.append(("PLS-11", "no_transfer", {"count": facts.dibao or facts.tekun,
                                           "scheme": scheme, "item": "transfer"}))
        else:
            for scheme, count in (("dibao", facts.dibao), ("tekun", facts.tekun)):
                if count and items and not items.get(scheme):
                    findings.append(("PLS-11", "no_transfer", {"count": count, "scheme": scheme,
                                                   "item": scheme}))
