"""Medical findings: the health details behind a fitness category, encrypted, one row per decision.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-25 17:46:14.566307
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('medical_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('category', sa.String(length=16), nullable=False, comment='the fitness category found'),
    sa.Column('details', sa.Text(), nullable=True, comment='health details (encrypted)'),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_by', sa.String(length=128), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_medical_findings_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_medical_findings'))
    )
    with op.batch_alter_table('medical_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_medical_findings_case_id'), ['case_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('medical_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_medical_findings_case_id'))

    op.drop_table('medical_findings')
