"""ODK XPath expressions shared by several catalog fields (ID check digit, ID-derived values, age).

They use ODK's ``substr(s, start, end)`` — 0-based start, exclusive end — because JavaRosa (ODK
Collect) has no XPath 1.0 ``substring()``; the ODK Web Forms engine evaluates both.
Character n (1-based) of ``s`` is ``substr(s, n - 1, n)``.
"""
from __future__ import annotations

# GB 11643-1999: weights of the first 17 digits; check = "10X98765432"[sum mod 11].
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"


def id_check_digit(first17: str) -> str:
    """The GB 11643 check character for the first 17 digits (used by tests and fixtures)."""
    total = sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def id_valid(ref: str = ".", *, allow_disability_cert: bool = True) -> str:
    """True when ``ref`` is an 18-character resident ID with a valid check character.

    With ``allow_disability_cert`` a 残疾人证号 (the 18-character ID plus 2 or 4 digits) is also
    accepted; its first 18 characters are checked.
    """
    tail = "([0-9]{2}|[0-9]{4})?" if allow_disability_cert else ""
    total = " + ".join(f"substr({ref}, {i - 1}, {i}) * {w}" for i, w in enumerate(ID_WEIGHTS, start=1))
    return (f"regex({ref}, '^[0-9]{{6}}(19|20)[0-9]{{2}}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01])"
            f"[0-9]{{3}}[0-9X]{tail}$') and "
            f"starts-with(substr('{ID_CHECK_CHARS}', ({total}) mod 11, 11), substr({ref}, 17, 18))")


def id_birth_date(ref: str) -> str:
    """YYYY-MM-DD from characters 7–14 of an ID number."""
    return f"concat(substr({ref}, 6, 10), '-', substr({ref}, 10, 12), '-', substr({ref}, 12, 14))"


def id_sex(ref: str) -> str:
    """'male' when the 17th character is odd, else 'female'."""
    return f"if(substr({ref}, 16, 17) mod 2 = 1, 'male', 'female')"


def age_on(birth_ref: str, day_expr: str = "today()") -> str:
    """Whole years between a YYYY-MM-DD birth date and ``day_expr`` (exact on birthdays)."""
    return (f"if(string-length({birth_ref}) = 10, int((number(format-date({day_expr}, '%Y%m%d'))"
            f" - number(translate({birth_ref}, '-', ''))) div 10000), '')")


PHONE_REGEX = "regex(., '^1[3-9][0-9]{9}$')"
