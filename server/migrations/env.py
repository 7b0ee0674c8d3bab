"""Alembic environment: target metadata is server.models.Base with every MODEL_MODULES imported."""
from __future__ import annotations

from alembic import context
from sqlalchemy import engine_from_config, pool

from alembic.operations import ops
from sqlalchemy import JSON, ForeignKeyConstraint

from server import plugins
from server.models import Base, UTCDateTime

plugins.load_models()
target_metadata = Base.metadata
config = context.config


def _render_item(type_, obj, autogen_context):  # noqa: ANN001
    """Render shoudi's column types as plain SQLAlchemy types so revisions never import models."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, JSON):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return "sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')"
    return False


def _split_use_alter(context_, revision, directives) -> None:  # noqa: ANN001
    """Autogenerate: emit `use_alter` foreign keys (cycles) after every table exists.

    Inline in CREATE TABLE they would be silently dropped on PostgreSQL (and reference a table not yet
    created), so they become batch `create_foreign_key` steps, dropped first on downgrade.
    """
    if not directives:
        return
    script = directives[0]
    upgrade_ops, downgrade_ops = script.upgrade_ops, script.downgrade_ops
    added, dropped = [], []
    for op_ in upgrade_ops.ops:
        if not isinstance(op_, ops.CreateTableOp):
            continue
        keep = []
        for item in op_.columns:
            if isinstance(item, ForeignKeyConstraint) and item.use_alter:
                fk = ops.CreateForeignKeyOp.from_constraint(item)
                fk.table_name = op_.table_name
                fk.kw.pop("use_alter", None)
                added.append(ops.ModifyTableOps(op_.table_name, [fk]))
                dropped.append(ops.ModifyTableOps(op_.table_name, [
                    ops.DropConstraintOp(item.name, op_.table_name, type_="foreignkey")]))
            else:
                keep.append(item)
        op_.columns = keep
    upgrade_ops.ops.extend(added)
    downgrade_ops.ops[:0] = dropped


def _run(connection) -> None:  # noqa: ANN001
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_item=_render_item,
        process_revision_directives=_split_use_alter,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite ALTERs via table copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(config.get_section(config.config_ini_section, {}),
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()
else:
    run()
