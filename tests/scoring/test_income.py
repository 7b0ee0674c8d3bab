"""Income rules INC-01 … INC-05 (domain.md §2.2, §4.1)."""
import pytest

from scoring_factories import chain, fired, household, run, set_in

CASES = [
    # rule:variant, why, mutate, expected to fire
    ("INC-01:net", "always explains family net income", None, True),
    ("INC-01:net_insurance", "payouts counted add a term", chain(
        set_in("income.insurance_payouts", 1200)), False),  # Helan does not count payouts
    ("INC-02:per_capita", "always explains per-capita income", None, True),
    ("INC-02:no_people", "no members and no household size", chain(
        set_in("members", []), set_in("people_count", None)), True),
    ("INC-03:no_survey_date", "survey date missing", set_in("survey_date", None), True),
    ("INC-03:no_survey_date", "survey date present", None, False),
    ("INC-04:not_counted", "payouts present, policy does not count them",
     set_in("income.insurance_payouts", 1200), True),
    ("INC-04:not_counted", "no payouts", None, False),
    ("INC-05:negative", "a negative sub-item", set_in("income.business.planting", -500), True),
    ("INC-05:negative", "negative eligible spending", set_in("spending.medical", -1), True),
    ("INC-05:not_a_number", "text in an amount", set_in("income.wage.picking", "abc"), True),
    ("INC-05:not_a_number", "text in spending", set_in("spending.water", "n/a"), True),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    from datetime import date
    a = run(mutate, as_of=date(2020, 6, 15))
    assert (rule in fired(a)) is expected, why


def test_net_income_formula_and_per_capita():
    a = run()
    inc = a.income
    assert (inc["wage"], inc["business"], inc["business_costs"], inc["property"],
            inc["transfer"]) == (30000, 8000, 2000, 1000, 3000)
    assert inc["net"] == 30000 + 8000 - 2000 + 1000 + 3000 == 40000
    assert inc["people"] == 4 and inc["per_capita"] == 10000
    f = next(f for f in a.findings if f.rule_id == "INC-01")
    assert f.message_zh.startswith("家庭纯收入 40,000 元 = 工资性 30,000")
    assert "40,000 yuan" in f.message_en


def test_negative_amounts_count_as_zero():
    a = run(set_in("income.business.planting", -500))
    assert a.income["business"] == 0
    f = next(f for f in a.findings if f.rule_id == "INC-05")
    assert f.severity == "error" and f.data == {"field": "business.planting", "amount": -500}


def test_none_and_numeric_strings_are_tolerated():
    a = run(chain(set_in("income.wage", {"migrant_work": "12000", "public_job": None})))
    assert a.income["wage"] == 12000


def test_insurance_payouts_follow_the_policy():
    rec = household()
    rec["income"]["insurance_payouts"] = 2000
    import scoring
    base = scoring.load_policy("150102", 2021)
    counted = scoring.load_policy("150102", 2021, overrides=[{"region": "15", "period": [
        {"years": [2021, 2021], "insurance_payouts_count_as_income": True}]}])
    assert scoring.assess(rec, base).income["net"] == 40000
    a = scoring.assess(rec, counted)
    assert a.income["net"] == 42000 and a.income["insurance_counted"] is True
    assert "INC-01:net_insurance" in fired(a) and "INC-04:counted" in fired(a)
    assert "理赔收入 2,000" in next(f for f in a.findings if f.rule_id == "INC-01").message_zh


def test_per_capita_divisor_is_the_declared_household_size():
    a = run(set_in("people_count", 5))
    assert a.income["people"] == 5 and a.income["per_capita"] == 8000
    assert "PLS-12:people_count" in fired(a)
    a = run(set_in("people_count", None))
    assert a.income["people"] == 4  # falls back to co-resident members


def test_members_living_elsewhere_do_not_count_when_size_missing():
    a = run(chain(set_in("people_count", None), set_in("members.3.coresident", False)))
    assert a.income["people"] == 3


def test_income_window_is_the_12_months_before_the_survey_month():
    a = run(set_in("survey_date", "2021-03-10"))
    assert a.income["window"] == {"from": "2020-03", "to": "2021-02"}
    a = run(set_in("survey_date", "2021-01-31"))
    assert a.income["window"] == {"from": "2020-01", "to": "2020-12"}


@pytest.mark.parametrize("items, total", [
    ({"a": 1000, "b": 2.5}, 1002.5),          # plain numbers: summed as they are
    ({"a": True, "b": 2}, 3),                  # a bool is not a plain number: min()/sum() path, int
    ({"a": 1, "b": -5}, 1),                    # a negative amount: counted as 0 (INC-05)
    ({"a": "7", "b": 3}, 10.0),                # a numeric string: the tolerant path, float
])
def test_component_totals_take_the_same_path_as_before_the_fast_check(items, total):
    a = run(set_in("income.wage", items))
    assert a.income["wage"] == total and type(a.income["wage"]) is type(total)
