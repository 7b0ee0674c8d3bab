"""scoring.idcard — GB 11643-1999 (domain.md §8.4)."""
from datetime import date

import pytest
from hypothesis import given, strategies as st

from scoring import idcard

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def reference_check(body: str) -> str:
    """The check character as the standard writes it (weighted sum, mod 11)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS)) % 11]


def test_the_standard_example():
    assert idcard.check_digit("11010519491231002") == "X"
    assert idcard.is_valid("11010519491231002X")
    assert idcard.is_valid("11010519491231002x")
    assert idcard.birth_date("11010519491231002X") == date(1949, 12, 31)
    assert idcard.sex("11010519491231002X") == "female"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_check_digit_matches_the_weighted_sum(body):
    assert idcard.check_digit(body) == reference_check(body)


@pytest.mark.parametrize("number,valid", [
    ("11010519491231002X", True),
    ("110105194912310021", False),   # wrong check character
    ("11010519490231002X", False),   # 31 Feb never happens (check char recomputed below)
    ("1101051949123100", False),     # too short
    ("", False), (None, False),
    ("11010519491231002Ｘ", False),   # full-width X
])
def test_is_valid(number, valid):
    if number == "11010519490231002X":
        number = number[:17] + idcard.check_digit(number[:17])
    assert idcard.is_valid(number) is valid


def test_legacy_15_digit_numbers():
    assert idcard.birth_date("110105491231002") == date(1949, 12, 31)
    assert idcard.sex("110105491231002") == "female"
    assert idcard.sex("110105491231001") == "male"
    assert not idcard.is_valid("110105491231002")
    assert idcard.is_valid("110105491231002", allow_legacy=True)


def test_normalize_cuts_disability_certificates_and_upper_cases():
    assert idcard.normalize(" 11010519491231002x ") == "11010519491231002X"
    assert idcard.normalize("11010519491231002X62") == "11010519491231002X"
    assert idcard.normalize("11010519491231002X6201") == "11010519491231002X"


def test_placeholder_and_bad_check_digit_input():
    assert idcard.is_placeholder("999999199001010011")
    assert not idcard.is_placeholder("640122199001010011")
    with pytest.raises(ValueError):
        idcard.check_digit("1234")
    with pytest.raises(ValueError):
        idcard.check_digit("1101051949123100a")
    assert idcard.birth_date("640122199002300011") is None
