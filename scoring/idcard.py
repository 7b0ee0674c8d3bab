"""GB 11643-1999 resident ID numbers (居民身份证号码): check digit, birth date, sex.

18 characters = 6-digit address code + 8-digit birth date + 3-digit sequence (odd = male)
+ check character. Legacy 15-digit numbers (YYMMDD birth date, no check character) are read
for birth date and sex only. A 残疾人证 number is the 18-digit ID followed by 2 (or 4) more
characters; :func:`normalize` keeps the first 18. Source: domain.md §8.4.

Check character: S = Σ dᵢ·wᵢ (i = 1..17) with wᵢ = 2^(18−i) mod 11, r = S mod 11,
check = "10X98765432"[r]. Since 13 ≡ 2 (mod 11), Σ dᵢ·2^(17−i) ≡ int(first17, 13) (mod 11),
so S ≡ 2·int(first17, 13): one C-level parse instead of a Python loop.
"""
from __future__ import annotations

from datetime import date

_CHECK = "10X98765432"
PLACEHOLDER_PREFIX = "999999"  # placeholder IDs used for "no ID" in national data (rule 4_01_003)

__all__ = ["check_digit", "is_valid", "birth_date", "birth_date_iso", "sex", "normalize",
           "is_placeholder", "PLACEHOLDER_PREFIX"]


def check_digit(first17: str) -> str:
    """The check character for the first 17 digits. Raises ValueError on anything else."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError("an ID number body is 17 ASCII digits")
    return _CHECK[2 * int(first17, 13) % 11]


def normalize(number: str | None) -> str:
    """Strip spaces, upper-case a trailing x, cut a disability-certificate number to its 18-char ID."""
    if not number:
        return ""
    n = number.strip().upper()
    if len(n) in (20, 22):
        n = n[:18]
    return n


def _date_ok(y: int, m: int, d: int) -> bool:
    if m < 1 or m > 12 or d < 1:
        return False
    if m == 2:
        leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
        return d <= (29 if leap else 28)
    return d <= (30 if m in (4, 6, 9, 11) else 31)


def is_valid(number: str | None, allow_legacy: bool = False) -> bool:
    """True for a well-formed 18-character number (digits, real birth date, right check character).

    With ``allow_legacy`` a 15-digit number with a real birth date is accepted too.
    """
    if not number:
        return False
    n = len(number)
    if n == 18:
        body = number[:17]
        if not (body.isascii() and body.isdigit()):
            return False
        c = number[17]
        if c == "x":
            c = "X"
        if _CHECK[2 * int(body, 13) % 11] != c:
            return False
        return _date_ok(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    if n == 15 and allow_legacy:
        if not (number.isascii() and number.isdigit()):
            return False
        return _date_ok(1900 + int(number[6:8]), int(number[8:10]), int(number[10:12]))
    return False


def birth_date_iso(number: str | None) -> str | None:
    """Birth date as "YYYY-MM-DD" (no validation of the check character), or None."""
    if not number:
        return None
    n = len(number)
    if n == 18:
        s = number[6:14]
        if not (s.isascii() and s.isdigit()):
            return None
        y, m, d = int(s[:4]), int(s[4:6]), int(s[6:])
    elif n == 15:
        s = number[6:12]
        if not (s.isascii() and s.isdigit()):
            return None
        y, m, d = 1900 + int(s[:2]), int(s[2:4]), int(s[4:])
    else:
        return None
    if not _date_ok(y, m, d):
        return None
    return f"{y:04d}-{m:02d}-{d:02d}"


def birth_date(number: str | None) -> date | None:
    """Birth date encoded in the number, or None when absent or impossible."""
    iso = birth_date_iso(number)
    return date.fromisoformat(iso) if iso else None


def sex(number: str | None) -> str | None:
    """"male" or "female" (codes.SEX) from the sequence digit's parity, or None."""
    if not number:
        return None
    n = len(number)
    if n == 18:
        c = number[16]
    elif n == 15:
        c = number[14]
    else:
        return None
    if not ("0" <= c <= "9"):
        return None
    return "male" if (ord(c) - 48) % 2 else "female"


def is_placeholder(number: str | None) -> bool:
    """True for placeholder numbers starting "999999" (treated as "no ID")."""
    return bool(number) and number.startswith(PLACEHOLDER_PREFIX)  # type: ignore[union-attr]
