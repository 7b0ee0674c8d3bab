"""Policy in force for a region and year: the monitoring floor and every open setting.

Policy data lives in ``scoring/policies/*.toml``, one file per region code prefix (national "",
province 2 digits, city 4, county 6). Each file has ``[[period]]`` entries with a ``years`` range;
for a (region, year) every matching entry is applied from the national layer down to the most
specific prefix, so the most specific value of each key wins. A floor is a number or derived
(``{ratio, base}`` times a named base figure in ``[period.bases]``). Missing floor → PolicyNotFound.
The packaged files are read once, on first use.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass, field, fields
from functools import lru_cache
from importlib import resources
from types import MappingProxyType
from typing import Any, Iterable

from . import codes

__all__ = ["Policy", "PolicyNotFound", "PolicyError", "load_policy", "list_policies", "SETTINGS"]


class PolicyError(ValueError):
    """A policy data file or override is malformed."""


class PolicyNotFound(LookupError):
    """No policy (no floor) is shipped for this region and year."""

    def __init__(self, region_code: str, year: int, detail: str = ""):
        self.region_code, self.year = region_code, year
        msg = (f"no monitoring policy for region {region_code!r} in {year}: no floor is defined "
               f"for {year} at any level of {region_code!r} (province, city, county)")
        self.message_zh = (f"未找到地区 {region_code} {year} 年的监测政策：省、市、县各级均未设定 {year} 年监测范围"
                           + ("（地区代码应为 2–12 位数字）" if detail.startswith("a region code") else ""))
        super().__init__(msg + (f"; {detail}" if detail else ""))


# Setting name -> (type check, documented meaning). Defaults are in policies/00_national.toml.
SETTINGS: dict[str, str] = {
    "income_period": "Income window description (trailing 12 months)",
    "insurance_payouts_count_as_income": "Whether 理赔收入 counts in family net income",
    "income_drop_ratio": "Share by which family net income must fall to count as a sharp drop",
    "rigid_spending_test": "after_spending_below_floor | exceeds_net_income",
    "sudden_hardship_causes": "Risk codes that can make a household above the floor 突发严重困难户",
    "large_medical_cost": "Self-paid medical cost (yuan/year) that makes being uninsured a failure",
    "compulsory_school_age": "[min, max] age of compulsory schooling",
    "elimination_min_months": "Minimum months between identification and elimination",
    "elimination_min_measures": "Minimum assistance measures before elimination",
    "income_stable_months": "Earlier assessments within this many months must be above the floor",
    "elimination_months": "Months of the year in which elimination may be marked (quarterly)",
    "gradual_exit_months": "[min, max] months of gradual exit for 低保 households; [] = none",
    "dibao_standard_annual": "Local rural 低保 standard, yuan/person/year (0 = unknown)",
    "alleviated_class_line": "Anhui line between 享受/不享受政策的脱贫户 (0 = not applied)",
    "relative_poverty": "Apply the Yiyuan relative-poverty test",
    "exclusions": "Active exclusion predicates (codes.EXCLUSION)",
    "exclusion_admit_if_guarantees_weak": "Ningxia: exclusion hits may be admitted when guarantees are weak",
    "college_students_risk": "Infer 因学 risk from this many college students (0 = off)",
    "per_capita_suspicious_above": "Per-capita income above which a record is flagged",
    "monthly_wage_min": "Monthly wage below which a worker's income is flagged",
    "land_max": "Maximum plausible area (mu) per land type",
    "road_max_km": "Maximum plausible distance to the village main road (km)",
}
_META = {"years", "floor", "floor_source", "sources", "bases"}
_TEST_VALUES = ("after_spending_below_floor", "exceeds_net_income")


@dataclass(frozen=True, eq=False)
class Policy:
    """The resolved policy for one region and year (yuan/person/year for money)."""

    region_code: str
    region_name: str
    year: int
    floor: float
    floor_source: str
    floor_rule: Any  # a number, or {"ratio", "base", "base_value", "base_year", "base_source"}
    version: str
    income_period: str
    insurance_payouts_count_as_income: bool
    income_drop_ratio: float
    rigid_spending_test: str
    sudden_hardship_causes: tuple
    large_medical_cost: float
    compulsory_school_age: tuple
    elimination_min_months: int
    elimination_min_measures: int
    income_stable_months: int
    elimination_months: tuple
    gradual_exit_months: tuple
    dibao_standard_annual: float
    alleviated_class_line: float
    relative_poverty: bool
    exclusions: tuple
    exclusion_admit_if_guarantees_weak: bool
    college_students_risk: int
    per_capita_suspicious_above: float
    monthly_wage_min: float
    land_max: MappingProxyType
    road_max_km: float
    sources: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    layers: tuple = ()  # (region prefix, name, years) applied, national first

    def __eq__(self, other):
        return (isinstance(other, Policy) and self.version == other.version
                and self.region_code == other.region_code and self.year == other.year)

    def __hash__(self):
        return hash((self.version, self.region_code, self.year))

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, MappingProxyType):
                v = dict(v)
            elif isinstance(v, tuple):
                v = [list(x) if isinstance(x, tuple) else x for x in v]
            out[f.name] = v
        return out


# ---- loading the packaged files ----------------------------------------------------------------

@lru_cache(maxsize=1)
def _packaged() -> dict[str, dict]:
    layers: dict[str, dict] = {}
    for entry in sorted(resources.files(__package__).joinpath("policies").iterdir(),
                        key=lambda e: e.name):
        if not entry.name.endswith(".toml"):
            continue
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise PolicyError(f"policies/{entry.name}: {exc}") from exc
        region = _check_layer(data, f"policies/{entry.name}")
        if region in layers:
            raise PolicyError(f"policies/{entry.name}: region {region!r} defined twice")
        layers[region] = data
    return layers


def _check_layer(data: dict, where: str) -> str:
    region = data.get("region")
    if not isinstance(region, str) or (region and not (region.isdigit() and len(region) in (2, 4, 6))):
        raise PolicyError(f"{where}: 'region' must be '' or 2/4/6 digits")
    for period in data.get("period", []):
        years = period.get("years")
        if not (isinstance(years, list) and len(years) == 2 and all(isinstance(y, int) for y in years)):
            raise PolicyError(f"{where}: each period needs years = [from, to]")
        unknown = set(period) - _META - set(SETTINGS)
        if unknown:
            raise PolicyError(f"{where}: unknown keys {sorted(unknown)}")
        if "floor" in period and not period.get("floor_source"):
            raise PolicyError(f"{where}: a floor needs its floor_source")
        for key in period.get("sources", {}):
            if key not in SETTINGS:
                raise PolicyError(f"{where}: source given for unknown setting {key!r}")
    return region


def _prefixes(region_code: str) -> list[str]:
    return [""] + [region_code[:n] for n in (2, 4, 6) if len(region_code) >= n]


def _resolve_floor(floor, bases: dict, where: str):
    if isinstance(floor, (int, float)) and not isinstance(floor, bool):
        if floor <= 0:
            raise PolicyError(f"{where}: floor must be positive")
        return float(floor), floor
    if isinstance(floor, dict) and set(floor) == {"ratio", "base"}:
        base = bases.get(floor["base"])
        if base is None:
            raise PolicyError(f"{where}: floor base {floor['base']!r} is not defined")
        value = float(floor["ratio"]) * float(base["value"])
        rule = {"ratio": floor["ratio"], "base": floor["base"], "base_value": base["value"],
                "base_year": base.get("year"), "base_source": base.get("source", ""),
                "rounding": "half up to whole yuan"}
        return float(int(value + 0.5)), rule
    raise PolicyError(f"{where}: floor must be a number or {{ratio, base}}")


def load_policy(region_code: str, year: int, overrides: Iterable[dict] | None = None) -> Policy:
    """The policy for ``region_code`` (2–12 digits) in ``year``.

    ``overrides``: extra layers in the file format (``{"region": prefix, "period": [...]}``),
    e.g. parameters an admin set in the console; each applies after the packaged layer of the
    same prefix. Raises :class:`PolicyNotFound` naming region and year when no floor applies.
    """
    if overrides:
        return _load(region_code, year, tuple(overrides))
    return _load_cached(region_code, year)


@lru_cache(maxsize=4096)
def _load_cached(region_code: str, year: int) -> Policy:
    return _load(region_code, year, ())


def _load(region_code: str, year: int, overrides: tuple) -> Policy:
    if not (isinstance(region_code, str) and region_code.isdigit() and 2 <= len(region_code) <= 12):
        raise PolicyNotFound(str(region_code), year, "a region code is 2 to 12 digits")
    if isinstance(year, bool) or not isinstance(year, int):
        raise PolicyNotFound(region_code, year, "the year must be an integer")
    packaged = _packaged()
    extra: dict[str, list[dict]] = {}
    for i, layer in enumerate(overrides):
        where = f"override #{i + 1}"
        _check_layer(layer, where)
        extra.setdefault(layer["region"], []).append(layer)

    settings: dict[str, Any] = {}
    sources: dict[str, str] = {}
    bases: dict[str, dict] = {}
    floor = floor_source = None
    floor_where = ""
    names, applied = [], []
    for prefix in _prefixes(region_code):
        layers = ([packaged[prefix]] if prefix in packaged else []) + extra.get(prefix, [])
        for layer in layers:
            if prefix and layer.get("name") and layer["name"] not in names:
                names.append(layer["name"])
            for period in layer.get("period", []):
                lo, hi = period["years"]
                if not lo <= year <= hi:
                    continue
                applied.append((prefix, layer.get("name", ""), (lo, hi)))
                bases.update(period.get("bases", {}))
                sources.update(period.get("sources", {}))
                if "floor" in period:
                    floor, floor_source = period["floor"], period["floor_source"]
                    floor_where = f"region {prefix or 'national'} {lo}–{hi}"
                for key in SETTINGS:
                    if key in period:
                        settings[key] = period[key]
    if floor is None:
        raise PolicyNotFound(region_code, year)
    missing = set(SETTINGS) - set(settings)
    if missing:
        raise PolicyError(f"settings without a value for {region_code} {year}: {sorted(missing)}")
    floor_value, floor_rule = _resolve_floor(floor, bases, floor_where)
    _validate(settings, region_code, year)

    content = {"floor": floor_value, "floor_rule": floor_rule, "floor_source": floor_source,
               "year": year, "settings": settings}
    version = hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False)
                             .encode()).hexdigest()[:16]
    return Policy(
        region_code=region_code,
        region_name=" ".join(names) if names else "全国",
        year=year, floor=floor_value, floor_rule=floor_rule,
        floor_source=floor_source,  # type: ignore[arg-type]  # always set with the floor
        version=version,
        income_period=settings["income_period"],
        insurance_payouts_count_as_income=bool(settings["insurance_payouts_count_as_income"]),
        income_drop_ratio=float(settings["income_drop_ratio"]),
        rigid_spending_test=settings["rigid_spending_test"],
        sudden_hardship_causes=tuple(settings["sudden_hardship_causes"]),
        large_medical_cost=float(settings["large_medical_cost"]),
        compulsory_school_age=tuple(settings["compulsory_school_age"]),
        elimination_min_months=int(settings["elimination_min_months"]),
        elimination_min_measures=int(settings["elimination_min_measures"]),
        income_stable_months=int(settings["income_stable_months"]),
        elimination_months=tuple(settings["elimination_months"]),
        gradual_exit_months=tuple(settings["gradual_exit_months"]),
        dibao_standard_annual=float(settings["dibao_standard_annual"]),
        alleviated_class_line=float(settings["alleviated_class_line"]),
        relative_poverty=bool(settings["relative_poverty"]),
        exclusions=tuple(settings["exclusions"]),
        exclusion_admit_if_guarantees_weak=bool(settings["exclusion_admit_if_guarantees_weak"]),
        college_students_risk=int(settings["college_students_risk"]),
        per_capita_suspicious_above=float(settings["per_capita_suspicious_above"]),
        monthly_wage_min=float(settings["monthly_wage_min"]),
        land_max=MappingProxyType(dict(settings["land_max"])),
        road_max_km=float(settings["road_max_km"]),
        sources=MappingProxyType(sources),
        layers=tuple(applied),
    )


def _validate(s: dict, region_code: str, year: int) -> None:
    where = f"policy {region_code} {year}"
    if s["rigid_spending_test"] not in _TEST_VALUES:
        raise PolicyError(f"{where}: rigid_spending_test must be one of {_TEST_VALUES}")
    if not 0 < float(s["income_drop_ratio"]) < 1:
        raise PolicyError(f"{where}: income_drop_ratio must be between 0 and 1")
    for code in s["sudden_hardship_causes"]:
        if code not in codes.RISK:
            raise PolicyError(f"{where}: {code!r} is not a risk code")
    for code in s["exclusions"]:
        if code not in codes.EXCLUSION:
            raise PolicyError(f"{where}: {code!r} is not an exclusion code")
    months = s["elimination_months"]
    if not months or any(not 1 <= m <= 12 for m in months):
        raise PolicyError(f"{where}: elimination_months must be months 1–12")
    g = s["gradual_exit_months"]
    if g and (len(g) != 2 or not 0 < g[0] <= g[1]):
        raise PolicyError(f"{where}: gradual_exit_months must be [] or [min, max]")
    a = s["compulsory_school_age"]
    if len(a) != 2 or a[0] > a[1]:
        raise PolicyError(f"{where}: compulsory_school_age must be [min, max]")


def list_policies() -> list[dict]:
    """Every shipped policy period: region prefix and name, years, floor (resolved, or None when
    the period only sets options), floor source, and the settings it sets with their sources."""
    out = []
    packaged = _packaged()
    for prefix, layer in sorted(packaged.items()):
        names = [packaged[p]["name"] for p in _prefixes(prefix)[1:] if p in packaged]
        for period in layer.get("period", []):
            lo, hi = period["years"]
            floor = None
            if "floor" in period:
                floor = (_load(prefix, lo, ()).floor if prefix
                         else _resolve_floor(period["floor"], period.get("bases", {}), "national")[0])
            settings = {k: period[k] for k in SETTINGS if k in period}
            out.append({"region": prefix, "region_name": " ".join(names) or layer.get("name", ""),
                        "years": [lo, hi], "floor": floor,
                        "floor_source": period.get("floor_source"),
                        "derived": isinstance(period.get("floor"), dict),
                        "settings": sorted(settings),
                        "sources": dict(period.get("sources", {}))})
    return out
