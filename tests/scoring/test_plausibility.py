"""Household-level plausibility PLS-08 … PLS-11 (Gzuwkj checks, domain.md §4.5)."""
import pytest

from scoring_factories import chain, fired, run, set_in

CASES = [
    ("PLS-08:household", "landline as household phone", set_in("phone", "0951-1234567"), True),
    ("PLS-08:household", "12 digits", set_in("phone", "139123456789"), True),
    ("PLS-08:household", "valid mobile", None, False),
    ("PLS-09:land", "120 mu of cultivated land", set_in("land.cultivated", 120), True),
    ("PLS-09:land", "150 mu of forest (limit 200)", set_in("land.forest", 150), False),
    ("PLS-09:land", "negative area", set_in("land.orchard", -1), True),
    ("PLS-09:road", "8 km from the main road", set_in("road_distance_km", 8), True),
    ("PLS-10:wage_tiny", "wage entered as 3 (10,000s?)", set_in("income.wage", {"migrant_work": 3}), True),
    ("PLS-10:per_capita_high", "25,000 a head", set_in("income.wage", {"migrant_work": 100000}), True),
    ("PLS-10:monthly_wage_low", "3,000 for 10 months of migrant work",
     set_in("income.wage", {"migrant_work": 3000}), True),
    ("PLS-10:monthly_wage_low", "30,000 for 10 months", None, False),
    ("PLS-11:no_transfer", "on 低保 but no transfer income", chain(
        set_in("members.3.dibao", "rural"), set_in("income.transfer", {})), True),
    ("PLS-11:no_transfer", "on 低保, pension but no 低保金", set_in("members.3.dibao", "rural"), True),
    ("PLS-13:declared_but_able", "declared no labour, two able workers",
     set_in("whole_household_no_labour", True), True),
    ("PLS-13:declared_but_able", "declared no labour, nobody works", chain(
        set_in("whole_household_no_labour", True),
        lambda r: [m.update(labour_skill="lost") for m in r["members"]]), False),
    ("PLS-11:no_transfer", "on 低保 with 低保金", chain(
        set_in("members.3.dibao", "rural"), set_in("income.transfer.dibao", 3600)), False),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_land_message_names_the_land_type():
    a = run(set_in("land.cultivated", 120))
    f = next(f for f in a.findings if f.rule_id == "PLS-09")
    assert f.message_zh == "耕地面积 120 亩超出 0–100 亩"
    assert f.message_en == "Cultivated land of 120 mu is outside 0–100 mu"


def test_dibao_message():
    a = run(chain(set_in("members.3.dibao", "rural"), set_in("income.transfer", {})))
    f = next(f for f in a.findings if f.rule_id == "PLS-11")
    assert f.message_zh == "有 1 名成员享受低保，但转移性收入为 0"
