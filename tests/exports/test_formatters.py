import datetime as dt

import pytest

from exports import formatters
from exports.issues import CODE_NOT_IN_LIST, DATE_OUT_OF_RANGE, INVALID_VALUE


def fmt(_name, _value, **opts):
    return formatters.make(_name, opts)(_value)


def test_code_labels_are_national_text():
    assert fmt("code", "unstable", codes="category") == ("脱贫不稳定户", None)
    assert fmt("code", "ordinary", codes="household_type") == ("一般农户", None)
    assert fmt("code", "son", codes="relation") == ("之子", None)
    assert fmt("code", "alien", codes="relation") == ("alien", CODE_NOT_IN_LIST)
    assert fmt("code", None, codes="relation") == (None, None)


def test_multi_select_joined_with_commas():
    assert fmt("codes", ["disabled", "chronic"], codes="health") == ("残疾,长期慢性病", None)
    assert fmt("codes", "healthy chronic", codes="health") == ("健康,长期慢性病", None)
    assert fmt("codes", ["x"], codes="health") == ("x", CODE_NOT_IN_LIST)


def test_yes_no_and_inverted():
    assert fmt("yes_no", True) == ("是", None)
    assert fmt("yes_no", False) == ("否", None)
    assert fmt("yes_no", False, invert=True) == ("是", None)
    assert fmt("yes_no", None) == (None, None)
    assert fmt("yes_no", "maybe") == ("maybe", INVALID_VALUE)


def test_yyyymm_and_range():
    today = dt.date(2026, 11, 23)
    assert fmt("yyyymm", "2026-03-15", today=today) == ("202603", None)
    assert fmt("yyyymm", "2026-12-01", today=today) == ("202612", DATE_OUT_OF_RANGE)
    assert fmt("yyyymm", "2019-12-31", min="2020-01", today=today) == ("201912", DATE_OUT_OF_RANGE)
    assert fmt("yyyymm", "2026/03", today=today) == ("2026/03", INVALID_VALUE)


def test_date_pattern():
    assert fmt("date", "1980-05-12", pattern="%Y%m%d") == ("19800512", None)
    assert fmt("date", "1980-02-30") == ("1980-02-30", INVALID_VALUE)
    assert fmt("date", "2099-01-01", today=dt.date(2026, 1, 1))[1] == DATE_OUT_OF_RANGE


def test_numbers_stay_numbers():
    assert fmt("number", 5733.3333, decimals=2) == (5733.33, None)
    assert fmt("number", 3.0) == (3, None)
    assert fmt("number", "12.5") == (12.5, None)
    assert fmt("number", 3.4, decimals=0) == (3, None)
    assert fmt("number", 40, max=30) == (40, INVALID_VALUE)
    assert fmt("number", "abc") == ("abc", INVALID_VALUE)


def test_list_helpers():
    measures = [{"measure": "health"}, {"measure": "employment"}]
    assert fmt("has", measures, key="measure", value="health") == ("是", None)
    assert fmt("has", measures, key="measure", value="finance") == ("否", None)
    risks = [{"code": "illness"}, {"code": "natural_disaster", "disaster": "flood"}]
    assert fmt("pick", risks, key="code", value="natural_disaster", field="disaster",
               codes="disaster") == ("洪涝", None)
    assert fmt("is", "eliminated", value="eliminated") == ("是", None)
    assert fmt("count", [1, 2]) == (2, None)


def test_unknown_formatter():
    with pytest.raises(KeyError):
        formatters.make("nope")
