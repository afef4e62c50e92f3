"""Service records: the legal status column is named `service_status`, so it is not mistaken for the
machine's `state` beside it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 19:20:00.000000
"""

from alembic import op

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.alter_column('status', new_column_name='service_status')


def downgrade() -> None:
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.alter_column('service_status', new_column_name='status')
