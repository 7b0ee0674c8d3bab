"""The fixture that empties every table after a test fails fast, instead of hanging, when a connection
the test left open holds a lock (PostgreSQL: a read left "idle in transaction" blocks the TRUNCATE)."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from server.db import get_db, make_engine, session_scope
from server.models import Region
from server.register.models import AuditEntry
from tests.conftest import _empty_all_tables

postgresql_only = pytest.mark.skipif(os.environ.get("SHOUDI_TEST_DATABASE", "sqlite") != "postgresql",
                                     reason="lock_timeout and backend termination are PostgreSQL's")


def _count_regions(engine) -> int:  # noqa: ANN001
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(Region))


def _add_region(app) -> None:  # noqa: ANN001
    with session_scope(app) as session:
        session.add(Region(code="150000000000", parent_code=None, level="province", name="内蒙古自治区",
                           vintage=2023))


@postgresql_only
def test_a_leaked_read_fails_the_emptying_with_a_report_and_is_terminated(app):
    _add_region(app)
    leaked_engine = make_engine(app.config["DATABASE_URL"])   # e.g. a session a test never closed
    leaked = leaked_engine.connect()
    try:
        leaked.execute(select(AuditEntry.id).limit(1)).all()   # now idle in transaction, holding audit_log
        with pytest.raises(pytest.fail.Exception) as failed:
            _empty_all_tables(get_db(app).engine, lock_timeout="300ms", test="tests/x.py::test_leaky")
        message = str(failed.value)
        assert "timed out waiting for a lock" in message and "lock_timeout 300ms" in message
        assert "[idle in transaction]" in message and "audit_log:AccessShareLock" in message
        assert "last query: SELECT audit_log.id" in message
        assert message.rstrip().endswith("tests/x.py::test_leaky")
        # the leaked backend was terminated and the tables were emptied after all
        assert _count_regions(get_db(app).engine) == 0
        with pytest.raises(DBAPIError):
            leaked.execute(text("SELECT 1"))
    finally:
        leaked.invalidate()
        leaked.close()
        leaked_engine.dispose()


@postgresql_only
def test_closed_connections_let_the_emptying_pass(app):
    _add_region(app)
    engine = make_engine(app.config["DATABASE_URL"])
    try:
        with engine.connect() as conn:
            conn.execute(select(AuditEntry.id).limit(1)).all()
        _empty_all_tables(get_db(app).engine, lock_timeout="300ms")
        assert _count_regions(get_db(app).engine) == 0
    finally:
        engine.dispose()


def test_emptying_empties_every_table(app):
    _add_region(app)
    assert _count_regions(get_db(app).engine) == 1
    _empty_all_tables(get_db(app).engine)
    assert _count_regions(get_db(app).engine) == 0
