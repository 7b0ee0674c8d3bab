"""Masking of personal data for anything shown in public (公示名单).

Rule (shared/domain.md §7.1): notices must not show 证件号码, phone, bank account or health
status. Default: those columns are left out entirely; where a county wants an ID column for
disambiguation, :func:`mask_id` keeps only the region prefix and the last characters.
"""
from __future__ import annotations

ID_KEEP_HEAD, ID_KEEP_TAIL = 6, 4


def mask_id(number: str | None) -> str:
    """``620523198005120014`` → ``620523********0014`` (birth date hidden)."""
    if not number:
        return ""
    n = number.strip()
    if len(n) <= ID_KEEP_HEAD + ID_KEEP_TAIL:
        return "*" * len(n)
    return n[:ID_KEEP_HEAD] + "*" * (len(n) - ID_KEEP_HEAD - ID_KEEP_TAIL) + n[-ID_KEEP_TAIL:]


def mask_phone(phone: str | None) -> str:
    """``13912345678`` → ``139****5678``."""
    if not phone:
        return ""
    p = phone.strip()
    if len(p) < 8:
        return "*" * len(p)
    return p[:3] + "*" * (len(p) - 7) + p[-4:]


def mask_account(account: str | None) -> str:
    """Bank account: only the last 4 digits stay."""
    if not account:
        return ""
    a = account.replace(" ", "")
    return "*" * max(len(a) - 4, 0) + a[-4:]
