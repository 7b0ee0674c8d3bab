"""Exports lose nothing and carry no formulas (issue #12 §5)."""
from __future__ import annotations

import csv
import io
import zipfile

import openpyxl
import pytest

from exports.central_csv import Submission, write_bundle
from exports.csv_safety import safe_cell, writer
from exports.xlsx import Workbook

XFORM = """<?xml version="1.0"?>
<h:html xmlns="http://www.w3.org/2002/xforms" xmlns:h="http://www.w3.org/1999/xhtml"
        xmlns:jr="http://openrosa.org/javarosa">
  <h:head><h:title>入户</h:title><model>
    <instance><survey id="visit" version="1"><head_name/><photo/><altitude/>
      <member jr:template=""><name/><idphoto/></member><meta><instanceID/></meta></survey></instance>
    <bind nodeset="/survey/photo" type="binary"/><bind nodeset="/survey/member/idphoto" type="binary"/>
  </model></h:head><h:body/></h:html>"""


def _instance(iid: str, name: str, photo: str = "photo-0001.jpg", altitude: str = "") -> bytes:
    return (f"<survey id='visit' version='1'><head_name>{name}</head_name><photo>{photo}</photo>"
            f"<altitude>{altitude}</altitude><member><name>{name}</name><idphoto>photo-0002.jpg</idphoto></member>"
            f"<meta><instanceID>{iid}</instanceID></meta></survey>").encode()


def _sub(iid: str, name: str, files: dict[str, bytes], submitter: str | None = None, **kw) -> Submission:
    return Submission(iid, _instance(iid, name, **kw), submitter_name=submitter,
                      attachments=[(n, (lambda data=data: io.BytesIO(data))) for n, data in files.items()])


def _rows(zf: zipfile.ZipFile, name: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(zf.read(name).decode("utf-8-sig"))))


def test_attachments_of_the_same_name_from_different_submissions_are_all_kept():
    subs = [_sub("uuid:aaa", "甲", {"photo-0001.jpg": b"A1", "photo-0002.jpg": b"A2"}),
            _sub("uuid:bbb", "乙", {"photo-0001.jpg": b"B1", "photo-0002.jpg": b"B2"}),
            _sub("uuid/ccc", "丙", {"photo-0001.jpg": b"C1"}),
            _sub("uuid-ccc", "丁", {"photo-0001.jpg": b"D1"})]   # same folder name once cleaned
    buf = io.BytesIO()
    summary = write_bundle(buf, XFORM, subs)
    zf = zipfile.ZipFile(buf)
    assert summary.media_files == 6
    root = _rows(zf, "visit.csv")
    # every photo cell names a file in the zip holding that submission's own bytes
    assert [zf.read(r["photo"]) for r in root] == [b"A1", b"B1", b"C1", b"D1"]
    assert len({r["photo"] for r in root}) == 4
    members = _rows(zf, "visit-member.csv")
    assert [zf.read(m["idphoto"]) for m in members[:2]] == [b"A2", b"B2"]
    assert members[2]["idphoto"] == "photo-0002.jpg"        # not received: the bare name, as sent
    assert all(".." not in n and ":" not in n and not n.startswith("/") for n in zf.namelist())


@pytest.mark.parametrize("value,expected", [
    ("=HYPERLINK(\"http://x\",\"点我\")", "'=HYPERLINK(\"http://x\",\"点我\")"), ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"), ("@SUM(1+1)", "'@SUM(1+1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("-12.5", "-12.5"), ("+86", "+86"), ("-1e3", "-1e3"), ("王=大山", "王=大山"), ("", ""),
])
def test_formula_cells_are_neutralised(value, expected):
    assert safe_cell(value) == expected
    out = io.StringIO()
    writer(out).writerow([value])
    assert next(csv.reader(io.StringIO(out.getvalue()))) == [expected]


def test_the_csv_bundle_neutralises_every_formula_cell():
    subs = [_sub("uuid:aaa", "=1+1", {}, altitude="-35.5", submitter="@SUM(A1)"),
            _sub("=cmd|'/C calc'!A0", "-2+3", {})]
    buf = io.BytesIO()
    write_bundle(buf, XFORM, subs)
    zf = zipfile.ZipFile(buf)
    root = _rows(zf, "visit.csv")
    assert root[0]["head_name"] == "'=1+1" and root[0]["altitude"] == "-35.5"
    assert root[0]["SubmitterName"] == "'@SUM(A1)"
    assert root[1]["head_name"] == "'-2+3" and root[1]["KEY"] == "'=cmd|'/C calc'!A0"
    members = _rows(zf, "visit-member.csv")
    assert members[0]["name"] == "'=1+1" and members[1]["PARENT_KEY"] == "'=cmd|'/C calc'!A0"
    for name in zf.namelist():
        if name.endswith(".csv"):
            for row in csv.reader(io.StringIO(zf.read(name).decode("utf-8-sig"))):
                assert not any(c[:1] in ("=", "@") for c in row), (name, row)


def test_xlsx_writer_stores_formula_looking_text_as_inline_strings():
    buf = io.BytesIO()
    with Workbook(buf) as book:
        with book.sheet("数据") as sheet:
            sheet.row(["=1+1", "@SUM(A1:A2)", "+cmd|' /C calc'!A0", "-2+3", 5])
    sheet_xml = zipfile.ZipFile(buf).read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml
    assert sheet_xml.count('t="inlineStr"') == 4
    buf.seek(0)
    ws = openpyxl.load_workbook(buf).active
    assert [c.data_type for c in ws[1]][:4] == ["s", "s", "s", "s"]
    assert ws["A1"].value == "=1+1" and ws["E1"].value == 5
