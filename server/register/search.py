"""Finding a household the way staff look for it: one search text read as a 户编号, a member's 证件号码
(whole, or its last 4–6 characters), a phone number or a name. The console's list and
``GET /api/v1/households?q=`` both use it, always together with the caller's scope condition."""
from __future__ import annotations

import re

from sqlalchemy import or_, select

from .models import Household, HouseholdVersion, Member

# How the household search box reads what was typed (one box, as staff type it):
_FULL_ID = re.compile(r"\d{17}[\dXx]|\d{15}")        # a whole 证件号码
_ID_TAIL = re.compile(r"\d{3,5}[\dXx]")               # its last 4–6 characters
_PHONE = re.compile(r"1\d{10}|0\d{9,11}")              # a mobile or a landline with area code
_HAS_NAME = re.compile(r"[^\x00-\x7f]|[A-Za-z]{2,}")  # Chinese (or Latin) letters: a name


def search_condition(text: str):  # noqa: ANN201
    """SQL condition for the search box: 户编号 (exact), a member's 证件号码 (whole, or its last 4–6
    characters), a phone number (the household's or a member's), a name (head or member, contains)."""
    text = text.strip()
    ident = text.upper()
    member = select(Member.household_id)
    conditions = [Household.household_no == text]
    if _FULL_ID.fullmatch(text):
        conditions.append(Household.id.in_(member.where(Member.id_number == ident)))
    elif _ID_TAIL.fullmatch(text):
        conditions.append(Household.id.in_(member.where(Member.id_number.endswith(ident, autoescape=True))))
    if _PHONE.fullmatch(text):
        version_phone = HouseholdVersion.record["phone"].as_string()
        conditions.append(Household.current_version_id.in_(
            select(HouseholdVersion.id).where(version_phone == text)))
        conditions.append(Household.id.in_(member.where(Member.data["phone"].as_string() == text)))
    if _HAS_NAME.search(text):
        conditions.append(Household.head_name.contains(text, autoescape=True))
        conditions.append(Household.id.in_(member.where(Member.name.contains(text, autoescape=True))))
    return or_(*conditions)
