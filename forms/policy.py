"""The policy input of the form generator: region, year, monitoring floor, income period, villages.

``FormPolicy`` is a small frozen dataclass so that ``forms`` does not depend on how ``scoring``
stores policies; ``policy_from_scoring`` adapts a scoring policy object by attribute access.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal

REGIONS_CSV = "regions.csv"
_CODE = re.compile(r"^[0-9]{6,12}$")


@dataclass(frozen=True)
class Village:
    """One administrative village with its county and township (statistical division codes)."""

    county_code: str
    county_name: str
    township_code: str
    township_name: str
    village_code: str
    village_name: str

    def __post_init__(self) -> None:
        for name in ("county_code", "township_code", "village_code"):
            value = getattr(self, name)
            if not _CODE.match(value):
                raise ValueError(f"{name} must be 6–12 digits, got {value!r}")
        if not self.village_code.startswith(self.township_code[:9]):
            raise ValueError(f"village {self.village_code} is not inside township {self.township_code}")
        if not self.township_code.startswith(self.county_code[:6]):
            raise ValueError(f"township {self.township_code} is not inside county {self.county_code}")


_BILINGUAL = re.compile(r"^(.*?)\s*/\s*([A-Za-z].*)$", re.S)


@dataclass(frozen=True)
class FormPolicy:
    """What the forms of one region and year depend on.

    ``floor`` is the monitoring floor (元 per person and year) shown beside the live per-capita
    income; ``income_period`` the label of the income window shown to the cadre (e.g.
    "2025年11月—2026年10月"; "中文 / English" gives each language its part); ``villages`` feeds the
    county → township → village selects; ``count_insurance_payouts`` adds 理赔收入 to the live
    net income the cadre sees (scoring's policy decides, the form follows).
    """

    region_code: str
    region_name: str
    year: int
    floor: Decimal | int | float
    income_period: str = ""
    villages: tuple[Village, ...] = field(default_factory=tuple)
    count_insurance_payouts: bool = False

    def __post_init__(self) -> None:
        if not _CODE.match(self.region_code):
            raise ValueError(f"region_code must be 6–12 digits, got {self.region_code!r}")
        if not 2000 <= int(self.year) <= 2100:
            raise ValueError(f"implausible policy year {self.year!r}")
        if Decimal(str(self.floor)) <= 0:
            raise ValueError("the monitoring floor must be positive")
        object.__setattr__(self, "villages", tuple(self.villages))
        prefix = self.region_code.rstrip("0")  # province/city/county/township part of the code
        for village in self.villages:
            if not village.village_code.startswith(prefix):
                raise ValueError(f"village {village.village_code} lies outside region {self.region_code}")

    def period_text(self, lang: str) -> str:
        """The income-period label in ``lang`` ("zh" or "en"), or a default from the year."""
        text = self.income_period.strip()
        if not text:
            return f"{self.year}年度" if lang == "zh" else str(self.year)
        # "中文 / English" (the national policy writes "…（前 12 个月）/ the 12 months …", no space
        # before the slash): Chinese labels get the Chinese part only.
        match = _BILINGUAL.match(text)
        if match:
            return match.group(1).strip() if lang == "zh" else match.group(2).strip()
        return text

    @property
    def floor_text(self) -> str:
        """The floor as the cadre reads it: no trailing zeros (6000, 6312.5)."""
        value = Decimal(str(self.floor)).normalize()
        return format(value, "f")


def policy_from_scoring(policy, villages=(), income_period: str | None = None) -> FormPolicy:
    """Build a ``FormPolicy`` from a ``scoring.load_policy(...)`` result (attribute access only)."""
    period = income_period if income_period is not None else getattr(policy, "income_period", "") or ""
    return FormPolicy(
        region_code=str(policy.region_code),
        region_name=str(policy.region_name),
        year=int(policy.year),
        floor=policy.floor,
        income_period=str(period),
        villages=tuple(villages),
        count_insurance_payouts=bool(getattr(policy, "insurance_payouts_count_as_income", False)),
    )


def regions_csv(policy: FormPolicy) -> bytes:
    """The cascading-select media file: ``name,label,level,parent`` rows for counties,
    townships and villages, sorted by code so the bytes are stable."""
    rows: dict[str, tuple[str, str, str, str]] = {}
    for v in policy.villages:
        rows.setdefault(v.county_code, (v.county_code, v.county_name, "county", ""))
        rows.setdefault(v.township_code, (v.township_code, v.township_name, "township", v.county_code))
        rows[v.village_code] = (v.village_code, v.village_name, "village", v.township_code)
    order = {"county": 0, "township": 1, "village": 2}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["name", "label", "level", "parent"])
    for row in sorted(rows.values(), key=lambda r: (order[r[2]], r[0])):
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


def villages_from_csv(data: bytes | str) -> tuple[Village, ...]:
    """Read villages from a CSV with the six ``Village`` columns as header (county_code, …)."""
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    wanted = [f for f in Village.__dataclass_fields__]
    missing = [c for c in wanted if c not in (reader.fieldnames or [])]
    if missing:
        raise ValueError(f"villages CSV lacks columns: {', '.join(missing)}")
    return tuple(Village(**{c: (row[c] or "").strip() for c in wanted}) for row in reader)
