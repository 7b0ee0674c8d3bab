"""server/bulk.py: many rows in one statement write what SQLAlchemy Core would write (both databases)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import StatementError

from server.bulk import insert_rows, update_rows
from server.db import session_scope
from server.models import Region
from server.register.models import AuditEntry, Household, HouseholdVersion, Member


def _household(conn, key: str) -> int:  # noqa: ANN001
    return insert_rows(conn, Household.__table__, [{"key": key, "entity_id": key, "region_code": "150121100201"}],
                       returning_id=True)[0]


@pytest.fixture
def region(app):
    with session_scope(app) as session:
        session.add(Region(code="150121100201", name="甲村", level="village", parent_code=None, vintage=2024))
    return "150121100201"


def test_insert_returns_ids_in_row_order_and_fills_python_defaults(app, region):
    rows = [{"key": f"k{i}", "entity_id": f"e{i}", "region_code": region, "head_name": f"户主{i}"} for i in range(40)]
    rows[7]["head_name"] = "王二"
    with session_scope(app) as session:
        conn = session.connection()
        ids = insert_rows(conn, Household.__table__, rows, returning_id=True)
        found = {r.id: r for r in conn.execute(select(Household.__table__))}
    assert len(set(ids)) == 40
    assert [found[i].key for i in ids] == [f"k{i}" for i in range(40)]
    assert found[ids[7]].head_name == "王二"
    first = found[ids[0]]
    # Python-side defaults of the model: status 'registered', entity_version 1, created/updated now
    assert (first.status, first.entity_version) == ("registered", 1)
    assert datetime.now(timezone.utc) - first.created_at.replace(tzinfo=first.created_at.tzinfo or timezone.utc) \
        < timedelta(minutes=1)


def test_json_values_nested_none_and_non_string_keys(app, region):
    with session_scope(app) as session:
        conn = session.connection()
        hid = _household(conn, "h1")
        insert_rows(conn, HouseholdVersion.__table__, [
            {"household_id": hid, "number": 1, "record": {"members": [{"name": "张三", "n": 1.5}], "x": None,
                                                          3: "three"}},
        ])
        insert_rows(conn, AuditEntry.__table__, [
            {"action": "household.create", "entity_type": "household", "entity_id": str(hid), "before": None,
             "after": {"on": "2026-01-02"}},
        ])
        with pytest.raises((TypeError, StatementError)) as refused:   # as SQLAlchemy's JSON type (json.dumps)
            with conn.begin_nested():
                insert_rows(conn, AuditEntry.__table__, [
                    {"action": "x", "entity_type": "household", "after": {"on": date(2026, 1, 2)}}])
        assert "not JSON serializable" in str(refused.value)
        record = conn.execute(select(HouseholdVersion.record)).scalar_one()
        audit = conn.execute(select(AuditEntry.before, AuditEntry.after, AuditEntry.actor)).one()
        if conn.dialect.name == "postgresql":
            # None in a JSON column is JSON null (what SQLAlchemy's JSON type stores), not SQL NULL
            kind = conn.execute(text("SELECT jsonb_typeof(before) FROM audit_log")).scalar_one()
            assert kind == "null"
    assert record == {"members": [{"name": "张三", "n": 1.5}], "x": None, "3": "three"}
    assert (audit.before, audit.after, audit.actor) == (None, {"on": "2026-01-02"}, "")


def test_the_same_rows_as_core(app, region):
    """insert_rows writes, column for column, what `conn.execute(insert(table), rows)` writes."""
    data = {"name": "李四", "relation": "spouse", "id_number": "x", "data": {"disabled": True, "age": 40}}
    with session_scope(app) as session:
        conn = session.connection()
        hid = _household(conn, "h1")
        conn.execute(insert(Member.__table__), [{**data, "household_id": hid, "id_number": "110101199003070011"}])
        insert_rows(conn, Member.__table__, [{**data, "household_id": hid, "id_number": "110101199003070038"}])
        core, bulk = conn.execute(select(Member.__table__).order_by(Member.id)).all()
    skip = {"id", "id_number"}
    assert {k: v for k, v in core._mapping.items() if k not in skip} == \
        {k: v for k, v in bulk._mapping.items() if k not in skip}


def test_update_rows(app, region):
    with session_scope(app) as session:
        conn = session.connection()
        a, b, c = (_household(conn, k) for k in ("a", "b", "c"))
        update_rows(conn, Household.__table__, [
            {"id": a, "category": "marginal", "head_name": "甲"},
            {"id": c, "category": None, "head_name": "丙"},
        ])
        rows = {r.id: (r.category, r.head_name) for r in conn.execute(select(Household.__table__))}
        assert rows == {a: ("marginal", "甲"), b: (None, ""), c: (None, "丙")}
        with pytest.raises(ValueError, match="twice"):
            update_rows(conn, Household.__table__, [{"id": a, "head_name": "x"}, {"id": a, "head_name": "y"}])
        with pytest.raises(ValueError, match="same columns"):
            update_rows(conn, Household.__table__, [{"id": a, "head_name": "x"}, {"id": b, "category": "y"}])
        assert conn.execute(select(func.count()).select_from(Household.__table__)).scalar() == 3


def test_naive_datetimes_and_unknown_columns_are_refused(app, region):
    with session_scope(app) as session:
        conn = session.connection()
        hid = _household(conn, "h1")
        if conn.dialect.name == "postgresql":   # elsewhere SQLAlchemy's own UTC type refuses it
            with pytest.raises(ValueError, match="naive"):
                update_rows(conn, Household.__table__, [{"id": hid, "updated_at": datetime(2026, 1, 1)}])
        with pytest.raises(KeyError, match="no column"):
            insert_rows(conn, Household.__table__, [{"key": "z", "nope": 1}])
        session.rollback()
