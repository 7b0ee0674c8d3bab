"""Region levels from 12-digit codes and the 'may this user act here' helper."""
from __future__ import annotations

import pytest

from server.roles import level_of, may_act_in, parent_code, region_contains, subtree_prefix


@pytest.mark.parametrize("code,level,parent", [
    ("150000000000", "province", None),
    ("150100000000", "city", "150000000000"),
    ("150121000000", "county", "150100000000"),
    ("150121100000", "township", "150121000000"),
    ("150121100201", "village", "150121100000"),
    ("429004000000", "county", "429000000000"),   # 仙桃: a county-level city directly under Hubei
])
def test_levels_and_parents(code, level, parent):
    assert level_of(code) == level and parent_code(code) == parent


@pytest.mark.parametrize("bad", ["15012110020", "1501211002011", "15012110020a", "000000000000", "150000001000", 150121100201])
def test_bad_codes_are_refused(bad):
    with pytest.raises(ValueError):
        level_of(bad)


def test_containment_by_prefix():
    assert subtree_prefix("150121100000") == "150121100"
    assert region_contains("150121000000", "150121100201")
    assert region_contains("150121100201", "150121100201")
    assert not region_contains("150121100201", "150121100000")
    assert not region_contains("150121000000", "150122100201")
    assert not region_contains("150121000000", "nonsense")


def test_may_act_in():
    assert may_act_in(["150121100201"], "collector", "150121100201")
    assert not may_act_in(["150121100201"], "collector", "150121100202")
    assert may_act_in(["150121100000"], "township", "150121100202")
    assert may_act_in(["150121000000", "150122000000"], "county", "150122100201")
    assert may_act_in([], "admin", "530000000000")
    assert not may_act_in([], "county", "150121100201")
