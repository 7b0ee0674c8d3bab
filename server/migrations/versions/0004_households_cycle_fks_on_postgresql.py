"""Households' current-version and current-assessment foreign keys on PostgreSQL.

0002 declared them inline in CREATE TABLE with use_alter, which PostgreSQL's DDL skips, so they
never existed there (SQLite has them inline). This adds them on PostgreSQL only.

Revision ID: 0004
Revises: 0003
"""
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

FKS = (
    ('fk_households_current_version_id_household_versions', 'household_versions', 'current_version_id'),
    ('fk_households_current_assessment_id_assessments', 'assessments', 'current_assessment_id'),
)


def _existing() -> set[str]:
    import sqlalchemy as sa
    return {fk['name'] for fk in sa.inspect(op.get_bind()).get_foreign_keys('households')}


def upgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    have = _existing()
    for name, target, column in FKS:
        if name not in have:
            op.create_foreign_key(name, 'households', target, [column], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    if op.get_bind().dialect.name != 'postgresql':
        return
    have = _existing()
    for name, _target, _column in FKS:
        if name in have:
            op.drop_constraint(name, 'households', type_='foreignkey')
