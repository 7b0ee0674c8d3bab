"""forms.xpath: the GB 11643 check digit (Python side; the engine side is in test_engine.py)."""
from __future__ import annotations

from forms.xpath import id_check_digit, id_valid


def test_check_digit_of_published_examples():
    assert id_check_digit("11010519491231002") == "X"   # the GB 11643 specimen number
    assert id_check_digit("44052418800101001") == "4"


def test_constraint_uses_odk_substr_zero_based_with_end_index():
    expr = id_valid(".")
    # JavaRosa (ODK Collect) has no XPath 1.0 substring(); character n is substr(s, n - 1, n)
    assert "substring(" not in expr
    assert "substr(., 0, 1) * 7" in expr and "substr(., 16, 17) * 2" in expr
    assert "substr(., 17, 18)" in expr and "mod 11" in expr and "'10X98765432'" in expr


ID_FORM = """
| survey |
| | type | name | label | constraint | constraint_message | calculation |
| | text | idn | ID | {valid} | bad check digit | |
| | calculate | birth | | | | {birth} |
| | calculate | sex | | | | {sex} |
| | calculate | age | | | | {age} |
| | text | raw | Raw | | | |
| | calculate | problem | | | | {problem} |
| settings |
| | form_id | version |
| | id_probe | 1 |
"""


def _id_form() -> bytes:
    from pyxform.xls2xform import convert
    from forms.xpath import age_on, id_birth_date, id_problem, id_sex
    md = ID_FORM.format(valid=id_valid(".").replace("|", "\\|"), birth=id_birth_date("${idn}").replace("|", "\\|"),
                        sex=id_sex("${idn}"), age=age_on("${birth}"),
                        problem=id_problem("${raw}", "zh").replace("|", "\\|"))
    return convert(md, file_type=".md").xform.encode()


import pytest  # noqa: E402


@pytest.mark.engine
def test_id_expressions_in_the_web_forms_engine(engine):
    xml = _id_form()
    ok, bad = "11010519491231002X", "110105194912310021"
    out = engine.run(xml, [{"op": "set", "ref": "/data/idn", "value": bad}, {"op": "read", "ref": "/data/idn"},
                           {"op": "set", "ref": "/data/idn", "value": ok}, {"op": "read", "ref": "/data/idn"}])
    assert out["reads"][0]["violation"]["message"] == "bad check digit"
    assert out["reads"][1]["violation"] is None
    v = out["values"]
    assert (v["/data/birth"], v["/data/sex"]) == ("1949-12-31", "female")
    assert int(v["/data/age"]) >= 76


@pytest.mark.engine
def test_id_expressions_in_javarosa(javarosa):
    xml = _id_form()
    bad = javarosa.run(xml, [("/data/idn", "110105194912310021")])
    assert bad["violations"][0]["condition"] == "constraint"
    good = javarosa.run(xml, [("/data/idn", "44052419800101001" + id_check_digit("44052419800101001"))])
    assert good["violations"] == []
    assert (good["values"]["/data/birth"], good["values"]["/data/sex"]) == ("1980-01-01", "male")


# A number of each kind of mistake, the word the cadre is told, and a lowercase x accepted.
_PROBLEMS = [("11010519491231002", "位数"), ("110105194913310021", "出生日期"),
             ("110105194912310021", "校验位"), ("11010519491231002x", "")]


@pytest.mark.engine
def test_id_problem_names_the_rule_in_both_engines(engine, javarosa):
    xml = _id_form()
    for raw, word in _PROBLEMS:
        web = engine.run(xml, [{"op": "set", "ref": "/data/raw", "value": raw}])["values"]["/data/problem"]
        jr = javarosa.run(xml, [("/data/raw", raw)])["values"]["/data/problem"]
        assert (word in web and word in jr) if word else (web == jr == ""), (raw, web, jr)
    assert engine.run(xml, [{"op": "set", "ref": "/data/idn", "value": "11010519491231002x"}])["violations"] == []
