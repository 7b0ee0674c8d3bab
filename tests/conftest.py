"""Shared fixtures: a migrated database per test session, a fresh app per test, clean tables after it.

Database: SQLite by default; PostgreSQL when SHOUDI_TEST_DATABASE=postgresql and
SHOUDI_TEST_DATABASE_URL points at a server (a private database is created per session and dropped
afterwards, so concurrent test runs do not collide). The schema is built only by alembic migrations.
Isolation: after each test every table is emptied (works with several connections and subprocesses).
"""
from __future__ import annotations

import os
import sys
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # tests run from a plain checkout too
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, inspect, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402


def _backend() -> str:
    return os.environ.get("SHOUDI_TEST_DATABASE", "sqlite").lower()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory):
    """URL of an empty database private to this test session."""
    if _backend() == "postgresql":
        admin_url = os.environ.get("SHOUDI_TEST_DATABASE_URL")
        if not admin_url:
            pytest.exit("SHOUDI_TEST_DATABASE=postgresql needs SHOUDI_TEST_DATABASE_URL", returncode=2)
        name = f"shoudi_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 ENCODING \'UTF8\''))
        url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
        yield url
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


@pytest.fixture(scope="session")
def migrated_url(database_url: str) -> str:
    """The session database migrated to head by alembic (never create_all)."""
    from server.db import make_engine
    from server.migrate import upgrade

    engine = make_engine(database_url)
    upgrade(engine)
    engine.dispose()
    return database_url


# How long emptying the tables waits for a lock on PostgreSQL before it reports who holds it. Every
# connection of the finished test should be closed by then: one still "idle in transaction" (a session
# never closed, a thread still running) would make the TRUNCATE wait for ever.
LOCK_TIMEOUT = os.environ.get("SHOUDI_TEST_LOCK_TIMEOUT", "20s")
_RECENT_TESTS: list[str] = []   # node ids of the last tests set up (newest last), for the report


def pytest_runtest_setup(item: pytest.Item) -> None:
    _RECENT_TESTS.append(item.nodeid)
    del _RECENT_TESTS[:-3]


def _empty_all_tables(engine, *, lock_timeout: str | None = None, test: str | None = None) -> None:  # noqa: ANN001
    """Empty every table; on PostgreSQL fail fast (not hang) when another connection holds a lock.

    When a lock is not granted within `lock_timeout` (default LOCK_TIMEOUT), the other backends of the
    test database are listed (state, locks held, last statement), terminated so the rest of the suite can
    go on, the tables are emptied again, and the calling test fails with that report.
    """
    from sqlalchemy.exc import OperationalError

    if engine.dialect.name != "postgresql":
        _delete_all_rows(engine)
        return
    try:
        _delete_all_rows(engine, lock_timeout=lock_timeout or LOCK_TIMEOUT)
        return
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != "55P03":   # lock_not_available
            raise
        waited_for = str(exc.orig).splitlines()[0]
    holders = _terminate_other_backends(engine)
    _delete_all_rows(engine, lock_timeout=lock_timeout or LOCK_TIMEOUT)
    recent = [t for t in _RECENT_TESTS if t != test] + ([test] if test else [])
    pytest.fail(
        f"emptying the tables after the test timed out waiting for a lock ({waited_for}; lock_timeout "
        f"{lock_timeout or LOCK_TIMEOUT}). A connection of the test database was still open, usually a "
        "session or connection the test (or a thread it started) never closed. Other backends, now "
        "terminated:\n" + ("\n".join(holders) or "  (none left)") +
        "\nlast tests run (newest last): " + ", ".join(recent or ["?"]), pytrace=False)


