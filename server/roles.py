"""Roles (stable codes with zh/en labels) and the region-scope helper.

Region codes are the 12-digit 统计用区划代码: 省2 市2 县2 乡3 村3. A user bound to a region may act
in that region and every region below it; the prefix of a code up to its level identifies its subtree.
"""
from __future__ import annotations

from typing import Iterable

ROLES = (
    ("collector", "采集员", "Collector (village cadre, work team)"),
    ("village", "村级", "Village staff"),
    ("township", "乡镇", "Township reviewer"),
    ("county", "县级", "County staff"),
    ("admin", "管理员", "Administrator"),
)
ROLE_CODES = tuple(code for code, _zh, _en in ROLES)
ROLE_LABELS = {code: {"zh": zh, "en": en} for code, zh, en in ROLES}

# Roles that see personal data in full (证件号码, phone and bank numbers) — the reviewers who check the
# documents; every other role gets them masked (exports.masking) on every channel: console, REST API.
SEES_PERSONAL_DATA = ("township", "county")


def sees_personal_data(role: str | None) -> bool:
    return role in SEES_PERSONAL_DATA

LEVELS = (
    ("province", "省", 2),
    ("city", "市", 4),
    ("county", "县", 6),
    ("township", "乡", 9),
    ("village", "村", 12),
)
LEVEL_CODES = tuple(code for code, _zh, _n in LEVELS)
_PREFIX_LEN = {code: n for code, _zh, n in LEVELS}


def is_region_code(code: str) -> bool:
    return isinstance(code, str) and len(code) == 12 and code.isdigit()


def level_of(code: str) -> str:
    """The level of a 12-digit code: the deepest non-zero segment (150000000000 → province)."""
    if not is_region_code(code):
        raise ValueError(f"not a 12-digit region code: {code!r}")
    start = 0
    found = None
    for level, _zh, end in LEVELS:
        if code[start:end].strip("0"):
            if found is not None and found != _parent_level(level):
                raise ValueError(f"region code skips a level: {code!r}")
            found = level
        start = end
    if found is None:
        raise ValueError(f"region code has no level: {code!r}")
    return found


def _parent_level(level: str) -> str | None:
    i = LEVEL_CODES.index(level)
    return LEVEL_CODES[i - 1] if i else None


def subtree_prefix(code: str) -> str:
    """The code prefix shared by this region and everything below it."""
    return code[: _PREFIX_LEN[level_of(code)]]


def parent_code(code: str) -> str | None:
    """The code of the enclosing region, or None for a province."""
    parent = _parent_level(level_of(code))
    if parent is None:
        return None
    n = _PREFIX_LEN[parent]
    return code[:n] + "0" * (12 - n)


def region_contains(ancestor: str, code: str) -> bool:
    """True when `code` is `ancestor` or lies below it."""
    return is_region_code(code) and code.startswith(subtree_prefix(ancestor))


def may_act_in(bound_codes: Iterable[str], role: str, code: str) -> bool:
    """May a user with these region bindings and this role act in region `code`?

    `admin` acts everywhere; every other role acts in and below its bound regions.
    """
    if role == "admin":
        return True
    return any(region_contains(b, code) for b in bound_codes)
