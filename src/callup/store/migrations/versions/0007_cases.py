"""Cases: medical board, deferrals, exemptions, civilian service, appeals, no-shows, and every transition of each
with actor, role, time, reason, evidence and effect.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25 17:42:22.796719
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False, comment="the call's region: decides who may see and decide the case"),
    sa.Column('kind', sa.Enum('medical', 'deferral', 'exemption', 'civilian_service', 'appeal', 'no_show', name='case_kind', native_enum=False, length=24), nullable=False),
    sa.Column('state', sa.String(length=32), nullable=False, comment="a state of the kind's machine"),
    sa.Column('ground', sa.String(length=64), nullable=True, comment='policy ground or fitness category code'),
    sa.Column('policy_version', sa.String(length=64), nullable=False, comment='policy version in force when the case was opened'),
    sa.Column('evidence', sa.Text(), nullable=True, comment='document reference given with the application'),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('opened_by', sa.String(length=128), nullable=False),
    sa.Column('opened_role', sa.String(length=16), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decided_role', sa.String(length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('appeal_deadline', sa.Date(), nullable=True, comment='last day an appeal against the decision is accepted'),
    sa.Column('until', sa.Date(), nullable=True, comment='end of a granted deferral, or the re-examination date'),
    sa.Column('appeals_case_id', sa.Integer(), nullable=True, comment='an appeal: the case whose decision it contests'),
    sa.Column('check_result', sa.String(length=16), nullable=True, comment='registry check: verified, not_found or expired'),
    sa.Column('check_source', sa.Text(), nullable=True, comment='registry, import and row the check used'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['appeals_case_id'], ['cases.id'], name=op.f('fk_cases_appeals_case_id_cases')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_cases_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index('ix_cases_person', ['campaign_id', 'national_id'], unique=False)
        batch_op.create_index('ix_cases_queue', ['kind', 'state', 'region'], unique=False)

    op.create_table('case_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False, comment='1, 2, ... within the case'),
    sa.Column('from_state', sa.String(length=32), nullable=False),
    sa.Column('step', sa.String(length=32), nullable=False),
    sa.Column('to_state', sa.String(length=32), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=128), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('ground', sa.String(length=64), nullable=True),
    sa.Column('effect', sa.Text(), nullable=True, comment='JSON: release, replacement, restored call'),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transitions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transitions')),
    sa.UniqueConstraint('case_id', 'seq', name='uq_case_transitions_seq')
    )


def downgrade() -> None:
    op.drop_table('case_transitions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index('ix_cases_queue')
        batch_op.drop_index('ix_cases_person')

    op.drop_table('cases')
