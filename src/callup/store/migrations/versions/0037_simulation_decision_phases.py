"""A simulation's round gains two phases between the applications and the appearances: an officer's decisions on
the applications, taken once everyone of the round has applied, and the appeals against refusals, heard once every
application of the round is decided (so the officer's list ends its calls in one go, and who replaces whom does not
depend on the batch size). The phases after them move up by two.

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

DECISION = 2  # the first new phase (then the appeals, 3); the appearances were 2 and finished 6


def _comment(finished: int) -> str:
    return f"the next phase of the round to simulate for the person ({finished}: finished; committed with the steps taken)"


def upgrade() -> None:
    # A run stopped part-way: people waiting for their appearance or later, or finished, keep their place.
    op.execute(f"UPDATE simulated_people SET phase = phase + 2 WHERE phase >= {DECISION}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(8),
                           existing_comment=_comment(6))


def downgrade() -> None:
    # Anyone waiting for a decision or to appeal a refusal goes on to the appearances (the old flow decided and heard
    # them with the application).
    op.execute(f"UPDATE simulated_people SET phase = {DECISION} WHERE phase IN ({DECISION}, {DECISION + 1})")
    op.execute(f"UPDATE simulated_people SET phase = phase - 2 WHERE phase > {DECISION + 1}")
    with op.batch_alter_table('simulated_people') as batch:
        batch.alter_column('phase', existing_type=sa.SmallInteger(), existing_nullable=False, comment=_comment(6),
                           existing_comment=_comment(8))
