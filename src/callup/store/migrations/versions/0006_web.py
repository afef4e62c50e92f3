"""Web edge: administration accounts (argon2 password, encrypted TOTP secret), sign-in attempt counters
shared by all workers, citizens' contact-change requests (encrypted values, confirmed by an officer).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25 17:40:02.182012
"""

import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('contact_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('email', sa.Text(), nullable=True),
    sa.Column('phone', sa.Text(), nullable=True),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('postcode', sa.String(length=16), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False, comment='pending, confirmed or rejected'),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decided_by', sa.String(length=128), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_requests'))
    )
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_requests_national_id'), ['national_id'], unique=False)
        batch_op.create_index('ix_contact_requests_queue', ['status', 'region'], unique=False)

    op.create_table('web_limits',
    sa.Column('key', sa.String(length=128), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_web_limits'))
    )
    op.create_table('web_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False, comment="sign-in name; the audit log's actor"),
    sa.Column('role', sa.String(length=16), nullable=False, comment='administrator, officer, medical, auditor or system'),
    sa.Column('regions', sa.String(length=400), nullable=True, comment='comma-separated regions of a regional role; empty = national'),
    sa.Column('office', sa.String(length=128), nullable=True, comment='the office shown to citizens instead of the name'),
    sa.Column('password_hash', sa.Text(), nullable=False, comment='argon2id'),
    sa.Column('totp_secret', sa.Text(), nullable=False, comment='base32 TOTP secret, encrypted'),
    sa.Column('totp_last', sa.BigInteger(), nullable=True, comment='last accepted TOTP time step (no replay)'),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_users')),
    sa.UniqueConstraint('name', name=op.f('uq_web_users_name'))
    )


def downgrade() -> None:
    op.drop_table('web_users')
    op.drop_table('web_limits')
    with op.batch_alter_table('contact_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_requests_queue')
        batch_op.drop_index(batch_op.f('ix_contact_requests_national_id'))

    op.drop_table('contact_requests')
