"""合规自付支出 rules SPD-01 … SPD-04 (002; domain.md §4.3)."""
import pytest

from scoring_factories import chain, fired, run, set_in

CASES = [
    ("SPD-01:total", "some eligible spending", set_in("spending.water", 300), True),
    ("SPD-01:total", "no spending", None, False),
    ("SPD-02:safe_grade", "repairs on a grade-B house", chain(
        set_in("spending.housing", 20000), set_in("guarantees.house_grade", "B")), True),
    ("SPD-02:safe_grade", "rebuilding a grade-D only house", chain(
        set_in("spending.housing", 20000), set_in("guarantees.house_grade", "D")), False),
    ("SPD-02:not_only_house", "dangerous but not the only house", chain(
        set_in("spending.housing", 20000), set_in("guarantees.house_grade", "C"),
        set_in("guarantees.only_house", False)), True),
    ("SPD-02:relocated", "repairs after relocation to a settlement", chain(
        set_in("spending.housing", 8000), set_in("guarantees.house_grade", "D"),
        set_in("relocated_settlement", True)), True),
    ("SPD-02:safe_grade", "rent with no house graded", chain(
        set_in("spending.housing", 6000), set_in("guarantees.house_grade", None)), False),
    ("SPD-03:no_student", "education spending, nobody in school", chain(
        set_in("spending.education", 3000), set_in("members.2.school_status", None),
        set_in("members.2.education", "junior")), True),
    ("SPD-03:no_student", "education spending with a pupil", set_in("spending.education", 3000), False),
    ("SPD-04:no_patient", "medical spending, everyone healthy", chain(
        set_in("spending.medical", 5000), set_in("members.3.health", ["healthy"])), True),
    ("SPD-04:no_patient", "medical spending with a chronic patient", set_in("spending.medical", 5000), False),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_five_kinds_are_summed():
    a = run(chain(set_in("spending", {"education": 1000, "medical": 2000, "housing": 0,
                                       "water": 300, "disaster_loss": 4000})))
    assert a.spending["total"] == 7300
    f = next(f for f in a.findings if f.rule_id == "SPD-01")
    assert "合规自付支出 7,300 元" in f.message_zh


def test_ineligible_housing_spending_is_left_out():
    a = run(chain(set_in("spending.housing", 20000), set_in("spending.medical", 1000),
                  set_in("guarantees.house_grade", "A")))
    assert a.spending["total"] == 1000
    assert a.spending["excluded"] == {"housing": 20000}
    assert "20,000" in next(f for f in a.findings if f.rule_id == "SPD-02").message_zh


def test_business_costs_are_not_eligible_spending():
    a = run(set_in("income.business_costs", {"planting": 9000}))
    assert a.spending["total"] == 0
