"""A simulation runs each round in phases (delivery, applications, appearances, examinations, induction), every
person of the round through one phase before the next: its progress keeps the phase each person has reached
instead of whether they are done.

Revision ID: 0034
Revises: 0033
Create Date: 2026-12-07 05:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0034'
down_revision = '0033'
branch_labels = None
depends_on = None

FINISHED = 5


def upgrade() -> None:
    with op.batch_alter_table('simulated_people') as batch:
        batch.add_column(sa.Column('phase', sa.SmallInteger(), nullable=False, server_default='0',
                                   comment='the next phase of the round to simulate for the person (5: finished; '
                                           'committed with the steps taken)'))
    # A run stopped part-way under the old layout: the people it simulated are finished, the rest start again.
    op.execute(f"UPDATE simulated_people SET phase = {FINISHED} WHERE done")
    with op.batch_alter_table('simulated_people') as batch:
        batch.drop_column('done')
        batch.alter_column('phase', server_default=None)


def downgrade() -> None:
    with op.batch_alter_table('simulated_people') as batch:
        batch.add_column(sa.Column('done', sa.Boolean(), nullable=False, server_default=sa.false(),
                                   comment='simulated (committed with the steps taken)'))
    op.execute(f"UPDATE simulated_people SET done = (phase = {FINISHED})")
    with op.batch_alter_table('simulated_people') as batch:
        batch.drop_column('phase')
        batch.alter_column('done', server_default=None)
