"""Risk-elimination rules ELM-01 … ELM-10 (002 §7.2; later norms; 001 gradual exit)."""
from datetime import date

import pytest

from scoring_factories import chain, fired, run, set_in

# A household identified in March 2021, now above the floor with everything in order.
MEASURE = {"measure": "employment", "date": "2021-04-01"}


def history(**kw):
    h = {"identified_on": "2021-03-10", "category": "marginal", "measures": [MEASURE],
         "assessments": [], "previous_net": None}
    h.update(kw)
    return h


def elim(mutate=None, hist=None, as_of=date(2021, 12, 20), region="150102", year=2021):
    return run(mutate, region=region, year=year, history=hist or history(), as_of=as_of)


CASES = [
    ("ELM-10:eligible", "all criteria met in December", None, None, date(2021, 12, 20), True),
    ("ELM-01:too_few", "no measures", None, history(measures=[]), date(2021, 12, 20), True),
    ("ELM-01:checked_no", "checklist: measures not in place",
     set_in("elimination", {"measures_in_place": False}), None, date(2021, 12, 20), True),
    ("ELM-02:not_met", "grade D only house", set_in("guarantees.house_grade", "D"), None, date(2021, 12, 20), True),
    ("ELM-02:unknown", "water never recorded", chain(
        set_in("guarantees.water", None), set_in("guarantees.water_unsafe", None)), None, date(2021, 12, 20), True),
    ("ELM-02:checked_no", "checklist: guarantees not consolidated",
     set_in("elimination", {"guarantees_consolidated": False}), None, date(2021, 12, 20), True),
    ("ELM-03:below", "per-capita 3,000 < 6,000", set_in("income.wage", {"migrant_work": 12000}),
     None, date(2021, 12, 20), True),
    ("ELM-03:checked_no", "checklist: income not stable",
     set_in("elimination", {"income_stable": False}), None, date(2021, 12, 20), True),
    ("ELM-04:spending", "medical spending still heavy", chain(
        set_in("spending.medical", 35000), set_in("risks", [{"code": "illness"}])), None, date(2021, 12, 20), True),
    ("ELM-04:checked_no", "checklist: spending unresolved",
     set_in("elimination", {"spending_resolved": False}), None, date(2021, 12, 20), True),
    ("ELM-05:same_month", "identified this month", None, history(identified_on="2021-12-02"),
     date(2021, 12, 20), True),
    ("ELM-07:no_labour", "declared whole-household no labour",
     set_in("whole_household_no_labour", True), None, date(2021, 12, 20), True),
    ("ELM-07:no_labour", "nobody can work",
     lambda r: [m.update(labour_skill="lost") for m in r["members"]], None, date(2021, 12, 20), True),
    ("ELM-08:closed", "November is not a quarter-end month", None, None, date(2021, 11, 20), True),
    ("ELM-08:closed", "September is", None, None, date(2021, 9, 20), False),
]


@pytest.mark.parametrize("rule,why,mutate,hist,as_of,expected", CASES,
                         ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, hist, as_of, expected):
    assert (rule in fired(elim(mutate, hist, as_of))) is expected, why


def test_eligible_household():
    a = elim()
    assert a.elimination == {"eligible": True, "blocked_by": [], "gradual_exit_until": None}


def test_blocked_by_lists_every_unmet_rule():
    a = elim(set_in("guarantees.house_grade", "D"), as_of=date(2021, 11, 5))
    assert a.elimination["eligible"] is False
    assert a.elimination["blocked_by"] == ["ELM-02", "ELM-08"]
    assert "ELM-10:eligible" not in fired(a)


def test_minimum_months_in_monitoring_elm06():
    # Guizhou 2023: ≥ 6 months in monitoring (later norms).
    h = history(identified_on="2023-01-15", measures=[{"measure": "industry", "date": "2023-02-01"}])
    a = elim(hist=h, as_of=date(2023, 6, 20), region="52", year=2023)
    assert "ELM-06:too_early" in fired(a)
    f = next(f for f in a.findings if f.rule_id == "ELM-06")
    assert f.data["months"] == 5 and f.data["earliest"] == "2023-07-15"
    a = elim(hist=h, as_of=date(2023, 9, 20), region="52", year=2023)
    assert "ELM-06:too_early" not in fired(a) and a.elimination["eligible"], a.elimination
    a = elim(hist=history(identified_on=None), as_of=date(2023, 9, 20), region="52", year=2023,
             mutate=set_in("elimination", {"measures_in_place": True}))
    assert "ELM-06:no_date" in fired(a)


def test_income_must_have_been_stable_elm03():
    h = history(identified_on="2023-01-15", measures=[MEASURE],
                assessments=[{"as_of": "2023-06-01", "income": {"per_capita": 5000}, "floor": 7300}])
    a = elim(hist=h, as_of=date(2023, 9, 20), region="52", year=2023)
    assert "ELM-03:unstable" in fired(a)
    h["assessments"][0]["as_of"] = "2022-12-01"   # older than 6 months: no longer relevant
    assert "ELM-03:unstable" not in fired(elim(hist=h, as_of=date(2023, 9, 20), region="52", year=2023))


def test_gradual_exit_in_anyang_elm09():
    dibao = chain(set_in("members.3.dibao", "rural"), set_in("income.transfer.dibao", 3600))
    a = elim(dibao, hist=history(category="unstable"), region="410522", year=2021)
    assert a.elimination["eligible"] and a.elimination["gradual_exit_until"] == "2022-12-20"
    assert "12 个月渐退期" in next(f for f in a.findings if f.rule_id == "ELM-09").message_zh
    a = elim(dibao, hist=history(category="marginal"), region="410522", year=2021)
    assert a.elimination["gradual_exit_until"] == "2022-06-20"
    a = elim(hist=history(category="unstable"), region="410522", year=2021)  # not on 低保
    assert a.elimination["gradual_exit_until"] is None


def test_not_applicable_outside_monitoring():
    assert run().elimination is None


def test_monitoring_start_stands_in_for_a_missing_identification_date():
    h = history(identified_on=None, monitoring_start="2021-12-01")
    a = elim(hist=h, as_of=date(2021, 12, 20))
    assert "ELM-05:same_month" in fired(a)
