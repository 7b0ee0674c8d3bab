"""forms.entities: the entity list file and a record's entity properties."""
from __future__ import annotations

import csv
import io
from pathlib import Path

import forms

INSTANCE = Path(__file__).parent / "data" / "household_survey_instance.xml"


def test_record_properties_equal_what_the_form_saves():
    parsed = forms.parse_submission(INSTANCE.read_bytes())
    from_record = forms.entity_properties(parsed.record)
    saved = parsed.entity["properties"]
    assert list(from_record) == list(saved) == list(forms.ENTITY_PROPERTIES)
    for name, value in saved.items():
        mine = from_record[name] or ""
        try:
            assert float(mine) == float(value), name
        except ValueError:
            assert mine == value, name
    assert from_record["risks"] == "illness natural_disaster other"
    assert (from_record["risk_disaster"], from_record["risk_note"]) == ("drought", "主要劳力受伤")
    assert from_record["school_dropout"] == "no"


def test_households_csv_layout():
    data = forms.households_csv([("uuid:abc", "张三（东村）", 2, {"people_count": 3, "risks": "illness",
                                                               "not_a_property": "x"})])
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"))))
    assert rows[0] == list(forms.entity_list_header()) == ["name", "label", "__version", *forms.ENTITY_PROPERTIES]
    row = dict(zip(rows[0], rows[1]))
    assert (row["name"], row["label"], row["__version"]) == ("abc", "张三（东村）", "2")
    assert row["people_count"] == "3" and row["risks"] == "illness" and row["head_name"] == ""
    assert "not_a_property" not in rows[0]
