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


def _id_shape(ref: str, allow_disability_cert: bool) -> str:
    tail = "([0-9]{2}|[0-9]{4})?" if allow_disability_cert else ""
    return f"regex({ref}, '^[0-9]{{17}}[0-9Xx]{tail}$')"


def _id_date(ref: str) -> str:
    return f"regex({ref}, '^[0-9]{{6}}(19|20)[0-9]{{2}}(0[1-9]|1[0-2])(0[1-9]|[12][0-9]|3[01]).*$')"


def _id_check(ref: str) -> str:
    total = " + ".join(f"substr({ref}, {i - 1}, {i}) * {w}" for i, w in enumerate(ID_WEIGHTS, start=1))
    return (f"starts-with(substr('{ID_CHECK_CHARS}', ({total}) mod 11, 11), "
            f"translate(substr({ref}, 17, 18), 'x', 'X'))")


def id_valid(ref: str = ".", *, allow_disability_cert: bool = True) -> str:
    """True when ``ref`` is an 18-character resident ID with a valid check character (a lowercase
    x, what phone keyboards type, counts as X).

    With ``allow_disability_cert`` a 残疾人证号 (the 18-character ID plus 2 or 4 digits) is also
    accepted; its first 18 characters are checked.
    """
    return f"{_id_shape(ref, allow_disability_cert)} and {_id_date(ref)} and {_id_check(ref)}"


# Which rule an ID number breaks, in the order a cadre should fix them (zh, en).
ID_RULES = (("位数不对：应为18位（17位数字加末位数字或X；残疾人证再加2或4位数字）",
             "Wrong length: 18 characters (17 digits and a digit or X; a disability certificate adds 2 or 4 digits)"),
            ("出生日期（第7–14位）不是有效日期", "The birth date (characters 7–14) is not a valid date"),
            ("校验位（第18位）不对，请核对号码", "The check character (the 18th) is wrong: check the number"))


def id_problem(ref: str, lang: str, *, allow_disability_cert: bool = True) -> str:
    """An expression naming the first rule of ``ID_RULES`` that ``ref`` breaks ('' when none)."""
    i = 0 if lang == "zh" else 1
    return (f"if(not({_id_shape(ref, allow_disability_cert)}), '{ID_RULES[0][i]}', "
            f"if(not({_id_date(ref)}), '{ID_RULES[1][i]}', if(not({_id_check(ref)}), '{ID_RULES[2][i]}', '')))")


def id_birth_date(ref: str) -> str:
    """YYYY-MM-DD from characters 7–14 of an ID number ('' when those are not a date: an engine
    given "1968-13-45" as a date may fail, ODK Web Forms 0.22 does)."""
    return (f"if({_id_date(ref)}, concat(substr({ref}, 6, 10), '-', substr({ref}, 10, 12), '-', "
            f"substr({ref}, 12, 14)), '')")


def id_sex(ref: str) -> str:
    """'male' when the 17th character is odd, else 'female'."""
    return f"if(substr({ref}, 16, 17) mod 2 = 1, 'male', 'female')"


def age_on(birth_ref: str, day_expr: str = "today()") -> str:
    """Whole years between a YYYY-MM-DD birth date and ``day_expr`` (exact on birthdays)."""
    return (f"if(string-length({birth_ref}) = 10, int((number(format-date({day_expr}, '%Y%m%d'))"
            f" - number(translate({birth_ref}, '-', ''))) div 10000), '')")


PHONE_REGEX = "regex(., '^1[3-9][0-9]{9}$')"
