"""A simulation's round gains a phase between the medical board and induction: the appeals against the board's
findings, heard once the board has found everyone of the round (so the board's list ends its calls in one go, and
who replaces whom does not depend on the batch size). The phases after it move up by one.

Revision ID: 0035
Revises: 0034
Create Date: 2026-12-07 07:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0035'
down_revision = '0034'
branch_labels = None
depends_on = None

REVIEW = 4  # the new phase; induction was 4 and finished 5


def _comment(finished: int) -> str:
    return f"the next phase of the round to simulate for the person ({finished}: finished; committed with the steps taken)"


def upgrade() -> None:
    # A run stopped part-way: people waiting for induction, or finished, keep their place under the new numbers.
    op.execute(f"UPDATE simulated_people SET phase = phase + 1 WHERE phase >= {REVIEW}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(6),
                           existing_comment=_comment(5))


def downgrade() -> None:
    # Anyone waiting for the review goes on to induction (the old flow heard an appeal with the finding).
    op.execute(f"UPDATE simulated_people SET phase = phase - 1 WHERE phase > {REVIEW}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(5),
                           existing_comment=_comment(6))
