"""Status documents: every document the portal signs is recorded, so the office can withdraw it (a
revocation list) when its holder's status changes or it was issued in error.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "status_documents",
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("national_id", sa.String(length=32), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False, comment="the status signed into the document"),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_why", sa.String(length=32), nullable=True, comment="status changed, or withdrawn by the office"),
        sa.PrimaryKeyConstraint("serial", name=op.f("pk_status_documents")),
    )
    with op.batch_alter_table("status_documents") as batch:
        batch.create_index(batch.f("ix_status_documents_national_id"), ["national_id"], unique=False)
        batch.create_index(batch.f("ix_status_documents_valid_until"), ["valid_until"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("status_documents") as batch:
        batch.drop_index(batch.f("ix_status_documents_valid_until"))
        batch.drop_index(batch.f("ix_status_documents_national_id"))
    op.drop_table("status_documents")
