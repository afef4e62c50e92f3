"""An index of cases by national id alone: the portal's status page reads the signed-in person's cases of every
campaign, which the (campaign, national id) index answered only by walking all of it (5 ms at 55,000 cases, growing
with every campaign).

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-07 12:40:00.000000
"""

from alembic import op

revision = '0036'
down_revision = '0035'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_cases_national_id', 'cases', ['national_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_cases_national_id', table_name='cases')
