"""A simulation's round gains a phase between the applications and the appearances: the appeals against refused
applications, heard once an officer has decided everyone's application of the round (so the officer's list ends its
calls in one go, and who replaces whom does not depend on the batch size). The phases after it move up by one.

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-07 18:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0037'
down_revision = '0036'
branch_labels = None
depends_on = None

RECONSIDERATION = 2  # the new phase; the appearances were 2 and finished 6


def _comment(finished: int) -> str:
    return f"the next phase of the round to simulate for the person ({finished}: finished; committed with the steps taken)"


def upgrade() -> None:
    # A run stopped part-way: people waiting for their appearance or later, or finished, keep their place.
    op.execute(f"UPDATE simulated_people SET phase = phase + 1 WHERE phase >= {RECONSIDERATION}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(7),
                           existing_comment=_comment(6))


def downgrade() -> None:
    # Anyone waiting to appeal a refusal goes on to the appearances (the old flow heard it with the decision).
    op.execute(f"UPDATE simulated_people SET phase = phase - 1 WHERE phase > {RECONSIDERATION}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(6),
                           existing_comment=_comment(7))
