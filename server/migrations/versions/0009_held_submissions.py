"""Held submissions (issue #12 §1): versions processing may not apply are kept for staff review.

`held_submissions` (one row per held version: reason zh/en, regions, the reviewer's decision) and
`held_submission_regions` (the regions it concerns, for scoping); `submission_versions.processing_state`
also takes `held` and `rejected`.

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


_STATES_OLD = "processing_state IN ('pending', 'done', 'failed')"
_STATES_NEW = "processing_state IN ('pending', 'done', 'failed', 'held', 'rejected')"


def _states(check: str) -> None:
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_submission_versions_processing_state'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_submission_versions_processing_state'), check)


def upgrade() -> None:
    _states(_STATES_NEW)
    op.create_table('held_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('submission_version_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('message_zh', sa.Text(), nullable=False),
    sa.Column('message_en', sa.Text(), nullable=False),
    sa.Column('record_region', sa.String(length=12), nullable=True),
    sa.Column('household_id', sa.Integer(), nullable=True),
    sa.Column('household_region', sa.String(length=12), nullable=True),
    sa.Column('detail', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('result_household_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('open', 'applied', 'assigned', 'rejected')", name=op.f('ck_held_submissions_state')),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_held_submissions_decided_by_users')),
    sa.ForeignKeyConstraint(['household_id'], ['households.id'], name=op.f('fk_held_submissions_household_id_households'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['result_household_id'], ['households.id'], name=op.f('fk_held_submissions_result_household_id_households'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['submission_version_id'], ['submission_versions.id'], name=op.f('fk_held_submissions_submission_version_id_submission_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_submissions')),
    sa.UniqueConstraint('submission_version_id', name=op.f('uq_held_submissions_submission_version_id'))
    )
    with op.batch_alter_table('held_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_held_submissions_state', ['state', 'id'], unique=False)

    op.create_table('held_submission_regions',
    sa.Column('held_id', sa.Integer(), nullable=False),
    sa.Column('region_code', sa.String(length=12), nullable=False),
    sa.ForeignKeyConstraint(['held_id'], ['held_submissions.id'], name=op.f('fk_held_submission_regions_held_id_held_submissions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('held_id', 'region_code', name=op.f('pk_held_submission_regions'))
    )
    with op.batch_alter_table('held_submission_regions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_submission_regions_region_code'), ['region_code'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('held_submission_regions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_submission_regions_region_code'))

    op.drop_table('held_submission_regions')
    with op.batch_alter_table('held_submissions', schema=None) as batch_op:
        batch_op.drop_index('ix_held_submissions_state')

    op.drop_table('held_submissions')
    op.execute("UPDATE submission_versions SET processing_state = 'done' WHERE processing_state = 'rejected'")
    op.execute("UPDATE submission_versions SET processing_state = 'pending' WHERE processing_state = 'held'")
    _states(_STATES_OLD)
