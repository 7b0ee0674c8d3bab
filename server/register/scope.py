"""Region scoping of register queries: a user sees what lies in or below the regions bound to them.

collector, village, township and county users are limited to their bound regions' subtrees
(a collector bound to villages sees those villages' households); admin sees everything.
"""
from __future__ import annotations

from sqlalchemy import and_, false, or_, true
from sqlalchemy.sql import ColumnElement

from server.roles import may_act_in, subtree_prefix


def region_condition(column, role: str, bound_codes: list[str]) -> ColumnElement[bool]:  # noqa: ANN001
    """SQL condition restricting ``column`` (a 12-digit region code) to the user's scope."""
    if role == "admin":
        return true()
    prefixes = sorted({subtree_prefix(code) for code in bound_codes})
    if not prefixes:
        return false()
    return or_(*[code_prefix(column, p) for p in prefixes])


def _digits_successor(prefix: str) -> str | None:
    """The smallest digit string above every string that starts with ``prefix`` (digits only):
    ``"150121"`` → ``"150122"``, ``"1509"`` → ``"151"``; None when there is none (``"99"``)."""
    stripped = prefix.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1)


def code_prefix(column, prefix: str) -> ColumnElement[bool]:  # noqa: ANN001
    """SQL condition: ``column`` starts with ``prefix`` (taken literally: ``%`` and ``_`` match themselves).

    For a digit prefix (every region code) the ``LIKE`` is accompanied by the range
    ``prefix <= column < successor``, which a plain b-tree index on ``column`` serves on SQLite and on
    PostgreSQL under any collation (PostgreSQL cannot use a b-tree for ``LIKE 'p%'`` unless the
    collation is ``C``), and which keeps the index order for ``ORDER BY column``. The ``LIKE`` stays,
    so the condition is exactly "starts with" whatever the collation.
    """
    like = column.startswith(prefix, autoescape=True)
    if not prefix or not prefix.isascii() or not prefix.isdigit():
        return like
    upper = _digits_successor(prefix)
    if upper is None:
        return and_(column >= prefix, like)
    return and_(column >= prefix, column < upper, like)


def may_see(role: str, bound_codes: list[str], region_code: str) -> bool:
    return may_act_in(bound_codes, role, region_code)
