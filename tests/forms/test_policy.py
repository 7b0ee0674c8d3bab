"""forms.policy: validation of the policy input, the cascading-select CSV, the scoring adapter."""
from __future__ import annotations

import csv
import io
from types import SimpleNamespace

import pytest

from forms import FormPolicy, Village, policy_from_scoring, regions_csv


def test_regions_csv_has_each_level_once_sorted(policy):
    rows = list(csv.reader(io.StringIO(regions_csv(policy).decode("utf-8"))))
    assert rows[0] == ["name", "label", "level", "parent"]
    assert rows[1] == ["150121", "土默特左旗", "county", ""]
    assert [r[2] for r in rows[1:]] == ["county", "township", "township", "village", "village", "village"]
    assert ["150121100202", "西村", "village", "150121100"] in rows


def test_village_codes_must_nest():
    with pytest.raises(ValueError, match="not inside township"):
        Village("150121", "a", "150121100", "b", "150121101201", "c")
    with pytest.raises(ValueError, match="6–12 digits"):
        Village("15012", "a", "150121100", "b", "150121100201", "c")


def test_policy_rejects_villages_outside_its_region():
    v = Village("150122", "a", "150122100", "b", "150122100201", "c")
    with pytest.raises(ValueError, match="outside region"):
        FormPolicy("150121", "x", 2026, 8000, villages=(v,))
    with pytest.raises(ValueError, match="positive"):
        FormPolicy("150121", "x", 2026, 0)


def test_floor_text_drops_trailing_zeros():
    assert FormPolicy("150121", "x", 2026, 6312.50).floor_text == "6312.5"
    assert FormPolicy("150121", "x", 2026, 6000).floor_text == "6000"


def test_policy_from_a_scoring_policy_object(policy):
    scoring_policy = SimpleNamespace(region_code="150121", region_name="土默特左旗", year=2026, floor=8000)
    built = policy_from_scoring(scoring_policy, villages=policy.villages, income_period="近12个月")
    assert (built.region_code, built.year, built.floor, built.income_period) == ("150121", 2026, 8000, "近12个月")
    assert built.villages == policy.villages


def test_policy_from_the_real_scoring_policy(policy):
    from scoring import load_policy
    scoring_policy = load_policy("150121", 2021)
    built = policy_from_scoring(scoring_policy, villages=policy.villages)
    assert (built.region_code, built.year, float(built.floor)) == ("150121", 2021, 6000.0)
    assert built.count_insurance_payouts == scoring_policy.insurance_payouts_count_as_income
    assert built.period_text("zh") and built.period_text("en") and " / " not in built.period_text("zh")


def test_period_label_per_language():
    p = FormPolicy("150121", "x", 2026, 8000, income_period="前12个月 / the last 12 months")
    assert (p.period_text("zh"), p.period_text("en")) == ("前12个月", "the last 12 months")
    assert FormPolicy("150121", "x", 2026, 8000).period_text("zh") == "2026年度"


def test_insurance_payouts_follow_the_policy_in_the_live_net_income(policy):
    import dataclasses
    from forms.xlsform import sheets
    def net(p):
        rows = sheets("household_survey", p).survey
        return next(r for r in rows if r[1] == "net_income")[13]
    assert "insurance_payouts" not in net(policy)
    assert "coalesce(${insurance_payouts}, 0)" in net(dataclasses.replace(policy, count_insurance_payouts=True))
