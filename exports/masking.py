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


def _kind(key: str) -> str | None:
    """Which personal number a field holds, by its name (record paths and wire names alike)."""
    k = key.lower()
    if k == "id_number" or k.endswith("_id_number") or k in ("id_card", "idcard", "证件号码"):
        return "id"
    if k == "phone" or k.endswith("_phone") or k in ("mobile", "telephone"):
        return "phone"
    if k in ("bank_account", "bank_card", "account_number") or k.endswith(("_bank_account", "_bank_card")):
        return "account"
    return None


_MASKERS = {"id": mask_id, "phone": mask_phone, "account": mask_account}


def mask_personal(value):  # noqa: ANN001, ANN201
    """A copy of a JSON-like value (dicts, lists, scalars) with every 证件号码, phone and bank number
    masked, found by field name at any depth (a household record, its members, a version, a wire
    object). Used for the roles that do not see personal data in full (server.roles)."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            kind = _kind(key) if isinstance(key, str) else None
            if kind is not None and isinstance(item, (str, int)) and not isinstance(item, bool):
                out[key] = _MASKERS[kind](str(item))
            else:
                out[key] = mask_personal(item)
        return out
    if isinstance(value, list):
        return [mask_personal(item) for item in value]
    return value
