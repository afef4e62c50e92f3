"""Imports can be abandoned: an unfinished import an administrator gave up on is never resumed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-04
"""

from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def _status(condition: str) -> None:
    with op.batch_alter_table("imports") as batch:
        batch.drop_constraint(op.f("ck_imports_status"), type_="check")
        batch.create_check_constraint("status", condition)


def upgrade() -> None:
    _status("status IN ('running', 'finished', 'failed', 'abandoned')")


def downgrade() -> None:
    op.execute("UPDATE imports SET status = 'failed' WHERE status = 'abandoned'")
    _status("status IN ('running', 'finished', 'failed')")
