"""Civilian assignments: alternative civilian service with employer, start and planned end.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-25 17:56:33.635803
"""

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('civilian_assignments',
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('employer', sa.Text(), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('planned_end', sa.Date(), nullable=False, comment="start plus the policy's alternative service term"),
    sa.Column('term_months', sa.Integer(), nullable=False),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('assigned_by', sa.String(length=128), nullable=False),
    sa.Column('completed_on', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_civilian_assignments_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('case_id', name=op.f('pk_civilian_assignments'))
    )


def downgrade() -> None:
    op.drop_table('civilian_assignments')
