"""Database engine and session handling.

One engine per app (``app.extensions["shoudi.db"]``). In a request, ``get_session()`` returns the
request's session, closed at teardown; a view commits explicitly (one transaction per write).
Outside requests (CLI, jobs, tests) use ``session_scope(app)``.
"""
from __future__ import annotations

import time
import weakref
from contextlib import contextmanager
from typing import Callable, Iterator, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")

PING_IDLE_SECONDS = 5.0
"""A pooled connection idle for longer than this is pinged when checked out (see `_ping_idle`)."""


class Database:
    """The engine and session factory bound to one app."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.sessionmaker = sessionmaker(bind=self.engine, expire_on_commit=False)

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    def dispose(self) -> None:
        self.engine.dispose()


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine with the per-dialect settings shoudi relies on."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               hide_parameters=True)
        _configure_sqlite(engine)
        return engine
    engine = create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_recycle=3600,
                           hide_parameters=True)  # statement parameters may hold personal data
    _ping_idle(engine)
    return engine


def _ping_idle(engine: Engine) -> None:
    """Ping a pooled connection at checkout only when it sat idle in the pool for a while.

    `pool_pre_ping` costs a round trip on every checkout, i.e. on every request. A connection that is
    in steady use does not need it: a server restart or an idle-connection reaper shows up on
    connections that waited in the pool, and those are pinged here (a failed ping makes the pool
    discard every connection older than now and hand out a fresh one). A connection that breaks while in use raises a
    disconnect error that invalidates the pool; `retry_on_disconnect` runs such a unit of work again.
    After a disconnect seen outside SQLAlchemy (`HotStatement`), every connection idle since before it
    is pinged too.
    """

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):  # noqa: ANN001
        record.info["shoudi_idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):  # noqa: ANN001
        since = record.info.get("shoudi_idle_since")
        if since is None or (time.monotonic() - since < PING_IDLE_SECONDS
                             and since > _disconnects.get(engine, 0.0)):
            return
        try:
            cur = dbapi_conn.cursor()
            try:
                cur.execute("SELECT 1")
            finally:
                cur.close()
            dbapi_conn.rollback()
        except Exception as error:  # noqa: BLE001 — any failure: the pool reconnects
            raise exc.InvalidatePoolError(f"idle connection failed its ping: {type(error).__name__}") from error


_disconnects: "weakref.WeakKeyDictionary[Engine, float]" = weakref.WeakKeyDictionary()


def _note_disconnect(engine: Engine) -> None:
    """A connection of `engine` was found dead outside SQLAlchemy's own handling (`HotStatement`): ping
    every pooled connection that went idle before now at its next checkout (a failed ping renews the
    whole pool, as SQLAlchemy does after a disconnect it sees itself)."""
    _disconnects[engine] = time.monotonic()


def retry_on_disconnect(session: Session, work: Callable[[], T]) -> T:
    """Run `work()`; when the database connection turned out to be dead (server restarted), roll the
    session back and run it once more on a fresh connection."""
    try:
        return work()
    except exc.DBAPIError as error:
        if not error.connection_invalidated:
            raise
        session.rollback()
    return work()


def _configure_sqlite(engine: Engine) -> None:
    """WAL + synchronous=FULL (a commit is on disk), foreign keys, and real transactions.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the one used.
    Transactions start deferred (readers never block writers in WAL mode); a transaction marked with
    `begin_write(session)` starts with BEGIN IMMEDIATE, taking the write lock up front so that
    concurrent writers wait (busy timeout) instead of failing on a lock upgrade.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        immediate = conn.get_execution_options().get(WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


WRITE_OPTION = "shoudi_write"


def begin_write(session: Session) -> None:
    """Make the session's next work a write transaction; a read-only transaction in progress ends.

    On SQLite the write lock is taken at BEGIN (BEGIN IMMEDIATE); elsewhere it only starts a fresh
    transaction. Call it before the reads that decide a write (e.g. "does this instanceID exist?").
    """
    if session.in_transaction():
        if session.get_bind().dialect.name != "sqlite":
            return  # no lock upgrade problem elsewhere: reads and writes may share the transaction
        if session.connection().get_execution_options().get(WRITE_OPTION):
            return
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() called with unflushed changes in a read transaction")
        session.commit()
    session.connection(execution_options={WRITE_OPTION: True})


class HotStatement:
    """A Core statement for a per-request hot path (the submission route).

    On PostgreSQL it is compiled once and run straight on the psycopg connection of the session (a
    server-side prepared statement), skipping SQLAlchemy's per-execution work (parameter processing,
    execution context, result objects: ~85 µs a statement). Parameters must need no SQLAlchemy type
    processing (ints, strings, lists, aware datetimes). Errors come back as SQLAlchemy's (IntegrityError,
    OperationalError…); a broken connection is invalidated (`retry_on_disconnect` handles it). Elsewhere
    the statement runs through SQLAlchemy as usual. `run` returns the rows as tuples.
    """

    def __init__(self, statement) -> None:  # noqa: ANN001
        self.statement = statement
        self._sql: dict[str, str] = {}

    def run(self, session: Session, params: dict) -> list:
        conn = session.connection()
        dialect = conn.dialect
        if dialect.name != "postgresql" or dialect.driver != "psycopg":
            return conn.execute(self.statement, params).all()
        return run_on_driver(conn, self._compiled(dialect), params)

    def run_alone(self, engine: Engine, params: dict) -> list:
        """PostgreSQL + psycopg: run the statement as its own transaction (autocommit) on a connection
        of the pool, outside any Session: no Session, transaction or connection bookkeeping (≈ 0.14 ms
        of CPU less than `run` through a Session and its commit). For a request's single write whose
        outcome needs nothing else in the same transaction. Errors as for `run`."""
        sql = self._compiled(engine.dialect)
        fairy = engine.raw_connection()
        try:
            driver = fairy.driver_connection
            driver.autocommit = True
            try:
                return _execute(engine.dialect, driver, sql, params, fairy.invalidate,
                                lambda: _note_disconnect(engine))
            finally:
                if not driver.closed:
                    driver.autocommit = False   # the pool hands out transaction-mode connections
        finally:
            fairy.close()

    def _compiled(self, dialect) -> str:  # noqa: ANN001
        sql = self._sql.get(dialect.name)
        if sql is None:
            sql = self._sql[dialect.name] = str(self.statement.compile(dialect=dialect))
        return sql


def run_on_driver(conn, sql: str, params) -> list:  # noqa: ANN001
    """PostgreSQL + psycopg: run compiled `sql` straight on the driver connection of the SQLAlchemy
    Connection `conn` as a prepared statement; rows as tuples. Errors come back as SQLAlchemy's, with
    the parameters hidden; a broken connection is invalidated (see `HotStatement`)."""
    return _execute(conn.dialect, conn.connection.dbapi_connection, sql, params, conn.invalidate,
                    lambda: _note_disconnect(conn.engine))


def _execute(dialect, driver, sql: str, params, invalidate, noted) -> list:  # noqa: ANN001
    try:
        cursor = driver.execute(sql, params, prepare=True)
        return cursor.fetchall() if cursor.description is not None else []
    except dialect.loaded_dbapi.Error as error:
        invalidated = dialect.is_disconnect(error, driver, None)
        if invalidated:
            invalidate(error)
            noted()
        raise exc.DBAPIError.instance(sql, params, error, dialect.loaded_dbapi.Error, hide_parameters=True,
                                      connection_invalidated=invalidated, dialect=dialect) from error


_FACTS: "weakref.WeakKeyDictionary[Engine, dict[str, dict]]" = weakref.WeakKeyDictionary()
FACTS_MAX = 4096  # entries per kind; a full one is emptied


def remembered(session: Session, kind: str) -> dict:
    """A per-process dict of facts read from the session's database (one per engine, so a test's fresh
    database never sees another's ids). Only for facts whose use re-checks them where it matters (the
    submission route's guarded statement does); the caller bounds it with FACTS_MAX."""
    kinds = _FACTS.get(session.get_bind())
    if kinds is None:
        kinds = _FACTS[session.get_bind()] = {}
    found = kinds.get(kind)
    if found is None:
        found = kinds[kind] = {}
    return found


def remember(facts: dict, key, value) -> None:  # noqa: ANN001
    if len(facts) >= FACTS_MAX:
        facts.clear()
    facts[key] = value


_AUTOCOMMIT = "AUTOCOMMIT"


def autocommit(session: Session) -> None:
    """PostgreSQL: run the session's work from here on with each statement its own transaction (no
    BEGIN/COMMIT round trips). For request paths whose writes are each a single statement; call
    `end_autocommit` before work that needs several statements in one transaction. Elsewhere a no-op.
    """
    if not session.in_transaction() and session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": _AUTOCOMMIT})


def end_autocommit(session: Session) -> None:
    """Leave autocommit mode (if on): the session's next work runs in a transaction again."""
    if session.in_transaction() and \
            session.connection().get_execution_options().get("isolation_level") == _AUTOCOMMIT:
        session.commit()


def init_app(app: Flask) -> Database:
    db = Database(app.config["DATABASE_URL"], pool_size=app.config["DB_POOL_SIZE"])
    app.extensions["shoudi.db"] = db
    app.teardown_request(_close_session)     # end of each request, even inside an outer app context
    app.teardown_appcontext(_close_session)
    return db


def get_db(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["shoudi.db"]


def get_session() -> Session:
    """The session of the current app context (created on first use)."""
    if "db_session" not in g:
        g.db_session = get_db().sessionmaker()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask, *, write: bool = True) -> Iterator[Session]:
    """A session that commits on success and rolls back on error (CLI, jobs, background work)."""
    session = get_db(app).sessionmaker()
    if write:
        begin_write(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
