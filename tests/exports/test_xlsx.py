"""The streaming XLSX writer, read back with openpyxl."""
import io
import zipfile

import openpyxl
import pytest

from exports.xlsx import Workbook, column_letter


def _read(buf):
    buf.seek(0)
    return openpyxl.load_workbook(buf)


def test_column_letters():
    assert [column_letter(i) for i in (1, 26, 27, 52, 53, 702, 703)] == \
        ["A", "Z", "AA", "AZ", "BA", "ZZ", "AAA"]


def test_values_types_titles_and_merges():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        with book.sheet("数据", widths=[10, 12, 8], freeze_rows=3) as sheet:
            sheet.merged_title("标题", 3)
            sheet.merged_title("行政区划：甘谷县", 3, style="subtitle")
            sheet.row(["姓名", "人均纯收入（元）", "人数"], style="header")
            sheet.row(["王<建国>&", 5733.33, 3])
            sheet.row([None, "", 0])
            sheet.row(["  前后空格 ", -1.5, 10**12])
    ws = _read(buf)["数据"]
    assert ws["A1"].value == "标题" and ws["A2"].value == "行政区划：甘谷县"
    assert "A1:C1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[3]] == ["姓名", "人均纯收入（元）", "人数"]
    assert ws["A3"].font.b
    assert ws["A4"].value == "王<建国>&"
    assert ws["B4"].value == pytest.approx(5733.33) and isinstance(ws["B4"].value, float)
    assert ws["C4"].value == 3 and isinstance(ws["C4"].value, int)
    assert ws["A5"].value is None and ws["B5"].value is None and ws["C5"].value == 0
    assert ws["A6"].value == "  前后空格 "
    assert ws["C6"].value == 10**12
    assert ws.freeze_panes == "A4"


def test_control_characters_are_dropped_and_nan_left_empty():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        with book.sheet("s") as sheet:
            sheet.row(["a\x00b\x1fc\nd", float("nan"), float("inf")])
    ws = _read(buf)["s"]
    assert ws["A1"].value == "abc\nd"
    assert ws["B1"].value is None and ws["C1"].value is None


def test_deferred_sheet_keeps_workbook_order():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        data = book.sheet("数据")
        check = book.sheet("校验结果", deferred=True)
        data.row(["x"])
        check.row(["problem"])
        data.close()
        check.close()
    wb = _read(buf)
    assert wb.sheetnames == ["数据", "校验结果"]
    assert wb["校验结果"]["A1"].value == "problem"


def test_sheet_names_follow_excel_rules():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        for name in ["a/b:c", "a_b_c", "x" * 40]:
            with book.sheet(name) as sheet:
                sheet.row([1])
    names = _read(buf).sheetnames
    assert names[0] == "a_b_c" and names[1] == "a_b_c(2)"
    assert len(names[2]) == 31


def test_two_streaming_sheets_at_once_is_refused():
    with Workbook(io.BytesIO()) as book:
        book.sheet("one")
        with pytest.raises(RuntimeError):
            book.sheet("two")


def test_many_rows_stream_in_chunks():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        with book.sheet("s") as sheet:
            sheet.rows([i, f"第{i}行"] for i in range(30000))
    assert zipfile.ZipFile(buf).testzip() is None
    ws = openpyxl.load_workbook(buf, read_only=True)["s"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 30000 and rows[-1] == (29999, "第29999行")
