"""Reminders by e-mail and text message (each attempt recorded), opt-outs, and the daily jobs' runs.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

STATES = ("created", "sending", "delivered", "permanent-failure", "temporary-failure")


def upgrade() -> None:
    op.create_table(
        "reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("national_id", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False, comment="what it reminds of, e.g. summons:12:appointment"),
        sa.Column("kind", sa.String(length=32), nullable=False, comment="published, deadline, appointment, ...: picks the text"),
        sa.Column("channel", sa.String(length=8), nullable=False, comment="email or sms"),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("params", sa.Text(), nullable=False, comment="JSON: the dates and places the text names"),
        sa.Column("state", sa.Enum(*STATES, name="reminder_state", native_enum=False, length=24), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("provider_ref", sa.String(length=128), nullable=True, comment="the provider's id of the message"),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders")),
        sa.UniqueConstraint("key", "channel", name="uq_reminders_key_channel"),
    )
    with op.batch_alter_table("reminders") as batch:
        batch.create_index("ix_reminders_due", ["state", "next_attempt_at"], unique=False)
        batch.create_index("ix_reminders_person", ["national_id"], unique=False)
    op.create_table(
        "reminder_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("reminder_id", sa.Integer(), nullable=False),
        sa.Column("attempt", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=24), nullable=False, comment="the state it left the reminder in"),
        sa.Column("detail", sa.Text(), nullable=False, comment="the provider's answer (status code and words), no address"),
        sa.ForeignKeyConstraint(["reminder_id"], ["reminders.id"], name=op.f("fk_reminder_attempts_reminder_id_reminders"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_attempts")),
    )
    with op.batch_alter_table("reminder_attempts") as batch:
        batch.create_index(batch.f("ix_reminder_attempts_reminder_id"), ["reminder_id"], unique=False)
    op.create_table(
        "reminder_opt_outs",
        sa.Column("national_id", sa.String(length=32), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("national_id", name=op.f("pk_reminder_opt_outs")),
    )
    op.create_table(
        "job_runs",
        sa.Column("job", sa.String(length=32), nullable=False),
        sa.Column("day", sa.Date(), nullable=False, comment="the jurisdiction's day the run is for"),
        sa.Column("state", sa.String(length=16), nullable=False, comment="running, done or failed"),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("runner", sa.String(length=128), nullable=False, comment="the process that claimed it (host and pid)"),
        sa.Column("result", sa.Text(), nullable=True, comment="JSON: what it did (counts, never personal data)"),
        sa.PrimaryKeyConstraint("job", "day", name=op.f("pk_job_runs")),
    )


def downgrade() -> None:
    op.drop_table("job_runs")
    op.drop_table("reminder_opt_outs")
    with op.batch_alter_table("reminder_attempts") as batch:
        batch.drop_index(batch.f("ix_reminder_attempts_reminder_id"))
    op.drop_table("reminder_attempts")
    with op.batch_alter_table("reminders") as batch:
        batch.drop_index("ix_reminders_person")
        batch.drop_index("ix_reminders_due")
    op.drop_table("reminders")
