"""The register: people, imports and import rejects.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "people",
        sa.Column("national_id", sa.String(32), primary_key=True, comment="population register id"),
        sa.Column("family_name", sa.Text(), nullable=False),
        sa.Column("given_names", sa.Text(), nullable=False),
        sa.Column("date_of_birth", sa.Date(), nullable=False, comment="decides liability; from the population register"),
        sa.Column("sex", sa.String(1), nullable=False),
        sa.Column("citizenship", sa.String(16), nullable=False),
        sa.Column("region", sa.String(16), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(16), nullable=False),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.String(32), nullable=True),
        sa.Column("civil_status", sa.String(16), nullable=False),
        sa.Column("volunteer", sa.Boolean(), nullable=False, server_default="0"),
        sa.Column("import_id", sa.Integer(), nullable=True, comment="import that last changed this row"),
        sa.CheckConstraint("sex IN ('M', 'F', 'X')", name="ck_people_sex_known"),
        sa.CheckConstraint("civil_status IN ('alive', 'deceased', 'emigrated')", name="ck_people_civil_status"),
        sa.PrimaryKeyConstraint("national_id", name="pk_people"),
    )
    op.create_index("ix_people_region", "people", ["region"])
    op.create_table(
        "imports",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False, comment="file name as given"),
        sa.Column("fingerprint", sa.String(64), nullable=False, comment="SHA-256 of size, mtime and head/tail bytes"),
        sa.Column("file_format", sa.String(8), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("rows_done", sa.BigInteger(), nullable=False, comment="data rows whose batch has committed"),
        sa.Column("rows_imported", sa.BigInteger(), nullable=False),
        sa.Column("rows_rejected", sa.BigInteger(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True),
        sa.CheckConstraint("status IN ('running', 'finished')", name="ck_imports_status"),
        sa.PrimaryKeyConstraint("id", name="pk_imports"),
    )
    op.create_index("ix_imports_fingerprint", "imports", ["fingerprint"])
    op.create_table(
        "import_rejects",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("line", sa.BigInteger(), nullable=False, comment="line in a CSV file, row (1-based) in a Parquet file"),
        sa.Column("column", sa.String(64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["import_id"], ["imports.id"], name="fk_import_rejects_import_id_imports", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_import_rejects"),
    )
    op.create_index("ix_import_rejects_import_id", "import_rejects", ["import_id"])


def downgrade() -> None:
    op.drop_table("import_rejects")
    op.drop_table("imports")
    op.drop_table("people")