def _terminate_other_backends(engine) -> list[str]:  # noqa: ANN001
    """Describe and terminate every other backend connected to the engine's database."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT a.pid, a.state, a.wait_event_type, a.wait_event, a.application_name, a.xact_start, "
            "a.state_change, left(regexp_replace(a.query, '\\s+', ' ', 'g'), 160) AS query, "
            "(SELECT string_agg(DISTINCT c.relname || ':' || l.mode, ', ') FROM pg_locks l "
            " JOIN pg_class c ON c.oid = l.relation WHERE l.pid = a.pid AND l.granted "
            " AND c.relkind IN ('r', 'p')) AS locks "
            "FROM pg_stat_activity a WHERE a.datname = current_database() AND a.pid <> pg_backend_pid() "
            "ORDER BY a.xact_start NULLS LAST")).all()
        for row in rows:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": row.pid})
        conn.commit()
    return [f"  pid {r.pid} [{r.state}] wait={r.wait_event_type}/{r.wait_event} app={r.application_name!r} "
            f"xact_start={r.xact_start} state_change={r.state_change} holds=[{r.locks or ''}] "
            f"last query: {r.query}" for r in rows]


def _delete_all_rows(engine, *, lock_timeout: str | None = None) -> None:  # noqa: ANN001
    """DELETE every row, dependents first (50x faster than TRUNCATE on PostgreSQL for small tables).

    Cycle-closing (use_alter) foreign keys are set to NULL first. Ids are not reset: tests must not
    assume them.
    """
    from server import plugins
    from server.models import Base

    plugins.load_models()
    existing = set(inspect(engine).get_table_names()) - {"alembic_version"}
    ordered = [t for t in reversed(Base.metadata.sorted_tables) if t.name in existing]
    unknown = existing - {t.name for t in ordered}
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            if lock_timeout:
                conn.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": lock_timeout})
            # tables whose triggers refuse row deletes (e.g. the append-only audit log) are truncated
            guarded = {r[0] for r in conn.execute(text(
                "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
                "WHERE NOT t.tgisinternal"))} & existing
            if guarded:
                conn.execute(text("TRUNCATE " + ", ".join(f'"{n}"' for n in sorted(guarded)) + " CASCADE"))
        for table in ordered:
            for fk in table.foreign_key_constraints:
                if fk.use_alter:
                    conn.execute(table.update().values({c.name: None for c in fk.columns}))
        for name in sorted(unknown):
            conn.execute(text(f'DELETE FROM "{name}"'))
        for table in ordered:
            conn.execute(table.delete())


@pytest.fixture
def app_config(tmp_path: Path, migrated_url: str) -> dict:
    """Settings for the test app; tests may modify this before requesting `app`."""
    return {
        "DATA_DIR": str(tmp_path / "data"),
        "DATABASE_URL": migrated_url,
        "SECRET_KEY": "test-secret",
        "FSYNC": False,
        "PROCESS_INLINE": True,
        "LOG_LEVEL": "WARNING",
        "TESTING": True,
    }


@pytest.fixture
def app(app_config: dict, request: pytest.FixtureRequest):
    from server import create_app
    from server.db import get_db

    application = create_app(app_config)
    yield application
    db = get_db(application)
    try:
        _empty_all_tables(db.engine, test=request.node.nodeid)
    finally:
        db.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def db_session(app):
    """A session on the test app's database. Commit to make rows visible to requests.

    No app context is held open: requests made with `client` get their own context and session.
    """
    from server.db import get_db

    session = get_db(app).sessionmaker()
    yield session
    session.rollback()
    session.close()


@pytest.fixture
def cli_runner(app):
    """Invoke `shoudi` commands against the test app's data dir and database."""
    from click.testing import CliRunner

    from server import plugins
    from server.cli import cli

    for command in plugins.cli_commands():
        cli.add_command(command)
    env = {"SHOUDI_DATA_DIR": app.config["DATA_DIR"], "SHOUDI_DATABASE_URL": app.config["DATABASE_URL"],
           "SHOUDI_SECRET_KEY": app.config["SECRET_KEY"], "SHOUDI_FSYNC": "0", "SHOUDI_LOG_LEVEL": "WARNING"}
    env.update({f"SHOUDI_{name}": app.config[name] for name in ("BLOB_STORE", "S3_ENDPOINT", "S3_REGION")
                if app.config.get(name)})
    runner = CliRunner(env=env)

    def invoke(*args: str, **kwargs):  # noqa: ANN202
        return runner.invoke(cli, list(args), catch_exceptions=False, **kwargs)

    return invoke


@pytest.fixture(scope="session")
def s3_server():
    """A real S3-protocol server (moto's standalone server) on loopback, for the whole session."""
    from tests.server.s3server import S3Server

    server = S3Server().start()
    yield server
    server.stop()


@pytest.fixture
def s3_settings(s3_server, monkeypatch: pytest.MonkeyPatch) -> dict:
    """Settings (and credentials in the environment) for a blob store in a fresh bucket of `s3_server`."""
    env = s3_server.env(s3_server.bucket())
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, env.pop(name))
    return {key.removeprefix("SHOUDI_"): value for key, value in env.items()}
