"""``queries.page``: ids first, then the rows — the pages cover the scoped list in its order, once each."""
from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from server.console import queries
from server.register.models import Household


def test_pages_follow_the_list_order_and_scope(households, db_session):
    for i, region in enumerate(["150121100202", "150121100201", "150122100201", "150121100201", "150121100202",
                                "150121100201", "150122100201", "150121100202"]):
        households.add(region=region, head=f"户{i}", score=False, photo=False)
    db_session.commit()
    county = SimpleNamespace(role="county", region_codes=["150121000000"])
    query = queries.households_query(county)
    expected = [(h.region_code, h.id) for h in db_session.scalars(
        select(Household).where(Household.region_code.like("150121%")).order_by(Household.region_code, Household.id))]
    assert len(expected) == 6
    seen = []
    for page_no in (1, 2, 3):
        rows, total = queries.page(db_session, query, page_no, 4)
        assert total == 6
        seen += [(h.region_code, h.id) for h in rows]
    assert seen == expected                      # pages 1 and 2 hold all six in order, page 3 is empty
    assert queries.page(db_session, queries.households_query(county, area="150121100201"), 1, 2)[1] == 3
    township = SimpleNamespace(role="township", region_codes=["150122100000"])
    rows, total = queries.page(db_session, queries.households_query(township), 1, 10)
    assert total == 2 and {h.region_code for h in rows} == {"150122100201"}
