"""Photo bundle: one folder per household, files streamed, an index workbook."""
import io
import zipfile

import openpyxl

from exports import photos
from tests.exports.export_factories import make_household


def _opener(store):
    def open_attachment(hh, name):
        data = store.get((hh["household_no"], name))
        return io.BytesIO(data) if data is not None else None
    return open_attachment


def test_folders_files_and_index():
    a = make_household()
    b = make_household(household_no=None, household_id=99)
    b["record"]["head_name"] = "李/四"
    store = {("6205231012010035", "auth-1.jpg"): b"A" * 10,
             ("6205231012010035", "house-1.jpg"): b"H" * 5,
             ("6205231012010035", "bill-1.jpg"): b"B",
             ("6205231012010035", "sig-1.png"): b"S",
             (None, "auth-1.jpg"): b"Z"}
    buf = io.BytesIO()
    summary = photos.write_bundle(buf, [a, b], _opener(store))
    assert summary.households == 2 and summary.files == 5 and summary.missing == 3
    assert summary.bytes == 18
    zf = zipfile.ZipFile(buf)
    names = zf.namelist()
    assert "杨家庄村_王建国_6205231012010035/承诺授权书_auth-1.jpg" in names
    assert "杨家庄村_王建国_6205231012010035/佐证照片01_house-1.jpg" in names
    assert "杨家庄村_王建国_6205231012010035/佐证照片02_bill-1.jpg" in names
    assert "杨家庄村_李_四_无户编号99/承诺授权书_auth-1.jpg" in names
    assert zf.read("杨家庄村_王建国_6205231012010035/承诺授权书_auth-1.jpg") == b"A" * 10
    ws = openpyxl.load_workbook(io.BytesIO(zf.read(photos.INDEX_NAME)))["索引"]
    rows = list(ws.iter_rows(min_row=3, values_only=True))
    assert len(rows) == 8
    assert rows[0][1:] == ("杨家庄村_王建国_6205231012010035", "大像山镇", "杨家庄村",
                           "6205231012010035", "王建国", "承诺授权书", "承诺授权书_auth-1.jpg", "是")
    missing = [r for r in rows if r[-1] != "是"]
    assert {r[7] for r in missing} == {"户主签字_sig-1.png", "佐证照片01_house-1.jpg",
                                       "佐证照片02_bill-1.jpg"}


def test_same_folder_name_twice_is_kept_apart():
    store = {("6205231012010035", "auth-1.jpg"): b"1"}
    buf = io.BytesIO()
    photos.write_bundle(buf, [make_household(), make_household()], _opener(store))
    names = zipfile.ZipFile(buf).namelist()
    assert "杨家庄村_王建国_6205231012010035(2)/承诺授权书_auth-1.jpg" in names
