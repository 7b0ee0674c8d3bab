"""Risk-elimination eligibility: the four criteria of 002 and the time rules (ELM-01 … ELM-10).

Applies to a household in monitoring (history has ``identified_on``, else ``monitoring_start``) or
one being checked with the elimination form. Every unmet condition is a finding; the household is
eligible when none is.
"""
from __future__ import annotations

import calendar
from datetime import date

from .members import Facts



def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    y += d.year
    m += 1
    return date(y, m, min(d.day, calendar.monthrange(y, m)[1]))


def months_between(a: date, b: date) -> int:
    """Whole months from a to b."""
    return (b.year - a.year) * 12 + (b.month - a.month) - (b.day < a.day)


def _iso_date(value) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str) and len(value) >= 10:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def check(record: dict, history: dict, as_of: date, policy, income: dict, guarantees: dict,
          hardship: str | None, facts: Facts, findings: list) -> dict:
    blocked: list[str] = []

    def block(rule_id, variant, data=None):
        findings.append((rule_id, variant, data))
        if rule_id not in blocked:
            blocked.append(rule_id)

    form = record.get("elimination") or {}
    # (1) measures in place
    seen = set()
    for m in list(history.get("measures") or ()) + list(record.get("measures") or ()):
        if isinstance(m, dict) and m.get("measure"):
            seen.add((m.get("measure"), m.get("date")))
    if len(seen) < policy.elimination_min_measures:
        block("ELM-01", "too_few", {"count": len(seen), "min": policy.elimination_min_measures})
    if form.get("measures_in_place") is False:
        block("ELM-01", "checked_no")
    # (2) guarantees consolidated
    failed = [k for k, v in guarantees.items() if v == "not_met"]
    unknown = [k for k, v in guarantees.items() if v == "unknown"]
    if failed:
        block("ELM-02", "not_met", {"failed": failed})
    if unknown:
        block("ELM-02", "unknown", {"unknown": unknown})
    if form.get("guarantees_consolidated") is False:
        block("ELM-02", "checked_no")
    # (3) income stably above the floor
    pc = income["per_capita"]
    if pc is None or pc < policy.floor:
        block("ELM-03", "below", {"per_capita": pc, "floor": policy.floor})
    if policy.income_stable_months:
        since = add_months(as_of, -policy.income_stable_months)
        for a in history.get("assessments") or ():
            on = _iso_date(a.get("as_of"))
            a_pc = (a.get("income") or {}).get("per_capita")
            a_floor = a.get("floor")
            if (on and since <= on < as_of and a_pc is not None and a_floor is not None
                    and a_pc < a_floor):
                block("ELM-03", "unstable", {"months": policy.income_stable_months,
                                             "on": on.isoformat(), "per_capita": a_pc,
                                             "floor": a_floor})
                break
    if form.get("income_stable") is False:
        block("ELM-03", "checked_no")
    # (4) rigid spending solved
    if hardship:
        block("ELM-04", "spending")
    if form.get("spending_resolved") is False:
        block("ELM-04", "checked_no")
    # time rules
    identified = _iso_date(history.get("identified_on") or history.get("monitoring_start"))
    if identified is None:
        if policy.elimination_min_months:
            block("ELM-06", "no_date")
    else:
        if (identified.year, identified.month) == (as_of.year, as_of.month):
            block("ELM-05", "same_month", {"identified": identified.strftime("%Y-%m")})
        months = months_between(identified, as_of)
        if months < policy.elimination_min_months:
            earliest = add_months(identified, policy.elimination_min_months)
            block("ELM-06", "too_early", {"identified": identified.isoformat(), "months": months,
                                          "min": policy.elimination_min_months,
                                          "earliest": earliest.isoformat()})
    if record.get("whole_household_no_labour") or (facts.count and not facts.working):
        reason = "declared" if record.get("whole_household_no_labour") else "members"
        block("ELM-07", "no_labour", {"reason": reason})
    months_open = policy.elimination_months
    if as_of.month not in months_open:
        nxt = min((m for m in months_open if m > as_of.month), default=None)
        nxt_s = f"{as_of.year:04d}-{nxt:02d}" if nxt else f"{as_of.year + 1:04d}-{min(months_open):02d}"
        block("ELM-08", "closed", {"month": as_of.strftime("%Y-%m"),
                                   "months": list(months_open), "next": nxt_s})

    eligible = not blocked
    gradual_until = None
    if eligible:
        findings.append(("ELM-10", "eligible"))
        g = policy.gradual_exit_months
        if g and facts.dibao:
            category = history.get("category")
            std = policy.dibao_standard_annual
            long_taper = category == "unstable" and (not std or (pc is not None and pc <= 1.5 * std))
            taper = g[1] if long_taper else g[0]
            gradual_until = add_months(as_of, taper).isoformat()
            findings.append(("ELM-09", "taper", {"months": taper, "until": gradual_until}))
    return {"eligible": eligible, "blocked_by": blocked, "gradual_exit_until": gradual_until}
