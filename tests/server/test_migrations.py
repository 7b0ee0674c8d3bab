"""The schema comes only from alembic, and the models agree with it."""
from __future__ import annotations

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from server import plugins
from server.db import get_db
from server.migrate import MIGRATIONS_DIR, current_revision, head_revision
from server.models import Base


def test_database_is_at_head(app):
    assert current_revision(get_db(app).engine) == head_revision()


def test_models_and_migrations_agree(app):
    plugins.load_models()
    with get_db(app).engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    assert diff == [], f"models and migrations disagree; write a migration: {diff}"


def test_revision_files_are_numbered_in_sequence():
    files = sorted(p.name for p in (MIGRATIONS_DIR / "versions").glob("*.py") if p.name != "__init__.py")
    assert files, "no migrations"
    for i, name in enumerate(files, start=1):
        assert re.fullmatch(rf"{i:04d}_[a-z0-9_]+\.py", name), name
        text = (MIGRATIONS_DIR / "versions" / name).read_text()
        assert f"revision = '{i:04d}'" in text or f'revision = "{i:04d}"' in text, name


def test_downgrade_to_base_and_back(tmp_path):
    from server.db import make_engine
    from server.migrate import downgrade, upgrade

    engine = make_engine("sqlite:///" + str(tmp_path / "m.sqlite3"))
    upgrade(engine)
    downgrade(engine, "base")
    assert current_revision(engine) is None
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()
