"""scoring.policy — per-region, per-year policy with inheritance (domain.md §2)."""
import json

import pytest

import scoring
from scoring import PolicyError, PolicyNotFound, load_policy


@pytest.mark.parametrize("region,year,floor,name_part", [
    ("640122", 2019, 5000, "贺兰县"),              # Ningxia 贺兰 2019–2020
    ("640122100001", 2020, 5000, "贺兰县"),         # a village code resolves to its county
    ("150102", 2021, 6000, "内蒙古"),               # Inner Mongolia 2021
    ("341525", 2020, 5000, "安徽"),                 # Anhui 2020
    ("370323", 2020, 6312, "沂源县"),               # Yiyuan: 33 % × 19128
    ("410522", 2021, 6000, "安阳市"),               # Anyang inherits the national 2021 floor
    ("52", 2023, 7300, "贵州"),
    ("530102", 2025, 8700, "云南"),
    ("620171", 2025, 8600, "兰州新区"),
    ("350526", 2024, 19560, "德化县"),              # 2 × rural 低保 (815 × 12)
    ("350121", 2023, 10560, "闽侯县"),
])
def test_shipped_floors(region, year, floor, name_part):
    p = load_policy(region, year)
    assert p.floor == floor
    assert name_part in p.region_name
    assert p.floor_source
    assert p.year == year and p.region_code == region


def test_derived_floor_keeps_its_base_and_source():
    p = load_policy("370323", 2020)
    assert p.floor_rule["ratio"] == 0.33 and p.floor_rule["base_value"] == 19128
    assert p.floor_rule["base_year"] == 2019 and "004" in p.floor_rule["base_source"]
    d = load_policy("350526", 2024)
    assert d.floor_rule["ratio"] == 2 and d.floor_rule["base_value"] == 9780


def test_most_specific_layer_wins_key_by_key():
    helan = load_policy("640122", 2020)
    assert helan.exclusion_admit_if_guarantees_weak and helan.college_students_risk == 2
    assert helan.income_drop_ratio == 0.5          # inherited from the national layer
    yiyuan = load_policy("370323", 2020)
    assert yiyuan.relative_poverty
    assert set(yiyuan.exclusions) == {"large_grower_or_deposits", "vehicle", "town_property",
                                      "public_employee"}
    anhui = load_policy("341525", 2020)
    assert anhui.alleviated_class_line == 15416
    assert load_policy("410522", 2021).gradual_exit_months == (6, 12)
    assert load_policy("410522", 2021).sources["gradual_exit_months"].startswith("001")


def test_time_rules_change_in_2022():
    assert load_policy("150102", 2021).elimination_min_months == 0
    assert load_policy("52", 2023).elimination_min_months == 6
    assert load_policy("52", 2023).income_stable_months == 6


@pytest.mark.parametrize("region,year", [("11", 2023), ("640122", 2018), ("4105", 2024),
                                         ("52", 2024)])
def test_no_policy_is_an_error_naming_region_and_year(region, year):
    with pytest.raises(PolicyNotFound) as exc:
        load_policy(region, year)
    assert region in str(exc.value) and str(year) in str(exc.value)
    assert exc.value.region_code == region and exc.value.year == year
    assert region in exc.value.message_zh and f"{year} 年" in exc.value.message_zh


@pytest.mark.parametrize("region", ["", "1", "64a122", None, "6401221000011"])
def test_bad_region_codes(region):
    with pytest.raises(PolicyNotFound):
        load_policy(region, 2020)


def test_version_is_stable_and_content_based():
    a, b = load_policy("640122", 2020), load_policy("640122100001", 2020)
    assert a.version == b.version and len(a.version) == 16
    assert load_policy("640122", 2019).version != a.version  # year is part of the content
    assert load_policy("150102", 2021).version == load_policy("150203", 2021).version
    assert load_policy("150102", 2021).version != load_policy("410522", 2021).version


def test_overrides_apply_and_change_the_version():
    base = load_policy("150102", 2021)
    p = load_policy("150102", 2021, overrides=[{
        "region": "1501", "name": "呼和浩特市",
        "period": [{"years": [2021, 2021], "income_drop_ratio": 0.3,
                    "sources": {"income_drop_ratio": "county decision 2021-08"}}]}])
    assert p.income_drop_ratio == 0.3 and p.floor == 6000
    assert p.sources["income_drop_ratio"] == "county decision 2021-08"
    assert p.version != base.version
    assert "呼和浩特市" in p.region_name


@pytest.mark.parametrize("layer", [
    {"region": "15", "period": [{"years": [2021, 2021], "no_such_setting": 1}]},
    {"region": "15", "period": [{"years": [2021], "floor": 1}]},
    {"region": "15", "period": [{"years": [2021, 2021], "floor": 7000}]},  # floor without source
    {"region": "150", "period": []},
    {"region": "15", "period": [{"years": [2021, 2021], "rigid_spending_test": "vibes"}]},
    {"region": "15", "period": [{"years": [2021, 2021], "sudden_hardship_causes": ["bad"]}]},
    {"region": "15", "period": [{"years": [2021, 2021], "income_drop_ratio": 1.5}]},
])
def test_malformed_overrides_are_rejected(layer):
    with pytest.raises(PolicyError):
        load_policy("150102", 2021, overrides=[layer])


def test_to_dict_is_json_and_complete():
    p = load_policy("370323", 2020)
    d = json.loads(json.dumps(p.to_dict(), ensure_ascii=False))
    for key in ("region_code", "region_name", "year", "floor", "floor_source", "version",
                "income_period", *scoring.SETTINGS):
        assert key in d
    assert d["floor"] == 6312


def test_every_setting_has_a_source():
    p = load_policy("640122", 2020)
    assert set(scoring.SETTINGS) == set(p.sources)
    assert all(p.sources.values())


def test_list_policies_names_every_shipped_floor():
    rows = scoring.list_policies()
    floors = {(r["region"], tuple(r["years"])): r["floor"] for r in rows if r["floor"]}
    assert floors[("640122", (2019, 2020))] == 5000
    assert floors[("15", (2021, 2021))] == 6000
    assert floors[("370323", (2020, 2020))] == 6312
    assert floors[("350526", (2024, 2024))] == 19560
    assert all(r["floor_source"] for r in rows if r["floor"])
    anyang = next(r for r in rows if r["region"] == "4105")
    assert anyang["floor"] is None and anyang["settings"] == ["gradual_exit_months"]
    assert anyang["sources"]["gradual_exit_months"].startswith("001")
