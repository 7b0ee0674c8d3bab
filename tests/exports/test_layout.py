"""Layouts are data: built-ins load, a province's own file works, bad files are refused."""
import pytest

from exports import layout
from exports.layout import LayoutError, RowBuilder
from scoring import codes


def test_builtin_layouts_load_and_name_known_code_lists():
    assert set(layout.builtin_ids()) >= {"monitoring_persons", "households", "migrant_workers"}
    for layout_id in layout.builtin_ids():
        lay = layout.builtin(layout_id)
        assert lay.columns and lay.title and lay.sheet
        for col in lay.columns:
            if "codes" in col.options:
                assert col.options["codes"] in codes.ALL


def test_person_rows_repeat_household_fields(household):
    lay = layout.builtin("monitoring_persons")
    rows = list(RowBuilder(lay).rows([household]))
    assert len(rows) == 3
    h = lay.headers
    names = [r[2][h.index("姓名")] for r in rows]
    assert names == ["王建国", "李秀英", "王小明"]
    for _, _, values, problems in rows:
        assert values[h.index("户主姓名")] == "王建国"
        assert values[h.index("监测对象类别")] == "脱贫不稳定户"
        assert values[h.index("识别监测时间")] == "202603"
        assert problems is None
    child = rows[2][2]
    assert child[h.index("与户主关系")] == "之子"
    assert child[h.index("在校生状况")] == "八年级"
    assert child[h.index("文化程度")] is None
    assert child[h.index("健康状况")] == "健康,残疾"
    assert child[h.index("残疾等级")] == "三级"
    assert child[h.index("人均纯收入（元）")] == 5733.33


def test_household_layout_one_row_per_household(household):
    lay = layout.builtin("households")
    rows = list(RowBuilder(lay).rows([household, household]))
    assert len(rows) == 2
    h = lay.headers
    values = rows[0][2]
    assert values[h.index("因自然灾害子项")] == "洪涝"
    assert values[h.index("健康帮扶")] == "是" and values[h.index("产业帮扶")] == "否"
    assert values[h.index("是否解决安全饮用水")] == "是"
    assert values[h.index("风险是否已消除")] == "否"
    assert values[h.index("致贫/返贫风险2")] == "因自然灾害"
    assert values[h.index("家庭纯收入（元）")] == 17200


def test_migrant_layout_keeps_only_workers(household):
    rows = list(RowBuilder(layout.builtin("migrant_workers")).rows([household]))
    assert [r[1]["name"] for r in rows] == ["王建国"]


def test_a_province_layout_file(tmp_path, household):
    path = tmp_path / "my_province.toml"
    path.write_text('''
id = "my_province"
title = "某省监测对象简表"
level = "person"
column = [
  { header = "村", source = "region.village" },
  { header = "姓名", source = "member.name", required = true },
  { header = "性别", source = "member.sex", format = "code", codes = "sex" },
  { header = "第二风险", source = "record.risks.1.code", format = "code", codes = "risk" },
]
''', encoding="utf-8")
    lay = layout.load(path)
    assert lay.sheet == "某省监测对象简表"
    rows = [r[2] for r in RowBuilder(lay).rows([household])]
    assert rows[1] == ["杨家庄村", "李秀英", "女", "因自然灾害"]


@pytest.mark.parametrize("body, message", [
    ('id="x"\ntitle="t"\nlevel="village"\ncolumn=[{header="a", source="b"}]', "level"),
    ('id="x"\ntitle="t"\ncolumn=[{header="a", source="b", format="bogus"}]', "bogus"),
    ('id="x"\ntitle="t"\ncolumn=[{header="a", source="b", check="luhn"}]', "check"),
    ('id="x"\ntitle="t"\ncolumn=[{header="a"}]', "header and source"),
    ('id="x"\ntitle="t"\nlevel="household"\ncolumn=[{header="a", source="member.name"}]', "member"),
    ('title="t"\ncolumn=[{header="a", source="b"}]', "missing key"),
])
def test_bad_layouts_are_refused(tmp_path, body, message):
    path = tmp_path / "bad.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(LayoutError, match=message):
        layout.load(path)


def test_unknown_builtin():
    with pytest.raises(LayoutError):
        layout.builtin("nope")
