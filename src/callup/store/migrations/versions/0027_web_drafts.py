"""Forms sent after their session ended are kept (encrypted, for a day) until their person signs in again.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05 09:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0027'
down_revision = '0026'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'web_drafts',
        sa.Column('id', sa.String(length=64), nullable=False, comment="sha256 of the draft's random token"),
        sa.Column('owner', sa.String(length=64), nullable=False, comment="sha256 of the session's kind and person or account"),
        sa.Column('path', sa.String(length=400), nullable=False, comment='where the form was sent'),
        sa.Column('fields', sa.Text(), nullable=False, comment='JSON [[name, value], ...], encrypted'),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_web_drafts')),
    )
    with op.batch_alter_table('web_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_drafts_expires_at'), ['expires_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('web_drafts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_drafts_expires_at'))
    op.drop_table('web_drafts')
