"""Properties of assess(): monotone in income, per-capita arithmetic, determinism, purity."""
import copy
import json
from datetime import date

from hypothesis import HealthCheck, given, settings, strategies as st

import scoring
from scoring_factories import household

RANK = {None: 0, "sudden_hardship": 1, "marginal": 2, "unstable": 2}
CLASS_RANK = {None: 0, "not_entitled": 0, "entitled": 1, "monitored": 2}
REGIONS = [("640122", 2020), ("150102", 2021), ("341525", 2020), ("370323", 2020),
           ("410522", 2021), ("52", 2023), ("350526", 2024)]
RISKS = ["illness", "disability", "accident", "natural_disaster", "education", "lack_of_labour",
         "unstable_employment", "weak_motivation", "epidemic"]
amount = st.integers(min_value=0, max_value=200_000)


@st.composite
def households(draw):
    rec = household()
    rec["household_type"] = draw(st.sampled_from(["alleviated", "ordinary"]))
    rec["people_count"] = draw(st.integers(min_value=1, max_value=8))
    rec["income"] = {
        "wage": {"migrant_work": draw(amount)}, "business": {"planting": draw(amount)},
        "business_costs": {"planting": draw(st.integers(0, 50_000))},
        "property": {"dividend": draw(st.integers(0, 5_000))},
        "transfer": {"pension": draw(st.integers(0, 20_000))},
        "insurance_payouts": draw(st.integers(0, 10_000)),
        "previous_net": draw(st.one_of(st.none(), amount)),
    }
    rec["spending"] = {k: draw(st.integers(0, 60_000)) for k in
                       ("education", "medical", "housing", "water", "disaster_loss")}
    rec["risks"] = [{"code": c, "disaster": "flood", "note": "x"}
                    for c in draw(st.lists(st.sampled_from(RISKS), max_size=3, unique=True))]
    rec["guarantees"]["house_grade"] = draw(st.sampled_from(["A", "B", "C", "D", None]))
    region, year = draw(st.sampled_from(REGIONS))
    return rec, scoring.load_policy(region, year)


SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(households(), st.integers(min_value=1, max_value=100_000))
def test_more_income_never_raises_the_risk_category(pair, extra):
    rec, policy = pair
    richer = copy.deepcopy(rec)
    richer["income"]["wage"]["migrant_work"] += extra
    a, b = scoring.assess(rec, policy), scoring.assess(richer, policy)
    assert RANK[b.category] <= RANK[a.category], (a.category, b.category)
    assert CLASS_RANK[b.alleviated_class] <= CLASS_RANK[a.alleviated_class]
    if a.relative_poverty is False:
        assert b.relative_poverty is False


@SETTINGS
@given(households())
def test_per_capita_times_people_is_net(pair):
    rec, policy = pair
    a = scoring.assess(rec, policy)
    inc = a.income
    assert abs(inc["per_capita"] * inc["people"] - inc["net"]) <= 0.005 * inc["people"] + 1e-9
    assert inc["net"] == (inc["wage"] + inc["business"] - inc["business_costs"] + inc["property"]
                          + inc["transfer"]
                          + (inc["insurance_payouts"] if inc["insurance_counted"] else 0))


@SETTINGS
@given(households(), st.dates(min_value=date(2019, 1, 1), max_value=date(2026, 12, 31)))
def test_scoring_is_deterministic_pure_and_json(pair, when):
    rec, policy = pair
    history = {"identified_on": "2020-01-10", "measures": [{"measure": "industry", "date": "2020-02-01"}],
               "category": "unstable"}
    before = copy.deepcopy(rec)
    one = scoring.assess(rec, policy, history, when).to_dict()
    two = scoring.assess(copy.deepcopy(rec), policy, copy.deepcopy(history), when).to_dict()
    assert one == two
    assert rec == before                       # the record is not modified
    assert json.loads(json.dumps(one, ensure_ascii=False)) == one
    for f in one["findings"]:
        assert f["rule_id"] in scoring.RULES and f["severity"] in ("error", "warning", "info")
        assert f["message_zh"] and f["message_en"] and f["source"]
