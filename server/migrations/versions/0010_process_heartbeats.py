"""process_heartbeats: one liveness row per background process (role, host, pid, beat_at), read by
/healthz and /metrics on every node.

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('process_heartbeats',
    sa.Column('id', sa.String(length=200), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('host', sa.String(length=128), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('beat_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('processed', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_heartbeats'))
    )
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_heartbeats_role'), ['role'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process_heartbeats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_heartbeats_role'))

    op.drop_table('process_heartbeats')
