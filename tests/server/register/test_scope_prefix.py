"""Region prefix conditions (``server.register.scope``): exact "starts with" on both databases, and on
PostgreSQL a plan in which the households region index serves the county user's list."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import literal, select, text, union_all

from server.register.scope import _digits_successor, code_prefix, region_condition

CODES = ["150121000000", "150121100201", "150121100000", "150122000000", "150120999999", "150100000000",
         "15012", "1501219", "150199000000", "150200000000", "159999999999", "160000000000", "999999999999",
         "99", "15%121000000", "15_121000000", "1501_1000000", "abc"]


def _matching(session, condition_for) -> list[str]:  # noqa: ANN001
    rows = union_all(*[select(literal(c).label("code")) for c in CODES]).subquery()
    code = rows.c.code
    return sorted(session.scalars(select(code).where(condition_for(code))))


@pytest.mark.parametrize("prefix", ["150121", "1501211", "1501", "15019", "1599", "99", "9", "15", "1501_1",
                                    "15%", "15_", "abc", "150121000000"])
def test_code_prefix_is_exactly_startswith(db_session, prefix):
    expected = sorted(c for c in CODES if c.startswith(prefix))
    assert _matching(db_session, lambda code: code_prefix(code, prefix)) == expected


def test_digits_successor():
    assert _digits_successor("150121") == "150122"
    assert _digits_successor("1509") == "151"
    assert _digits_successor("15999") == "16"
    assert _digits_successor("99") is None


def test_region_condition_county_sees_only_its_county(db_session):
    seen = _matching(db_session, lambda code: region_condition(code, "county", ["150121000000"]))
    assert seen == ["150121000000", "150121100000", "150121100201", "1501219"]
    # a code that is a prefix of another county's code does not widen the scope
    seen = _matching(db_session, lambda code: region_condition(code, "township", ["150121100000"]))
    assert seen == ["150121100000", "150121100201"]
    two = _matching(db_session, lambda code: region_condition(code, "county", ["150121000000", "150122000000"]))
    assert two == ["150121000000", "150121100000", "150121100201", "1501219", "150122000000"]


def test_postgresql_list_query_uses_region_index(app, db_session):
    if db_session.get_bind().dialect.name != "postgresql":
        pytest.skip("PostgreSQL plan")
    from server.console.queries import households_query

    county = SimpleNamespace(role="county", region_codes=["150121000000"])
    for query in (households_query(county), households_query(county, area="150121100000"),
                  households_query(county, q="王").limit(50).offset(45000)):
        compiled = query.compile(dialect=db_session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        db_session.execute(select(1))  # start the transaction the SET LOCAL lives in
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db_session.scalars(text(f"EXPLAIN {compiled}")))
        db_session.rollback()
        assert "ix_households_region_id" in plan, plan
        assert "Index Cond" in plan and "region_code" in plan.split("Index Cond", 1)[1], plan
        assert "Sort" not in plan.split("\n", 1)[0], plan
