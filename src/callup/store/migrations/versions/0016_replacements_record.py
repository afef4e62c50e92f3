"""The replacements record and the published policy file: each release after the draw and the reserve
position called for it, as hash-chained lines; the policy file's bytes kept with the campaign.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-04 19:30:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.add_column(sa.Column('policy_file', sa.LargeBinary(), nullable=True,
                                      comment="the policy file's bytes, published by the export"))
    op.create_table(
        'campaign_replacements',
        sa.Column('campaign_id', sa.Integer(), nullable=False),
        sa.Column('seq', sa.Integer(), nullable=False, comment='1, 2, ...: a second writer of the same seq fails'),
        sa.Column('line', sa.Text(), nullable=False, comment="the entry's canonical JSON, as published"),
        sa.Column('hash', sa.String(length=64), nullable=False, comment="SHA-256 of the line: the next entry's previous"),
        sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_campaign_replacements_campaign_id_campaigns'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('campaign_id', 'seq', name=op.f('pk_campaign_replacements')),
    )


def downgrade() -> None:
    op.drop_table('campaign_replacements')
    with op.batch_alter_table('campaigns', schema=None) as batch_op:
        batch_op.drop_column('policy_file')
