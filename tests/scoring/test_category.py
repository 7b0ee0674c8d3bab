"""Category rules CAT-01 … CAT-06 (002, 003, 004; domain.md §1, §4.4)."""
import pytest

import scoring
from scoring_factories import chain, fired, household, run, set_in, with_income


def income(pc):
    return lambda rec: rec.update(with_income(rec, pc))


ILL = chain(set_in("risks", [{"code": "illness"}]), set_in("spending.medical", 3000))

CASES = [
    ("CAT-01:below", "脱贫户 4,000 < 5,000 with illness",
     chain(income(4000), ILL, set_in("household_type", "alleviated")), True),
    ("CAT-02:below", "一般农户 4,000 < 5,000 with illness", chain(income(4000), ILL), True),
    ("CAT-02:below", "4,999.99 is below", chain(income(4999.99), ILL), True),
    ("CAT-02:below", "exactly at the floor is not below", chain(income(5000), ILL), False),
    ("CAT-03:spending", "above the floor, medical 30,000 leaves 2,500 a head",
     chain(income(10000), set_in("risks", [{"code": "illness"}]), set_in("spending.medical", 30000)), True),
    ("CAT-03:income_drop", "income halved by a disaster",
     chain(income(8000), set_in("risks", [{"code": "natural_disaster", "disaster": "flood"}]),
           set_in("income.previous_net", 80000)), True),
    ("CAT-03:income_drop", "income down 20 %", chain(
        income(8000), set_in("risks", [{"code": "accident"}]), set_in("income.previous_net", 40000)), False),
    ("CAT-04:above", "comfortably above the floor", None, True),
    ("CAT-04:below_no_risk", "below the floor without any risk", income(3000), True),
    ("CAT-04:hardship_no_cause", "heavy spending but the only risk is weak motivation",
     chain(income(10000), set_in("risks", [{"code": "weak_motivation"}]),
           set_in("spending.disaster_loss", 30000)), True),
    ("CAT-04:unknown", "no people", chain(set_in("members", []), set_in("people_count", 0)), True),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_categories_and_explanations():
    a = run(chain(income(4000), ILL))
    assert a.category == "marginal"
    f = next(f for f in a.findings if f.rule_id == "CAT-02")
    assert f.message_zh == "一般农户人均纯收入 4,000 元 < 监测范围 5,000 元，且有风险（因病）→ 边缘易致贫户"
    assert f.message_en.startswith("Ordinary household: per-capita net income 4,000 yuan < floor 5,000 yuan")
    assert "000" in f.source and "domain.md" in f.source
    a = run(chain(income(4000), ILL, set_in("household_type", "alleviated")))
    assert a.category == "unstable"
    a = run(chain(income(10000), set_in("risks", [{"code": "illness"}]), set_in("spending.medical", 30000)))
    assert a.category == "sudden_hardship" and a.hardship == "spending"
    f = next(f for f in a.findings if f.rule_id == "CAT-03")
    assert "扣除合规自付支出 30,000 元后人均 2,500 元 < 5,000 元" in f.message_zh
    assert run().category is None


def test_inferred_risks_count_for_the_category():
    # No declared risk, but the only house is grade D → housing risk inferred.
    a = run(chain(income(4000), set_in("guarantees.house_grade", "D")))
    assert a.category == "marginal" and a.risks_inferred == ["housing"]


def test_rigid_spending_test_is_a_setting():
    rec = with_income(household(), 10000)
    rec["risks"] = [{"code": "illness"}]
    rec["spending"]["medical"] = 30000        # 40,000 net − 30,000 = 2,500 a head
    exceeds = scoring.load_policy("640122", 2020, overrides=[{"region": "64", "period": [
        {"years": [2020, 2020], "rigid_spending_test": "exceeds_net_income"}]}])
    assert scoring.assess(rec, exceeds).category is None     # 30,000 < 40,000 net
    rec["spending"]["medical"] = 45000
    a = scoring.assess(rec, exceeds)
    assert a.category == "sudden_hardship" and "CAT-03:spending_exceeds" in fired(a)


def test_previous_net_can_come_from_history():
    rec = with_income(household(), 8000)
    rec["risks"] = [{"code": "accident"}]
    a = scoring.assess(rec, scoring.load_policy("640122", 2020), {"previous_net": 100000})
    assert a.category == "sudden_hardship" and a.hardship == "income_drop"


@pytest.mark.parametrize("pc,risk,household_type,expected", [
    (4000, True, "alleviated", "monitored"),
    (10000, False, "alleviated", "entitled"),
    (15416, False, "alleviated", "not_entitled"),
    (20000, True, "alleviated", "entitled"),      # a risk keeps the policies
    (20000, False, "ordinary", None),             # classes are for 脱贫户 only
])
def test_anhui_classes_cat05(pc, risk, household_type, expected):
    muts = [income(pc), set_in("household_type", household_type)]
    if risk:
        muts.append(ILL)
    a = run(chain(*muts), region="341525", year=2020)
    assert a.alleviated_class == expected
    assert ("CAT-05:" + str(expected) in fired(a)) is (expected is not None)


@pytest.mark.parametrize("mutate,expected,variant", [
    (income(6000), True, "quantitative"),                       # < 6312
    (income(6400), False, "no"),
    (chain(income(6400), set_in("guarantees.house_grade", "D")), True, "qualitative"),
    (chain(income(8000), set_in("risks", [{"code": "education"}]),
           set_in("spending.education", 25000)), True, "qualitative"),
])
def test_yiyuan_relative_poverty_cat06(mutate, expected, variant):
    a = run(mutate, region="370323", year=2020)
    assert a.relative_poverty is expected
    assert f"CAT-06:{variant}" in fired(a)
    if variant == "quantitative":
        f = next(f for f in a.findings if f.rule_id == "CAT-06")
        assert "相对贫困线 6,312 元（2019 年农村居民人均可支配收入 19,128 元 × 33%）" in f.message_zh


def test_relative_poverty_is_none_where_not_applied():
    assert run().relative_poverty is None
