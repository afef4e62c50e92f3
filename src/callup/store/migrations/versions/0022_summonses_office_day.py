"""Summonses by office and day: the medical board's and the office's list of who is expected on a day
reads one office's appointments of one day, not every summons.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from alembic import op

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("summonses") as batch:
        batch.create_index(batch.f("ix_summonses_office_day"), ["office", "date", "start"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("summonses") as batch:
        batch.drop_index(batch.f("ix_summonses_office_day"))
