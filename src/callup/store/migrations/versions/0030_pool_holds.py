"""The register keeps the holds other features' decisions put on people (pool_holds), so eligibility reads only
the register's tables. Existing decisions carry over: the case states that kept a person out (the rule of
cases.availability at this revision) and every service record (out for good).

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-05 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0030'
down_revision = '0029'
branch_labels = None
depends_on = None

PERMANENT = ("(kind = 'medical' AND state = 'unfit') OR (kind = 'exemption' AND state = 'granted') "
             "OR (kind = 'civilian_service' AND state IN ('granted', 'assigned', 'completed'))")
UNTIL = "((kind = 'medical' AND state = 'temporarily_unfit') OR (kind = 'deferral' AND state = 'granted')) AND until IS NOT NULL"


def upgrade() -> None:
    op.create_table(
        'pool_holds',
        sa.Column('national_id', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=48), nullable=False, comment="what holds: 'case 12', 'induction 3' (campaign id)"),
        sa.Column('until', sa.Date(), nullable=True, comment='out of the pool up to and including this day; NULL: for good'),
        sa.PrimaryKeyConstraint('national_id', 'source', name=op.f('pk_pool_holds')),
    )
    op.execute(f"INSERT INTO pool_holds (national_id, source) SELECT national_id, 'case ' || id FROM cases WHERE {PERMANENT}")
    op.execute(f"INSERT INTO pool_holds (national_id, source, until) SELECT national_id, 'case ' || id, until FROM cases "
               f"WHERE {UNTIL}")
    op.execute("INSERT INTO pool_holds (national_id, source) SELECT DISTINCT national_id, 'induction ' || campaign_id "
               "FROM service_records")


def downgrade() -> None:
    op.drop_table('pool_holds')
