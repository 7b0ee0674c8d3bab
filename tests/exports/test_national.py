"""National workbooks: titles, header on row 3, values, and the validation sheet."""
import datetime as dt
import io

import openpyxl

from exports import issues, layout, national
from tests.exports.export_factories import make_household

AS_OF = dt.date(2026, 11, 23)


def _write(households, layout_id="monitoring_persons"):
    buf = io.BytesIO()
    summary = national.write_workbook(buf, layout.builtin(layout_id), households,
                                      region_label="甘肃省天水市甘谷县", as_of=AS_OF)
    buf.seek(0)
    return openpyxl.load_workbook(buf), summary


def _issues(wb):
    ws = wb[national.VALIDATION_SHEET]
    return [r for r in ws.iter_rows(min_row=4, values_only=True)]


def test_titles_header_and_values(household):
    wb, summary = _write([household])
    lay = layout.builtin("monitoring_persons")
    assert wb.sheetnames == ["监测对象信息", "校验结果"]
    ws = wb["监测对象信息"]
    assert ws["A1"].value == "（自定义）监测对象信息"
    assert ws["A2"].value == "行政区划：甘肃省天水市甘谷县　　导出日期：2026年11月23日"
    assert [c.value for c in ws[3]] == lay.headers
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 3 and summary.rows == 3 and summary.households == 1
    head = dict(zip(lay.headers, rows[0]))
    assert head["户类型"] == "脱贫户"
    assert head["识别监测时间"] == "202603"
    assert head["家庭人口数"] == 3 and isinstance(head["家庭人口数"], int)
    assert head["人均纯收入（元）"] == 5733.33
    assert head["证件号码"] == household["record"]["head_id_number"]
    assert head["出生日期"] == "19800512"
    assert head["是否参加大病保险"] == "是"
    assert head["享受低保政策情况"] == "未享受"
    assert summary.issues == 0
    assert _issues(wb)[0][0].startswith("未发现")


def test_validation_sheet_lists_refused_rows():
    ok = make_household()
    bad = make_household(household_no=None, identified_on="2027-01-05")
    bad["record"]["members"][1]["id_number"] = "620523198203040021"   # wrong check digit
    bad["record"]["members"][2]["relation"] = "cousin"                  # not in the code list
    bad["record"]["members"][2]["name"] = ""                            # required
    orphan = make_household(region={"province": "甘肃省", "city": "天水市", "county": "甘谷县",
                                    "township": "", "village": ""})
    orphan["record"]["members"] = orphan["record"]["members"][1:]       # nobody is head
    wb, summary = _write([ok, bad, orphan])
    found = _issues(wb)
    by_code = {}
    for sheet, row, hh_no, head, person, column, value, message, code in found:
        by_code.setdefault(code, []).append((row, person, column, value))
        assert sheet == "监测对象信息" and message
    assert by_code[issues.ID_CHECK_DIGIT] == [(8, "李秀英", "证件号码", "620523198203040021")]
    assert by_code[issues.CODE_NOT_IN_LIST] == [(9, "", "与户主关系", "cousin")] or \
        by_code[issues.CODE_NOT_IN_LIST] == [(9, None, "与户主关系", "cousin")]
    assert (9, None, "姓名", None) in by_code[issues.REQUIRED_EMPTY]
    assert by_code[issues.DATE_OUT_OF_RANGE] == [(7, "王建国", "识别监测时间", "202701")]
    assert {r for r, *_ in by_code[issues.PERSON_WITHOUT_HOUSEHOLD]} == {10, 11}
    assert [r for r, *_ in by_code[issues.HOUSEHOLD_WITHOUT_HEAD]] == [10]
    assert summary.issues == len(found)
    assert summary.issues_by_code[issues.ID_CHECK_DIGIT] == 1
    # the data sheet still carries every row, bad ones included
    assert wb["监测对象信息"].max_row == 3 + 3 + 3 + 2


def test_disability_certificate_numbers_check_their_id_part(household):
    member = household["record"]["members"][2]
    member["id_type"] = "disability_cert"
    member["id_number"] = member["id_number"] + "43"
    wb, summary = _write([household])
    assert summary.issues == 0
    member["id_number"] = member["id_number"][:-1]     # 19 characters
    wb, summary = _write([household])
    assert summary.issues_by_code == {issues.ID_CHECK_DIGIT: 1}


def test_household_layout_and_progress(household):
    seen = []
    buf = io.BytesIO()
    national.write_workbook(buf, layout.builtin("households"), [household] * 1200,
                            region_label="甘谷县", as_of=AS_OF, progress=seen.append)
    assert sum(seen) == 1200
    buf.seek(0)
    ws = openpyxl.load_workbook(buf, read_only=True)["户信息"]
    rows = list(ws.iter_rows(min_row=4, values_only=True))
    assert len(rows) == 1200


def test_phone_check(household):
    household["record"]["phone"] = "0938-1234567"
    _, summary = _write([household], "households")
    assert summary.issues_by_code == {issues.PHONE_INVALID: 1}


def test_a_real_assessment_feeds_the_income_columns():
    """The export reads scoring's Assessment.to_dict() as it is, not a hand-made copy."""
    from scoring import assessment, policy

    hh = make_household()
    result = assessment.assess(hh["record"], policy.load_policy("620171101201", 2025)).to_dict()
    hh["assessment"] = result
    lay = layout.builtin("households")
    wb, summary = _write([hh], "households")
    values = dict(zip(lay.headers, next(wb["户信息"].iter_rows(min_row=4, values_only=True))))
    assert values["人均纯收入（元）"] == round(result["income"]["per_capita"], 2)
    assert values["家庭纯收入（元）"] == result["income"]["net"]
    assert values["工资性收入（元）"] == result["income"]["wage"]
    assert values["合规自付支出（元）"] == result["spending"]["total"]
