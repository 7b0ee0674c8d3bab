"""LZ4 compression for the large JSON columns written on every submission (PostgreSQL only).

A household record (≈ 6 KB of JSON) or a scoring result (≈ 4 KB) is stored out of line and compressed
(TOAST) once it passes ≈ 2 KB; PostgreSQL's default method (pglz) costs the processor's database
backend ≈ 0.1 ms per 6 KB value, LZ4 about half of that, at a similar size (measured in
docs/benchmarks.md "Ingest (processing)"). Only values written from now on use LZ4; existing values
stay readable as they are. Skipped where the server has no LZ4 support (PostgreSQL < 14 or built
without it); SQLite has no such setting.

Revision ID: 0006
Revises: 0005
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

COLUMNS = (
    ('submission_versions', 'record'),
    ('household_versions', 'record'),
    ('assessments', 'result'),
    ('members', 'data'),
)


def _lz4_available() -> bool:
    bind = op.get_bind()
    if bind.dialect.name != 'postgresql' or bind.dialect.server_version_info < (14,):
        return False
    import sqlalchemy as sa
    values = bind.execute(sa.text(
        "SELECT enumvals FROM pg_settings WHERE name = 'default_toast_compression'")).scalar()
    return bool(values) and 'lz4' in values


def _set(method: str) -> None:
    for table, column in COLUMNS:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN "{column}" SET COMPRESSION {method}')


def upgrade() -> None:
    if _lz4_available():
        _set('lz4')


def downgrade() -> None:
    if _lz4_available():
        _set('pglz')
