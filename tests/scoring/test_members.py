"""Member-level plausibility PLS-01 … PLS-07, PLS-08 (member phone), PLS-12 (domain.md §8.4)."""
import pytest

from scoring_factories import chain, fired, make_id, member, run, set_in


def bad_check_digit(rec):
    n = rec["members"][1]["id_number"]
    rec["members"][1]["id_number"] = n[:17] + ("0" if n[17] != "0" else "1")


def add(m):
    def mutate(rec):
        rec["members"].append(m)
        rec["people_count"] += 1
    return mutate


CASES = [
    ("PLS-01:check_digit", "last character wrong", bad_check_digit, True),
    ("PLS-01:check_digit", "lower-case x accepted", lambda r: r["members"][0].update(
        id_number=make_id("110105", "1949-12-31", 2, "female").lower(), birth_date="1949-12-31",
        sex="female", relation="mother"), False),
    ("PLS-01:format", "16 characters", set_in("members.0.id_number", "6401221970050101"), True),
    ("PLS-01:bad_date", "30 February inside the ID", lambda r: r["members"][0].update(
        id_number=make_id("640122", "1970-02-30", 11, "male")), True),
    ("PLS-01:placeholder", "999999 placeholder", set_in("members.0.id_number", "999999197005010011"), True),
    ("PLS-01:missing", "no ID number", set_in("members.0.id_number", ""), True),
    ("PLS-01:missing", "no ID, other document type", chain(
        set_in("members.0.id_number", ""), set_in("members.0.id_type", "other")), False),
    ("PLS-01:duplicate", "two members share an ID",
     lambda r: r["members"][1].update(id_number=r["members"][0]["id_number"]), True),
    ("PLS-01:check_digit", "disability certificate: first 18 characters checked",
     lambda r: r["members"][0].update(id_number=r["members"][0]["id_number"] + "41"), False),
    ("PLS-01:head_mismatch", "head ID differs from the head member's",
     set_in("head_id_number", "11010519491231002X"), True),
    ("PLS-01:head_mismatch", "same head ID in lower case",
     lambda r: r.update(head_id_number=r["head_id_number"].lower()), False),
    ("PLS-02:mismatch", "birth date differs from the ID", set_in("members.0.birth_date", "1970-05-02"), True),
    ("PLS-03:mismatch", "sex differs from the ID", chain(
        set_in("members.0.sex", "female"), set_in("members.1.sex", "male")), True),
    ("PLS-04:head_spouse", "head and spouse both male",
     lambda r: r["members"][1].update(sex="male", id_number=make_id("640122", "1972-03-08", 21, "male")), True),
    ("PLS-04:relation", "a 'son' recorded female",
     lambda r: r["members"][2].update(sex="female", id_number=make_id("640122", "2008-09-01", 32, "female")), True),
    ("PLS-05:age", "a 40-year-old in grade 7",
     add(member("sibling", "male", "1980-01-01", 71, education=None, school_status="grade7")), True),
    ("PLS-05:age", "a 12-year-old in grade 7", None, False),
    ("PLS-06:both", "education and school status both set", set_in("members.2.education", "primary"), True),
    ("PLS-06:neither", "neither set", set_in("members.0.education", None), True),
    ("PLS-07:child_labour", "a 12-year-old ordinary worker", set_in("members.2.labour_skill", "ordinary"), True),
    ("PLS-07:no_labour", "healthy 50-year-old without labour", set_in("members.0.labour_skill", "none"), True),
    ("PLS-07:no_labour", "75-year-old without labour", None, False),
    ("PLS-08:member", "member phone of 8 digits", set_in("members.0.phone", "62812345"), True),
    ("PLS-08:member", "member mobile", set_in("members.0.phone", "15012345678"), False),
    ("PLS-12:no_members", "no members", chain(set_in("members", []), set_in("people_count", 1)), True),
    ("PLS-12:no_head", "no head", set_in("members.0.relation", "other"), True),
    ("PLS-12:many_heads", "two heads", set_in("members.1.relation", "head"), True),
    ("PLS-12:people_count", "size 6 but 4 members", set_in("people_count", 6), True),
    ("PLS-12:household_type", "household type missing", set_in("household_type", None), True),
    ("PLS-12:household_type", "household type ordinary", None, False),
]


@pytest.mark.parametrize("rule,why,mutate,expected", CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES])
def test_rule_table(rule, why, mutate, expected):
    assert (rule in fired(run(mutate))) is expected, why


def test_id_findings_never_contain_the_number():
    a = run(bad_check_digit)
    f = next(f for f in a.findings if f.rule_id == "PLS-01")
    assert f.severity == "error"
    assert f.message_zh == "成员 2（配偶）证件号码校验位错误"
    import json
    assert "640122" not in json.dumps(f.to_dict(), ensure_ascii=False)


def test_birth_date_is_taken_from_the_id_when_missing():
    # The member's age (from the ID) still drives the child-labour check.
    a = run(chain(set_in("members.2.birth_date", None), set_in("members.2.labour_skill", "ordinary")))
    assert "PLS-07:child_labour" in fired(a)


def test_mismatch_messages_show_both_values():
    a = run(set_in("members.0.birth_date", "1970-05-02"))
    f = next(f for f in a.findings if f.rule_id == "PLS-02")
    assert f.message_zh == "成员 1（户主）出生日期 1970-05-02 与证件号码中的 1970-05-01 不一致"
    a = run(chain(set_in("members.0.sex", "female"), set_in("members.1.sex", "male")))
    f = next(f for f in a.findings if f.rule_id == "PLS-03")
    assert f.message_zh == "成员 1（户主）性别为女，证件号码显示为男"


def test_health_as_comma_joined_text_is_read():
    a = run(chain(set_in("members.3.health", "disabled,chronic"), set_in("risks", [{"code": "disability"}])))
    assert "RSK-02:no_disabled" not in fired(a)
