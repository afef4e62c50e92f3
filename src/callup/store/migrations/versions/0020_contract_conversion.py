"""Conversion to contract service: a contract record names the conscript record it continues, and a
person may have one record of each status from the same campaign (the conscript's and the contract's).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-05 07:40:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0020'
down_revision = '0019'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.add_column(sa.Column('converted_from', sa.Integer(), nullable=True,
                                      comment='a contract record: the conscript record it continues from the day of signing'))
        batch_op.create_foreign_key(batch_op.f('fk_service_records_converted_from_service_records'), 'service_records',
                                    ['converted_from'], ['id'])
        batch_op.drop_constraint('uq_service_records_person', type_='unique')
        batch_op.create_unique_constraint('uq_service_records_person', ['campaign_id', 'national_id', 'service_status'])


def downgrade() -> None:
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.drop_constraint('uq_service_records_person', type_='unique')
        batch_op.create_unique_constraint('uq_service_records_person', ['campaign_id', 'national_id'])
        batch_op.drop_constraint(batch_op.f('fk_service_records_converted_from_service_records'), type_='foreignkey')
        batch_op.drop_column('converted_from')
