"""Settled processing states (`not_applicable`, `encrypted`), managed encryption keys, county datasets.

Processing may end cleanly without applying anything: a submission to a form that is not one of
shoudi's household forms (`not_applicable`, 无需登记) or an encrypted instance waiting for its key
(`encrypted`, 待解密). Neither is a failure. The column grows from 8 to 16 characters and its check
constraint admits the two states.
project_keys: a project's RSA key pair, the private key sealed under a passphrase;
project_key_unlocks: a key unlocked for a bounded time (server/encryption.py).
datasets, dataset_entities: entity lists of forms counties write (server/datasets.py).

Revision ID: 0012
Revises: 0011
"""
import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql


revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None

_NEW = "processing_state IN ('pending', 'done', 'failed', 'not_applicable', 'encrypted', 'held', 'rejected')"
_OLD = "processing_state IN ('pending', 'done', 'failed', 'held', 'rejected')"


def upgrade() -> None:
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_versions_processing_state'), type_='check')
        batch_op.alter_column('processing_state', existing_type=sa.String(length=8), type_=sa.String(length=16),
                              existing_nullable=False)
        batch_op.create_check_constraint('processing_state', _NEW)
    op.create_table('project_keys',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('public_key', sa.Text(), nullable=False),
    sa.Column('sealed_private', sa.LargeBinary(), nullable=False),
    sa.Column('kdf', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_project_keys_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_project_keys_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_keys')),
    sa.UniqueConstraint('project_id', name=op.f('uq_project_keys_project_id'))
    )
    op.create_table('project_key_unlocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key_id', sa.Integer(), nullable=False),
    sa.Column('unlocked_by', sa.Integer(), nullable=True),
    sa.Column('unlocked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('wrapped_private', sa.LargeBinary(), nullable=False),
    sa.Column('note', sa.String(length=255), nullable=True),
    sa.ForeignKeyConstraint(['key_id'], ['project_keys.id'], name=op.f('fk_project_key_unlocks_key_id_project_keys'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unlocked_by'], ['users.id'], name=op.f('fk_project_key_unlocks_unlocked_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_project_key_unlocks')),
    sa.UniqueConstraint('key_id', name=op.f('uq_project_key_unlocks_key_id'))
    )

    op.create_table('datasets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('project_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('properties', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['project_id'], ['projects.id'], name=op.f('fk_datasets_project_id_projects'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_datasets')),
    sa.UniqueConstraint('project_id', 'name', name=op.f('uq_datasets_project_id_name'))
    )
    op.create_table('dataset_entities',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('dataset_id', sa.Integer(), nullable=False),
    sa.Column('uuid', sa.String(length=36), nullable=False),
    sa.Column('label', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('conflict', sa.String(length=8), nullable=True),
    sa.Column('deleted', sa.Boolean(), nullable=False),
    sa.Column('source_version_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['dataset_id'], ['datasets.id'], name=op.f('fk_dataset_entities_dataset_id_datasets'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['source_version_id'], ['submission_versions.id'], name=op.f('fk_dataset_entities_source_version_id_submission_versions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dataset_entities')),
    sa.UniqueConstraint('dataset_id', 'uuid', name=op.f('uq_dataset_entities_dataset_id_uuid'))
    )


def downgrade() -> None:
    op.drop_table('dataset_entities')
    op.drop_table('datasets')
    op.drop_table('project_key_unlocks')
    op.drop_table('project_keys')
    # The earlier schema cannot hold the settled states: such versions go back to `pending` (processing
    # them again under that schema records what it did then).
    op.execute("UPDATE submission_versions SET processing_state = 'pending' "
               "WHERE processing_state IN ('not_applicable', 'encrypted')")
    with op.batch_alter_table('submission_versions', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_submission_versions_processing_state'), type_='check')
        batch_op.alter_column('processing_state', existing_type=sa.String(length=16), type_=sa.String(length=8),
                              existing_nullable=False)
        batch_op.create_check_constraint('processing_state', _OLD)
