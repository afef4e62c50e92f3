"""Registries: imported external lists (e.g. enrolment) that deferral grounds are checked against.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-25 17:51:52.274023
"""

import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('registry_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False, comment="the registry's name, as policy grounds refer to it"),
    sa.Column('source', sa.Text(), nullable=False, comment='file name as given'),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_registry_imports')),
    sa.UniqueConstraint('name', 'sha256', name='uq_registry_imports_content')
    )
    op.create_table('registry_entries',
    sa.Column('import_id', sa.Integer(), nullable=False),
    sa.Column('line', sa.Integer(), nullable=False, comment='line in the imported file'),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('valid_until', sa.Date(), nullable=False),
    sa.Column('reference', sa.Text(), nullable=True, comment="the registry's own reference for the entry"),
    sa.ForeignKeyConstraint(['import_id'], ['registry_imports.id'], name=op.f('fk_registry_entries_import_id_registry_imports'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('import_id', 'line', name=op.f('pk_registry_entries'))
    )
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.create_index('ix_registry_entries_person', ['import_id', 'national_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('registry_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_registry_entries_person')

    op.drop_table('registry_entries')
    op.drop_table('registry_imports')
