"""Exclusion rules EXC-01 … EXC-08 (002 §6.1, 004 §6.2, 000 §6.3): warnings, never rejection."""
import pytest

from scoring import RULES, codes
from scoring.rules import EXCLUSION_RULE
from scoring_factories import chain, fired, run, set_in, with_income

CASES = [
    ("EXC-01:hit", "public_employee", set_in("exclusions.public_employee", True), True),
    ("EXC-02:hit", "large_grower_or_deposits", set_in("exclusions.large_grower_or_deposits", True), True),
    ("EXC-03:hit", "vehicle", set_in("exclusions.vehicle", True), True),
    ("EXC-04:hit", "town_property", set_in("exclusions.town_property", True), True),
    ("EXC-05:hit", "company", set_in("exclusions.company", True), True),
    ("EXC-06:hit", "large_compensation", set_in("exclusions.large_compensation", True), True),
    ("EXC-07:hit", "high_fee_school", set_in("exclusions.high_fee_school", True), True),
    ("EXC-08:hit", "village_cadre_pay", set_in("exclusions.village_cadre_pay", True), True),

    ("EXC-03:hit", "answered no", set_in("exclusions.vehicle", False), False),
    ("EXC-05:hit", "Yiyuan does not use the company predicate", set_in("exclusions.company", True), False),
    ("EXC-03:may_admit", "Ningxia: vehicle but unsafe only house", chain(
        set_in("exclusions.vehicle", True), set_in("guarantees.house_grade", "D")), True),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    region = "370323" if "Yiyuan" in why else "150102"
    year = 2020 if region == "370323" else 2021
    if "Ningxia" in why:
        region, year = "640122", 2020
    assert (rule in fired(run(mutate, region=region, year=year))) is expected, why


def test_exclusion_is_a_warning_and_never_changes_the_category():
    poor = lambda rec: rec.update(with_income(rec, 3000), risks=[{"code": "accident"}])
    plain = run(poor, region="150102", year=2021)
    hit = run(chain(poor, set_in("exclusions.town_property", True)), region="150102", year=2021)
    assert plain.category == hit.category == "marginal"
    f = next(f for f in hit.findings if f.rule_id == "EXC-04")
    assert f.severity == "warning" and RULES["EXC-04"].overridable
    assert "在城镇拥有商品房" in f.message_zh
    assert hit.to_dict()["exclusion_warnings"] == ["EXC-04"]
    assert "EXC-04" in hit.needs_review


def test_override_with_reason_is_recorded_and_clears_review():
    hist = {"overrides": [{"rule_id": "EXC-03", "reason": "车辆登记在亲属名下，实际不拥有",
                           "by": "county-user-7", "on": "2021-07-02"}]}
    a = run(set_in("exclusions.vehicle", True), region="150102", year=2021, history=hist)
    f = next(f for f in a.findings if f.rule_id == "EXC-03")
    assert f.override == {"reason": "车辆登记在亲属名下，实际不拥有", "by": "county-user-7", "on": "2021-07-02"}
    assert "EXC-03" not in a.needs_review
    assert a.to_dict()["findings"][-1]["override"]["by"] == "county-user-7"


def test_override_without_reason_or_on_non_overridable_rule_is_ignored():
    hist = {"overrides": [{"rule_id": "EXC-03", "reason": "  "},
                          {"rule_id": "PLS-01", "reason": "trust me"}]}
    a = run(chain(set_in("exclusions.vehicle", True), set_in("members.0.id_number", "640122197005010110")),
            region="150102", year=2021, history=hist)
    assert all(f.override is None for f in a.findings)
    assert {"EXC-03", "PLS-01"} <= set(a.needs_review)


def test_rule_ids_follow_the_code_list_order():
    assert [EXCLUSION_RULE[c] for c in codes.EXCLUSION.codes] == [f"EXC-{i:02d}" for i in range(1, 9)]
