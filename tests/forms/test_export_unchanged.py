"""Same facts, same national export: the reference households of bench/forms/reference.py are filled
into the current household survey in the ODK Web Forms engine, parsed, scored and exported in every
built-in national layout; the record and each workbook part's bytes must equal those of the form as it
was before issue 18 (commit ed266ab), recorded in fixtures/reference_export.json.

Regenerate only for an intended change of the record or the export:
``.venv/bin/python tests/forms/test_export_unchanged.py --write`` (and say why in the commit).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[2]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

import forms  # noqa: E402
import scoring  # noqa: E402
from bench.forms import bench_taps, reference  # noqa: E402
from exports import layout, national  # noqa: E402

FIXTURE = Path(__file__).with_name("fixtures") / "reference_export.json"
AS_OF = dt.date(2026, 11, 23)
SURVEY_DATE = "2026-11-20"
FIXED = {"instance_id": "uuid:00000000-0000-4000-8000-000000000018", "form_version": "2026.reference",
         "entity_id": "00000000-0000-4000-8000-0000000000e1"}

pytestmark = pytest.mark.engine


def reference_record(name: str) -> dict:
    """The parsed record of reference household ``name`` filled into the current form."""
    hh = reference.HOUSEHOLDS[name]()
    built = forms.build_form("household_survey", bench_taps.POLICY)
    steps = reference.fill_steps("household_survey", hh, {"survey_date": SURVEY_DATE})
    out = bench_taps.run_engine(built.xml_bytes, steps, built.media)
    assert out["status"] == "ready" and out["violations"] == [], (out["violations"], out.get("payloadViolations"))
    record = forms.parse_submission(out["instance"].encode("utf-8")).record
    record.update(FIXED)
    return record


def export_digests(record: dict) -> dict[str, str]:
    policy = scoring.load_policy(record["region_code"][:6], 2021)  # the latest year with a floor there
    assessment = scoring.assess(record, policy, None, AS_OF).to_dict()
    hh = {"household_id": 1, "household_no": "1501211002010001",
          "region": {"code": record["region_code"], "province": "内蒙古自治区", "city": "呼和浩特市",
                     "county": "土默特左旗", "township": "察素齐镇", "village": "东村"},
          "record": record, "assessment": assessment, "category": assessment.get("category"),
          "status": "monitored", "identified_on": "2026-11-20", "eliminated_on": None,
          "elimination_method": None, "reason": "因病", "updated_at": "2026-11-20T08:30:00+00:00"}
    out = {}
    for layout_id in layout.builtin_ids():
        buf = io.BytesIO()
        national.write_workbook(buf, layout.builtin(layout_id), [hh], region_label="内蒙古自治区呼和浩特市土默特左旗",
                                as_of=AS_OF)
        # Every part of the workbook, byte for byte (the zip entries' own timestamps are the clock's).
        digest = hashlib.sha256()
        with zipfile.ZipFile(buf) as z:
            for info in sorted(z.infolist(), key=lambda i: i.filename):
                digest.update(info.filename.encode() + b"\0" + z.read(info) + b"\0")
        out[layout_id] = digest.hexdigest()
    return out


def _current() -> dict:
    result = {}
    for name in reference.HOUSEHOLDS:
        record = reference_record(name)
        result[name] = {"record": json.loads(json.dumps(record, ensure_ascii=False, sort_keys=True)),
                        "exports": export_digests(record)}
    return result


@pytest.fixture(scope="module")
def current(engine):
    return _current()


BEFORE = Path(__file__).with_name("data") / "before_issue18"
BEFORE_FILES = dict(zip(reference.HOUSEHOLDS, ("1_member.xml", "4_members.xml", "7_members.xml")))


@pytest.mark.parametrize("name", list(reference.HOUSEHOLDS))
def test_instances_of_the_previous_form_still_parse_the_same(name):
    """Instances the field still holds, from the form before issue 18 (filled in the engine at
    ed266ab: rows of 是/否, member 1 typed again, 家庭人口数 typed), give today the same record."""
    record = forms.parse_submission((BEFORE / BEFORE_FILES[name]).read_bytes()).record
    record.update(FIXED)
    expected = json.loads(FIXTURE.read_text("utf-8"))[name]["record"]
    assert json.loads(json.dumps(record, ensure_ascii=False, sort_keys=True)) == expected


@pytest.mark.parametrize("name", list(reference.HOUSEHOLDS))
def test_same_facts_give_the_same_record(current, name):
    expected = json.loads(FIXTURE.read_text("utf-8"))[name]["record"]
    assert current[name]["record"] == expected


@pytest.mark.parametrize("name", list(reference.HOUSEHOLDS))
def test_national_export_is_byte_identical(current, name):
    expected = json.loads(FIXTURE.read_text("utf-8"))[name]["exports"]
    assert current[name]["exports"] == expected


if __name__ == "__main__":
    if "--write" in sys.argv:
        FIXTURE.write_text(json.dumps(_current(), ensure_ascii=False, indent=1, sort_keys=True) + "\n", "utf-8")
        print(f"wrote {FIXTURE}")
