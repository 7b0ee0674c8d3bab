"""submission_versions.processing_state: two settled states, `not_applicable` and `encrypted`.

Processing may end cleanly without applying anything: a submission to a form that is not one of
shoudi's household forms (`not_applicable`, 无需登记) or an encrypted instance waiting for its key
(`encrypted`, 待解密). Neither is a failure. The column grows from 8 to 16 characters and its check
constraint admits the two states.

Revision ID: 0012
Revises: 0008
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0008'
branch_labels = None
depends_on = None

_NEW = "processing_state IN ('pending', 'done', 'failed', 'not_applicable', 'encrypted')"
_OLD = "processing_state IN ('pending', 'done', 'failed')"


def upgrade() -> None:
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_versions_processing_state'), type_='check')
        batch_op.alter_column('processing_state', existing_type=sa.String(length=8), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.create_check_constraint('processing_state', _NEW)


def downgrade() -> None:
    # The earlier schema cannot hold the settled states: such versions go back to `pending` (processing
    # them again under that schema records what it did then).
    op.execute("UPDATE submission_versions SET processing_state = 'pending' "
               "WHERE processing_state IN ('not_applicable', 'encrypted')")
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_versions_processing_state'), type_='check')
        batch_op.alter_column('processing_state', existing_type=sa.String(length=16), type_=sa.String(length=8),
                              existing_nullable=False)
        batch_op.create_check_constraint('processing_state', _OLD)
