"""Region import: 12-digit codes, names, vintage, tree validation."""
from openpyxl import Workbook

from server.register.region_import import read_regions
from server.register.tables import text_stream

GOOD = """区划代码,名称,年份
150000000000,内蒙古自治区,2023
150100000000,呼和浩特市,2023
150102000000,新城区,2023
150102001000,海拉尔东路街道,2023
150102001001,光明社区,2023
"""


def test_valid_tree_in_parent_order():
    result = read_regions(text_stream(GOOD), filename="r.csv")
    assert result.ok, result.errors
    assert [r.level for r in result.regions] == ["province", "city", "county", "township", "village"]
    village = result.regions[-1]
    assert (village.parent_code, village.vintage, village.name) == ("150102001000", 2023, "光明社区")


def test_children_before_parents_in_the_file_still_sorted():
    lines = GOOD.splitlines()
    text = "\n".join([lines[0]] + list(reversed(lines[1:]))) + "\n"
    result = read_regions(text_stream(text), filename="r.csv")
    assert result.ok and result.regions[0].code == "150000000000"


def test_errors_are_collected_per_row():
    text = ("code,name\n150102001001,光明社区\n15010200100,短\n150102001002,\n"
            "150102001001,重复\n150100000001,跳级\n")
    result = read_regions(text_stream(text), filename="r.csv", vintage=2023)
    messages = {e["row"]: e["message"] for e in result.errors}
    assert set(messages) == {2, 3, 4, 5, 6}
    assert "12" in messages[3] and "duplicate" in messages[5] and "parent" in messages[2]


def test_existing_regions_satisfy_parents_and_vintage_option():
    result = read_regions(text_stream("code,name\n150102001002,新村\n"), filename="r.csv", vintage=2024,
                          existing={"150102001000"})
    assert result.ok and result.regions[0].vintage == 2024


def test_missing_vintage_and_wrong_parent_column():
    result = read_regions(text_stream("code,name,parent_code\n150100000000,市,140000000000\n"), filename="r.csv",
                          existing={"150000000000"})
    assert len(result.errors) == 1 and "vintage" in result.errors[0]["message"]
    result = read_regions(text_stream("code,name,parent_code\n150100000000,市,140000000000\n"), filename="r.csv",
                          vintage=2023, existing={"150000000000"})
    assert "parent" in result.errors[0]["message"]


def test_xlsx(tmp_path):
    wb = Workbook()
    ws = wb.active
    for line in GOOD.splitlines():
        ws.append(line.split(","))
    path = tmp_path / "regions.xlsx"
    wb.save(path)
    result = read_regions(str(path))
    assert result.ok and len(result.regions) == 5


def test_not_a_table():
    result = read_regions(text_stream("hello\nworld\n"), filename="r.csv")
    assert not result.ok and result.errors[0]["row"] == 0
