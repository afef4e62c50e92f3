"""Summonses: one row per summons with appointment and delivery evidence, print batches, offices, postal files.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25 17:21:27.099180
"""

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table('notice_postal_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False, comment='receipts or returns'),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_applied', sa.Integer(), nullable=False),
    sa.Column('rows_rejected', sa.Integer(), nullable=False),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_postal_files')),
    sa.UniqueConstraint('kind', 'sha256', name='uq_notice_postal_files_content')
    )
    op.create_table('notice_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False, comment='1, 2, ... within the region'),
    sa.Column('letters', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('planned', 'printing', 'printed', name='batch_status', native_enum=False, length=16), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file', sa.Text(), nullable=True),
    sa.Column('manifest', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_notice_batches_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice_batches')),
    sa.UniqueConstraint('campaign_id', 'region', 'seq', name='uq_notice_batches_place')
    )
    op.create_table('notice_offices',
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.Text(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.Text(), nullable=False, comment='the offices CSV as read'),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_notice_offices_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('campaign_id', name=op.f('pk_notice_offices'))
    )
    op.create_table('summonses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('campaign_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False, comment='printed on the letter; 80 random bits and a check character'),
    sa.Column('pseudonym', sa.String(length=32), nullable=False),
    sa.Column('rank', sa.BigInteger(), nullable=False),
    sa.Column('postcode', sa.String(length=16), nullable=False, comment='sorting order of the post'),
    sa.Column('language', sa.String(length=16), nullable=False),
    sa.Column('office', sa.String(length=64), nullable=False),
    sa.Column('date', sa.Date(), nullable=False, comment='appointment day'),
    sa.Column('start', sa.Time(), nullable=False),
    sa.Column('end', sa.Time(), nullable=False),
    sa.Column('original_date', sa.Date(), nullable=False, comment='first appointment day: moves are limited around it'),
    sa.Column('code', sa.Text(), nullable=False, comment='one-time portal code, encrypted, for printing'),
    sa.Column('code_hash', sa.LargeBinary(), nullable=False, comment='keyed hash of the code, to check a sign-in'),
    sa.Column('code_expires', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('created', 'sent', 'delivered', 'acknowledged', 'returned', 'cancelled', 'superseded', name='notice_status', native_enum=False, length=16), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('page', sa.Integer(), nullable=True),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('delivery_source', sa.String(length=32), nullable=True, comment='receipt, portal, acknowledgement or deemed'),
    sa.Column('delivery_evidence', sa.Text(), nullable=True, comment='file and line, portal session, or the deemed-delivery rule applied'),
    sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('returned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('return_reason', sa.Text(), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_reason', sa.Text(), nullable=True, comment='why it was cancelled or superseded'),
    sa.Column('appearance', sa.Enum('appeared', 'no_show', name='appearance', native_enum=False, length=16), nullable=True),
    sa.Column('appearance_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['notice_batches.id'], name=op.f('fk_summonses_batch_id_notice_batches')),
    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_summonses_campaign_id_campaigns'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_summonses')),
    sa.UniqueConstraint('reference', name=op.f('uq_summonses_reference'))
    )
    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.create_index('ix_summonses_batch', ['batch_id', 'page'], unique=False)
        batch_op.create_index('ix_summonses_campaign_region', ['campaign_id', 'region', 'status'], unique=False)
        batch_op.create_index('ix_summonses_live', ['campaign_id', 'national_id'], unique=True, sqlite_where=sa.text("status NOT IN ('cancelled', 'superseded')"), postgresql_where=sa.text("status NOT IN ('cancelled', 'superseded')"))




def downgrade() -> None:

    with op.batch_alter_table('summonses', schema=None) as batch_op:
        batch_op.drop_index('ix_summonses_live', sqlite_where=sa.text("status NOT IN ('cancelled', 'superseded')"), postgresql_where=sa.text("status NOT IN ('cancelled', 'superseded')"))
        batch_op.drop_index('ix_summonses_campaign_region')
        batch_op.drop_index('ix_summonses_batch')

    op.drop_table('summonses')
    op.drop_table('notice_offices')
    op.drop_table('notice_batches')
    op.drop_table('notice_postal_files')

