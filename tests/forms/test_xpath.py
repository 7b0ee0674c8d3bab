"""forms.xpath: the GB 11643 check digit (Python side; the engine side is in test_engine.py)."""
from __future__ import annotations

from forms.xpath import id_check_digit, id_valid


def test_check_digit_of_published_examples():
    assert id_check_digit("11010519491231002") == "X"   # the GB 11643 specimen number
    assert id_check_digit("44052418800101001") == "4"


def test_constraint_uses_one_based_substring_not_substr():
    expr = id_valid(".")
    assert "substring(., 1, 1) * 7" in expr and "substring(., 17, 1) * 2" in expr
    assert "substr(" not in expr.replace("substring(", "")
    assert "mod 11" in expr and "'10X98765432'" in expr
