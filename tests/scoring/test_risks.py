"""Risk-consistency rules RSK-01 … RSK-10 (domain.md §5.1)."""
import pytest

from scoring_factories import chain, fired, member, run, set_in


def risks(*items):
    return set_in("risks", [i if isinstance(i, dict) else {"code": i} for i in items])


def all_able(rec):
    for m in rec["members"]:
        m["labour_skill"] = "ordinary"


def nobody_works(rec):
    for m in rec["members"]:
        m.pop("work_months", None)
        m.pop("work_location", None)


def two_students(rec):
    for seq, birth in ((61, "2001-09-01"), (62, "2000-10-01")):
        rec["members"].append(member("son", "male", birth, seq, education=None,
                                     school_status="bachelor2", labour_skill="none"))
    rec["people_count"] += 2


CASES = [
    ("RSK-01:no_patient", "illness declared, everyone healthy",
     chain(risks("illness"), set_in("members.3.health", ["healthy"])), True),
    ("RSK-01:no_spending", "illness declared, chronic patient, no medical spending", risks("illness"), True),
    ("RSK-01:no_spending", "illness with patient and spending",
     chain(risks("illness"), set_in("spending.medical", 2000)), False),
    ("RSK-02:no_disabled", "disability declared, nobody disabled", risks("disability"), True),
    ("RSK-02:no_disabled", "disability declared, a disabled member",
     chain(risks("disability"), set_in("members.3.health", ["disabled"])), False),
    ("RSK-03:able", "lack of labour declared, 2 of 4 are able", risks("lack_of_labour"), True),
    ("RSK-03:able", "lack of labour declared, 1 of 4 able (= ¼)",
     chain(risks("lack_of_labour"), set_in("members.1.labour_skill", "weak")), False),
    ("RSK-04:no_labour", "unstable employment, nobody can work",
     chain(risks("unstable_employment"), lambda r: [m.update(labour_skill="none") for m in r["members"]]), True),
    ("RSK-04:no_work", "unstable employment, nobody has worked",
     chain(risks("unstable_employment"), nobody_works), True),
    ("RSK-04:no_work", "unstable employment with a migrant worker", risks("unstable_employment"), False),
    ("RSK-05:no_subitem", "natural disaster without sub-item", risks("natural_disaster"), True),
    ("RSK-05:no_subitem", "natural disaster: drought",
     risks({"code": "natural_disaster", "disaster": "drought"}), False),
    ("RSK-06:no_note", "other without note", risks("other"), True),
    ("RSK-06:no_note", "other with note", risks({"code": "other", "note": "子女离婚返家"}), False),
    ("RSK-07:no_student", "schooling declared, nobody in school",
     chain(risks("education"), set_in("members.2.school_status", None),
           set_in("members.2.education", "junior")), True),
    ("RSK-07:no_student", "schooling declared with a pupil", risks("education"), False),
    ("RSK-08:housing_met", "unsafe housing declared, grade A house", risks("housing"), True),
    ("RSK-08:water_met", "unsafe water declared, all indicators met", risks("water"), True),
    ("RSK-08:water_met", "unsafe water declared and quality not met",
     chain(risks("water"), set_in("guarantees.water.quality", False)), False),
    ("RSK-09:too_many", "six risks", risks("illness", "disability", "accident", "epidemic",
                                           "education", "weak_motivation"), True),
    ("RSK-09:duplicate", "accident twice", risks("accident", "accident"), True),
    ("RSK-09:unknown_code", "made-up code", risks("bad_luck"), True),
    ("RSK-10:inferred", "a disabled member, nothing declared", set_in("members.3.health", ["disabled"]), True),
    ("RSK-10:inferred", "chronic patient with medical spending", set_in("spending.medical", 3000), True),
    ("RSK-10:inferred", "nothing implies a risk", None, False),
    ("RSK-10:inferred", "nobody able to work", lambda r: [m.update(labour_skill="weak") for m in r["members"]], True),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_declared_and_inferred_lists():
    a = run(chain(risks("accident"), set_in("members.3.health", ["disabled"]),
                  set_in("guarantees.water.quantity", False)))
    assert a.risks_declared == ["accident"]
    assert a.risks_inferred == ["disability", "water"]
    msgs = [f.message_zh for f in a.findings if f.rule_id == "RSK-10"]
    assert msgs == ["数据显示有残疾成员，但未申报「因残」风险", "数据显示饮水安全未保障，但未申报「饮水出现安全问题」风险"]


def test_ningxia_college_students_imply_schooling_risk():
    assert "education" in run(two_students).risks_inferred          # Helan 2020: ≥ 2
    assert "education" not in run(two_students, region="150102", year=2021).risks_inferred
