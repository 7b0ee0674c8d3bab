"""Public notices: the right rows and titles, and no personal data in any output format."""
import datetime as dt
import io
import re

import openpyxl
import pytest

from exports import notices
from exports.notices import NoticeError
from tests.exports.export_factories import CHILD_ID, HEAD_ID, SPOUSE_ID, make_household

START, END = dt.date(2026, 3, 16), dt.date(2026, 3, 20)
SECRETS = [HEAD_ID, SPOUSE_ID, CHILD_ID, "13912345678", "13812345678", "长期慢性病", "残疾",
           "患有大病"]


def _notice(kind="identification_village", **kw):
    eliminated = make_household(status="eliminated", elimination_method="assisted",
                                eliminated_on="2026-10-01")
    other = make_household(reason=None)
    other["record"]["head_name"] = "张桂芳"
    households = [make_household(), other] if kind.startswith("identification") else [eliminated]
    return notices.build_notice(kind, households, period_start=START, period_end=END,
                                contact="0938-1234567", **kw)


def test_identification_notice_rows():
    n = _notice()
    assert n.title == "杨家庄村防止返贫监测对象识别公示"
    assert n.header == ["序号", "乡镇", "村", "组", "户主姓名", "家庭人口数", "监测对象类别",
                        "主要风险", "备注"]
    assert n.rows[0] == [1, "大像山镇", "杨家庄村", "三组", "王建国", 3, "脱贫不稳定户",
                         "因病、因自然灾害（洪涝）", ""]
    assert n.rows[1][4] == "张桂芳" and n.rows[1][7] == "因病、因自然灾害（洪涝）"
    assert n.period_text == "公示期：2026年3月16日至2026年3月20日"
    assert n.signers[0] == "杨家庄村村民委员会（盖章）"


def test_elimination_notice_shows_the_result():
    n = _notice("elimination_county")
    assert n.title == "甘谷县防止返贫监测对象风险消除结果公示"
    assert n.rows[0][6] == "帮扶消除"
    assert n.signers == ["大像山镇人民政府（盖章）", "甘谷县乡村振兴部门（盖章）"]


def test_every_kind_builds():
    for kind in notices.kinds():
        assert _notice(kind).rows


def test_masked_id_column_only_on_request():
    n = _notice(show_id=True)
    assert "户主证件号码（隐藏）" in n.header
    assert n.rows[0][5] == "620523********0014"


def _xlsx_text(buf):
    buf.seek(0)
    wb = openpyxl.load_workbook(buf)
    return wb, "\n".join(str(v) for ws in wb for row in ws.iter_rows(values_only=True)
                         for v in row if v is not None)


def test_xlsx_has_title_period_table_signatures_and_no_personal_data():
    n = _notice(show_id=True)
    buf = io.BytesIO()
    notices.write_xlsx(buf, n)
    wb, text = _xlsx_text(buf)
    ws = wb["公示名单"]
    assert ws["A1"].value == n.title
    assert ws["A3"].value == n.period_text
    assert [c.value for c in ws[4]] == n.header
    assert ws["E5"].value == "王建国"
    assert "杨家庄村村民委员会（盖章）：＿＿＿＿＿＿＿＿" in text
    for secret in SECRETS:
        assert secret not in text


def test_html_is_self_contained_a4_and_escaped():
    hh = make_household()
    hh["record"]["head_name"] = "<script>王</script>"
    n = notices.build_notice("identification_village", [hh], period_start=START, period_end=END)
    html = notices.render_html(n)
    assert "size: A4" in html and "<table>" in html and n.period_text in html
    assert "&lt;script&gt;王&lt;/script&gt;" in html and "<script>" not in html
    assert not re.search(r"(https?:)?//[a-z]", html.replace("http://www.w3.org", ""))
    assert "@import" not in html and "<link" not in html
    for secret in SECRETS:
        assert secret not in html


def test_pdf_uses_a_cjk_font_and_hides_personal_data():
    pytest.importorskip("reportlab")
    n = _notice()
    data = notices.pdf_bytes(n)
    assert data.startswith(b"%PDF")
    assert b"STSong-Light" in data
    assert HEAD_ID.encode() not in data and b"13912345678" not in data


def test_bad_period_and_unknown_kind():
    with pytest.raises(NoticeError):
        notices.build_notice("identification_village", [], period_start=END, period_end=START)
    with pytest.raises(NoticeError):
        notices.build_notice("nope", [], period_start=START, period_end=END)
