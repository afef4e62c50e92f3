"""Service: units with their zones, service records and their steps, deployment attempts refused or overridden.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 18:08:18.240301
"""

import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('units',
    sa.Column('code', sa.String(length=32), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('zone', sa.String(length=32), nullable=False, comment="zone the policy's deployment rules name, e.g. combat"),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_units'))
    )
    op.create_table('service_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=32), nullable=False, comment="the deployment rules' status, e.g. conscript"),
    sa.Column('state', sa.String(length=32), nullable=False, comment='a state of the SERVICE machine'),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('planned_end', sa.Date(), nullable=False),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('inducted_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('inducted_by', sa.String(length=128), nullable=False),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('end_reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_service_records_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit'], ['units.code'], name=op.f('fk_service_records_unit_units')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_records')),
    sa.UniqueConstraint('campaign_id', 'national_id', name='uq_service_records_person')
    )
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.create_index('ix_service_records_due', ['state', 'planned_end'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_records_national_id'), ['national_id'], unique=False)

    op.create_table('deployment_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=16), nullable=False, comment='induct or transfer'),
    sa.Column('status', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=False),
    sa.Column('zone', sa.String(length=32), nullable=False),
    sa.Column('outcome', sa.String(length=16), nullable=False, comment='refused or overridden'),
    sa.Column('problem', sa.Text(), nullable=False),
    sa.Column('second_officer', sa.String(length=128), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.ForeignKeyConstraint(['record_id'], ['service_records.id'], name=op.f('fk_deployment_attempts_record_id_service_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deployment_attempts'))
    )
    with op.batch_alter_table('deployment_attempts', schema=None) as batch_op:
        batch_op.create_index('ix_deployment_attempts_at', ['at'], unique=False)

    op.create_table('service_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('from_state', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('unit', sa.String(length=32), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('second_officer', sa.String(length=128), nullable=True, comment='named second officer of an override'),
    sa.ForeignKeyConstraint(['record_id'], ['service_records.id'], name=op.f('fk_service_steps_record_id_service_records'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_steps')),
    sa.UniqueConstraint('record_id', 'seq', name='uq_service_steps_seq')
    )


def downgrade() -> None:
    op.drop_table('service_steps')
    with op.batch_alter_table('deployment_attempts', schema=None) as batch_op:
        batch_op.drop_index('ix_deployment_attempts_at')

    op.drop_table('deployment_attempts')
    with op.batch_alter_table('service_records', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_records_national_id'))
        batch_op.drop_index('ix_service_records_due')

    op.drop_table('service_records')
    op.drop_table('units')
