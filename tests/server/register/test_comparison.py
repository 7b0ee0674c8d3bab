"""Department data comparison: column mappings, ID normalisation, matching, streaming."""
import io
import itertools

import pytest
from openpyxl import Workbook

from scoring import codes
from server.register.comparison import SOURCES, ComparisonStats, compare, normalize_id
from server.register.tables import TableError, text_stream

ID_A = "150102198001011234"   # check characters are not enforced for matching
ID_B = "15010219900202567X"
MEMBERS = {ID_A: ("h1", "m1"), ID_B: ("h2", "m3")}


def test_every_source_maps_to_an_exclusion_code():
    assert set(SOURCES) == {"vehicles", "real_estate", "business", "public_payroll", "social_insurance",
                            "large_deposits"}
    assert all(s.exclusion in codes.EXCLUSION for s in SOURCES.values())


@pytest.mark.parametrize("raw, expected", [
    (" 15010219900202567x ", ID_B),
    ("15010219900202567X11", ID_B),            # 残疾人证号: ID + category + grade
    ("130503670401001", "130503196704010016"),  # 15-digit legacy number widened with its check digit
    ("1501021980", None), ("", None), (None, None), ("ABCDEFGHIJKLMNOPQR", None),
])
def test_normalize_id(raw, expected):
    assert normalize_id(raw) == expected


def test_vehicle_file_with_title_rows_yields_warning_with_detail():
    csv_text = ("公安局车辆登记信息\n导出日期2024-05-01\n"
                "号牌号码,车辆类型,所有人,身份证号码,初次登记日期\n"
                f"蒙A12345,小型轿车,张三,{ID_A.lower()},2023/06/01\n"
                "蒙A99999,货车,李四,110101199001011111,2022-01-01\n"
                ",,,bad-id,\n")
    stats = ComparisonStats()
    hits = list(compare("vehicles", text_stream(csv_text), MEMBERS, filename="v.csv", stats=stats))
    assert len(hits) == 1
    hit = hits[0]
    assert hit.exclusion == "vehicle" and hit.member_ref == ("h1", "m1")
    assert hit.record_date == "2023-06-01"
    assert hit.detail == {"plate": "蒙A12345", "vehicle_type": "小型轿车", "name": "张三"}
    assert hit.row_number == 4
    assert stats.to_dict() == {"rows": 3, "matched": 1, "unmatched": 1, "invalid_id": 1, "skipped": 0,
                               "skip_reasons": {}}


def test_custom_column_mapping_overrides_aliases():
    csv_text = f"owner_no,regdate,where\n{ID_B},20240115,城关镇幸福小区3-201\n"
    hits = list(compare("real_estate", text_stream(csv_text), MEMBERS, filename="r.csv",
                        mapping={"id_number": "owner_no", "date": "regdate", "address": "where"}))
    assert [(h.exclusion, h.record_date, h.detail) for h in hits] == \
        [("town_property", "2024-01-15", {"address": "城关镇幸福小区3-201"})]


def test_mapped_column_missing_is_an_error():
    with pytest.raises(TableError):
        list(compare("real_estate", text_stream("身份证号,x\n1,2\n"), MEMBERS, filename="r.csv",
                     mapping={"address": "nowhere"}))


def test_social_insurance_only_counts_state_employers_and_needs_the_column():
    csv_text = ("身份证号码,单位名称,单位类型\n"
                f"{ID_A},某县教育局,机关\n{ID_B},某服装厂,私营企业\n")
    stats = ComparisonStats()
    hits = list(compare("social_insurance", text_stream(csv_text), MEMBERS, filename="s.csv", stats=stats))
    assert [h.member_ref for h in hits] == [("h1", "m1")]
    assert hits[0].exclusion == "public_employee"
    assert stats.skipped == 1
    with pytest.raises(TableError):
        list(compare("social_insurance", text_stream(f"身份证号码,单位名称\n{ID_A},x\n"), MEMBERS, filename="s.csv"))


def test_large_deposits_threshold_is_optional():
    csv_text = f"身份证号码,金额\n{ID_A},\"80,000\"\n{ID_B},300000\n"
    all_hits = list(compare("large_deposits", text_stream(csv_text), MEMBERS, filename="d.csv"))
    assert len(all_hits) == 2
    big = list(compare("large_deposits", text_stream(csv_text), MEMBERS, filename="d.csv",
                       options={"min_amount": 100000}))
    assert [h.member_ref for h in big] == [("h2", "m3")]


def test_xlsx_file_is_read(tmp_path):
    wb = Workbook()
    ws = wb.active
    ws.append(["企业名称", "法定代表人", "法定代表人证件号码", "成立日期"])
    ws.append(["某某商贸有限公司", "王五", ID_B, "2021-03-04"])
    path = tmp_path / "biz.xlsx"
    wb.save(path)
    hits = list(compare("business", str(path), MEMBERS))
    assert [(h.exclusion, h.detail["company"], h.record_date) for h in hits] == \
        [("company", "某某商贸有限公司", "2021-03-04")]


def test_gb18030_csv_is_decoded():
    data = f"身份证号码,单位名称\n{ID_A},某乡人民政府\n".encode("gb18030")
    hits = list(compare("public_payroll", io.BytesIO(data), MEMBERS, filename="p.csv"))
    assert hits[0].detail["employer"] == "某乡人民政府"


def test_file_without_id_header_is_refused():
    with pytest.raises(TableError):
        list(compare("vehicles", text_stream("a,b\n1,2\n"), MEMBERS, filename="v.csv"))


class EndlessCsv(io.RawIOBase):
    """A CSV stream that never ends: proves the comparison streams instead of loading the file."""

    def __init__(self):
        self._lines = (f"{ID_A if i % 1000 == 0 else '110101199001011111'},x\n".encode()
                       for i in itertools.count())
        self._lines = itertools.chain([b"\xe8\xba\xab\xe4\xbb\xbd\xe8\xaf\x81\xe5\x8f\xb7\xe7\xa0\x81,w\n"],
                                      self._lines)
        self._buf = b""

    def readable(self):
        return True

    def readinto(self, b):
        while len(self._buf) < len(b):
            self._buf += next(self._lines)
        n = len(b)
        b[:n], self._buf = self._buf[:n], self._buf[n:]
        return n


def test_comparison_streams_an_endless_file():
    hits = compare("public_payroll", io.BufferedReader(EndlessCsv()), MEMBERS, filename="p.csv")
    first = list(itertools.islice(hits, 3))
    assert [h.row_number for h in first] == [2, 1002, 2002]
