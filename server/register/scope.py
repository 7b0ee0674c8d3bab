"""Region scoping of register queries: a user sees what lies in or below the regions bound to them.

collector, village, township and county users are limited to their bound regions' subtrees
(a collector bound to villages sees those villages' households); admin sees everything.
"""
from __future__ import annotations

from sqlalchemy import false, or_, true
from sqlalchemy.sql import ColumnElement

from server.roles import may_act_in, subtree_prefix


def region_condition(column, role: str, bound_codes: list[str]) -> ColumnElement[bool]:  # noqa: ANN001
    """SQL condition restricting ``column`` (a 12-digit region code) to the user's scope."""
    if role == "admin":
        return true()
    prefixes = sorted({subtree_prefix(code) for code in bound_codes})
    if not prefixes:
        return false()
    return or_(*[column.startswith(p, autoescape=True) for p in prefixes])


def may_see(role: str, bound_codes: list[str], region_code: str) -> bool:
    return may_act_in(bound_codes, role, region_code)
