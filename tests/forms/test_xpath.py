"""forms.xpath: the GB 11643 check digit (Python side; the engine side is in test_engine.py)."""
from __future__ import annotations

from forms.xpath import id_check_digit, id_valid


def test_check_digit_of_published_examples():
    assert id_check_digit("11010519491231002") == "X"   # the GB 11643 specimen number
    assert id_check_digit("44052418800101001") == "4"


def test_constraint_uses_odk_substr_zero_based_with_end_index():
    expr = id_valid(".")
    # JavaRosa (ODK Collect) has no XPath 1.0 substring(); character n is substr(s, n - 1, n)
    assert "substring(" not in expr
    assert "substr(., 0, 1) * 7" in expr and "substr(., 16, 17) * 2" in expr
    assert "substr(., 17, 18)" in expr and "mod 11" in expr and "'10X98765432'" in expr
