"""两不愁三保障 + 饮水 rules GUA-01 … GUA-04 (002; domain.md §3.1, §7.2)."""
import pytest

from scoring_factories import chain, fired, member, run, set_in


def add_child(age_birth="2010-09-01", **kw):
    def mutate(rec):
        rec["members"].append(member("daughter", "female", age_birth, 55, education=None,
                                     labour_skill="none", **kw))
        rec["people_count"] += 1
    return mutate


CASES = [
    ("GUA-01:not_met", "10-year-old out of school, economic reason",
     add_child(school_status=None, dropout_reason="economic"), True),
    ("GUA-01:other_reason", "out of school because unwilling",
     add_child(school_status=None, dropout_reason="unwilling"), True),
    ("GUA-01:not_met", "out of school because unwilling is no guarantee failure",
     add_child(school_status=None, dropout_reason="unwilling"), False),
    ("GUA-01:no_reason", "compulsory-age child with neither status nor reason",
     add_child(school_status=None), True),
    ("GUA-01:no_reason", "a pupil in primary school", add_child(school_status="primary"), False),
    ("GUA-01:no_reason", "6-year-old still pre-school (age 6 at the survey)",
     add_child("2014-01-10", school_status="preschool_child"), False),
    ("GUA-01:no_reason", "9-year-old recorded as pre-school child",
     add_child("2011-01-10", school_status="preschool_child"), True),
    ("GUA-01:declared", "declared drop-out without member detail", chain(
        set_in("guarantees.school_dropout", True),
        set_in("guarantees.school_dropout_reason", "economic")), True),
    ("GUA-01:declared", "declared drop-out for distance", chain(
        set_in("guarantees.school_dropout", True),
        set_in("guarantees.school_dropout_reason", "distance")), False),
    ("GUA-02:not_met", "uninsured by choice, 12,000 medical", chain(
        set_in("members.3.resident_medical_insurance", False),
        set_in("members.3.uninsured_reason", "personal"), set_in("spending.medical", 12000)), True),
    ("GUA-02:attention", "uninsured by choice, 800 medical", chain(
        set_in("members.3.resident_medical_insurance", False),
        set_in("members.3.uninsured_reason", "personal"), set_in("spending.medical", 800)), True),
    ("GUA-02:not_met", "uninsured for another reason, large cost", chain(
        set_in("members.3.resident_medical_insurance", False),
        set_in("members.3.uninsured_reason", "other"), set_in("spending.medical", 12000)), False),
    ("GUA-02:not_met", "employee insurance instead of resident", chain(
        set_in("members.0.resident_medical_insurance", False),
        set_in("members.0.employee_medical_insurance", True),
        set_in("members.0.uninsured_reason", "personal"), set_in("spending.medical", 12000)), False),
    ("GUA-02:declared", "declared uninsured without member detail",
     set_in("guarantees.medical_uninsured", True), True),
    ("GUA-03:not_met", "grade D only house", set_in("guarantees.house_grade", "D"), True),
    ("GUA-03:not_met", "grade C but another house", chain(
        set_in("guarantees.house_grade", "C"), set_in("guarantees.only_house", False)), False),
    ("GUA-03:not_only", "grade C but another house", chain(
        set_in("guarantees.house_grade", "C"), set_in("guarantees.only_house", False)), True),
    ("GUA-03:declared", "declared damaged, not graded", chain(
        set_in("guarantees.housing_unsafe", True), set_in("guarantees.house_grade", None)), True),
    ("GUA-03:inconsistent", "declared unsafe but grade A", set_in("guarantees.housing_unsafe", True), True),
    ("GUA-03:inconsistent", "grade C only house declared safe", set_in("guarantees.house_grade", "C"), True),
    ("GUA-04:not_met", "water quality not met", set_in("guarantees.water.quality", False), True),
    ("GUA-04:not_met", "all four met", None, False),
    ("GUA-04:declared", "declared unsafe, no indicators", chain(
        set_in("guarantees.water_unsafe", True), set_in("guarantees.water", None)), True),
    ("GUA-04:inconsistent", "declared unsafe, all indicators met", set_in("guarantees.water_unsafe", True), True),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_statuses():
    assert run().guarantees == {"education": "met", "medical": "met", "housing": "met", "water": "met"}
    a = run(chain(add_child(school_status=None, dropout_reason="economic"),
                  set_in("guarantees.house_grade", "D"),
                  set_in("guarantees.water.reliability", False)))
    assert a.guarantees == {"education": "not_met", "medical": "met", "housing": "not_met",
                            "water": "not_met"}


def test_unknown_when_nothing_is_declared_or_recorded():
    a = run(chain(set_in("guarantees", {}), set_in("members", []), set_in("people_count", 1)))
    assert a.guarantees == {"education": "unknown", "medical": "unknown", "housing": "unknown",
                            "water": "unknown"}


def test_messages_carry_the_numbers_and_no_personal_data():
    a = run(chain(set_in("members.3.resident_medical_insurance", False),
                  set_in("members.3.uninsured_reason", "personal"), set_in("spending.medical", 12000)))
    f = next(f for f in a.findings if f.rule_id == "GUA-02")
    assert f.message_zh == "成员 4（之母）因个人原因未参加基本医疗保险，且医疗支出 12,000 元 ≥ 10,000 元"
    assert "Mother" in f.message_en
    assert "测试" not in f.message_zh and a.to_dict()["findings"]


def test_water_message_lists_the_unmet_indicators():
    a = run(chain(set_in("guarantees.water.quality", False), set_in("guarantees.water.reliability", False)))
    f = next(f for f in a.findings if f.rule_id == "GUA-04")
    assert f.message_zh == "饮水安全未达标：水质、供水保证率"
    assert f.message_en == "Drinking water below standard: quality, reliability"
