"""Audit subjects: the erasable salted commitment that names a person in the audit log.

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-25 19:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_subjects',
    sa.Column('national_id', sa.String(length=200), nullable=False),
    sa.Column('salt', sa.String(length=64), nullable=False, comment='32 random bytes, hex'),
    sa.Column('commitment', sa.String(length=40), nullable=False, comment='person# + HMAC-SHA256(salt, id)[:16] in hex'),
    sa.PrimaryKeyConstraint('national_id', name=op.f('pk_audit_subjects')),
    sa.UniqueConstraint('commitment', name=op.f('uq_audit_subjects_commitment'))
    )


def downgrade() -> None:
    op.drop_table('audit_subjects')
