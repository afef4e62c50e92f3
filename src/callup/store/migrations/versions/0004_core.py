"""Core: campaigns can be closed, imports can fail, calls can be released to alternative civilian service.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

CHANGES = [
    ("campaigns", "ck_campaigns_campaign_status", "status IN ('created', 'frozen', 'committed', 'drawn')",
     "status IN ('created', 'frozen', 'committed', 'drawn', 'closed')"),
    ("imports", "ck_imports_status", "status IN ('running', 'finished')", "status IN ('running', 'finished', 'failed')"),
    ("campaign_calls", "ck_campaign_calls_release_reason", "release_reason IN ('deferred', 'exempted', 'unfit', 'left_pool')",
     "release_reason IN ('deferred', 'exempted', 'unfit', 'left_pool', 'civilian_service')"),
]


def _swap(table: str, name: str, condition: str) -> None:
    with op.batch_alter_table(table) as batch:
        batch.drop_constraint(name, type_="check")
        batch.create_check_constraint(name.removeprefix(f"ck_{table}_"), condition)


def upgrade() -> None:
    for table, name, _old, new in CHANGES:
        _swap(table, name, new)


def downgrade() -> None:
    for table, name, old, _new in CHANGES:
        _swap(table, name, old)
