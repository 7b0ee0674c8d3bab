"""Imports refuse zip bombs, oversize sheets and broken CSVs with a clear zh/en message (issue #12 §4)."""
from __future__ import annotations

import io
import zipfile

import openpyxl
import pytest
from sqlalchemy import func, select

from server.jobs import Job
from server.register import tables
from tests.server.register.world import HEAD_ID

REGIONS_CSV = "区划代码,名称,年份\n150000000000,内蒙古自治区,2023\n"


def _xlsx(rows: list[list]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _with_member(xlsx: bytes, name: str, data: bytes) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info)
            if info.filename == name:
                payload = data
            dst.writestr(info, payload, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def _bomb() -> bytes:
    """A valid workbook whose sheet inflates from ~100 kB to 100 MB (ratio ~1000)."""
    base = _xlsx([["区划代码", "名称", "年份"], ["150000000000", "内蒙古自治区", 2023]])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    head, _, tail = sheet.partition(b"</sheetData>")
    filler = b"<!--" + b" " * 100_000_000 + b"-->"
    return _with_member(base, "xl/worksheets/sheet1.xml", head + filler + b"</sheetData>" + tail)


@pytest.fixture
def no_openpyxl(monkeypatch):
    """openpyxl must not even open what the zip directory already refuses."""
    def refuse(*_a, **_kw):  # noqa: ANN002, ANN003
        raise AssertionError("openpyxl.load_workbook was called")
    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def _regions(api, content: bytes, filename: str):
    return api.post("/regions/import", "admin", data={"file": (io.BytesIO(content), filename), "vintage": "2023"},
                    content_type="multipart/form-data")


def _messages(response) -> str:
    body = response.get_json()
    return " ".join(e["message"] for e in body.get("details", {}).get("errors", [])) or body["message"]


def test_region_import_refuses_a_zip_bomb_before_opening_it(api, world, no_openpyxl):
    bomb = _bomb()
    assert len(bomb) < 1_000_000
    r = _regions(api, bomb, "regions.xlsx")
    assert r.status_code == 422
    assert "压缩炸弹" in _messages(r) and "zip bomb" in _messages(r)


def test_department_import_refuses_a_zip_bomb_before_queueing_a_job(api, world, db_session, no_openpyxl):
    data = {"source": "vehicles", "region_code": "150121000000", "file": (io.BytesIO(_bomb()), "v.xlsx")}
    r = api.post("/comparison/imports", "county", data=data, content_type="multipart/form-data")
    assert r.status_code == 422 and "zip bomb" in r.get_json()["message"], r.get_json()
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(Job)) == 0


def test_workbook_inflating_past_the_size_limit_is_refused(app, api, world, no_openpyxl):
    app.config["IMPORT_MAX_XLSX_BYTES"] = 5_000
    rows = [["区划代码", "名称", "年份"]] + [[f"1500000000{i:02d}", "某地" * 20, 2023] for i in range(100)]
    r = _regions(api, _xlsx(rows), "regions.xlsx")
    assert r.status_code == 422 and "above the limit of 5000" in _messages(r)


def test_too_many_rows_are_refused_while_reading(app, api, world):
    app.config["IMPORT_MAX_ROWS"] = 50
    text = "区划代码,名称,年份\n" + "".join(f"1500000000{i % 100:02d},某地,2023\n" for i in range(100))
    r = _regions(api, text.encode(), "regions.csv")
    assert r.status_code == 422 and "more than 50 rows" in _messages(r) and "拆分" in _messages(r)
    rows = [["区划代码", "名称", "年份"]] + [[f"1500000000{i % 100:02d}", "某地", 2023] for i in range(100)]
    r = _regions(api, _xlsx(rows), "regions.xlsx")
    assert r.status_code == 422 and "more than 50 rows" in _messages(r)


@pytest.mark.parametrize("content,needle", [
    (REGIONS_CSV.encode() + b"150100000000,\x00\x00,2023\n", "NUL"),
    (REGIONS_CSV.encode() + b"150100000000,\"" + b"x" * 50_000_000 + b"\",2023\n", "longer than 8000000"),
    (REGIONS_CSV.encode() + b"150100000000,\"" + (b"x" * 999 + b"\n") * 50_000 + b"\",2023\n", "too long"),
    (REGIONS_CSV.encode() + b"150100000000," + b"y" * 50_000_000 + b",2023\n", "longer than"),
    (REGIONS_CSV.encode() + b"150100000000,\"" + b"z" * 40_000 + b"\",2023\n", "longer than 32767"),
], ids=["nul", "quoted-50MB-field", "50MB-field-of-lines", "50MB-line", "cell-over-32767"])
def test_broken_csv_is_a_clear_422(api, world, content, needle):
    r = _regions(api, content, "regions.csv")
    assert r.status_code == 422, r.data[:300]
    assert needle in _messages(r)


def test_department_job_with_a_nul_fails_cleanly(app, api, world, db_session):
    from server.jobs import run_pending
    data = {"source": "vehicles", "region_code": "150121000000",
            "file": (io.BytesIO(f"身份证号码,号牌号码\n{HEAD_ID},蒙A1\x00\n".encode()), "v.csv")}
    assert api.post("/comparison/imports", "county", data=data, content_type="multipart/form-data").status_code == 202
    run_pending(app)
    db_session.rollback()
    job = db_session.scalars(select(Job)).one()
    assert job.state == "failed" and "NUL" in job.error


def test_forged_sheet_width_is_refused(api, world):
    base = _xlsx([["区划代码", "名称", "年份"], ["150000000000", "内蒙古自治区", 2023]])
    with zipfile.ZipFile(io.BytesIO(base)) as z:
        sheet = z.read("xl/worksheets/sheet1.xml")
    forged = sheet.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:XFD1048576"/>')
    assert forged != sheet
    r = _regions(api, _with_member(base, "xl/worksheets/sheet1.xml", forged), "regions.xlsx")
    assert r.status_code == 422 and "more than 1024 columns" in _messages(r)


def test_limits_come_from_the_settings(app):
    with app.app_context():
        app.config["IMPORT_MAX_ROWS"] = 7
        assert tables.current_limits().max_rows == 7
    assert tables.current_limits() == tables.TableLimits()
