"""The progress of a simulation under way (the people of each round and whether each has been simulated),
committed batch by batch so that a simulation stopped part-way resumes instead of starting again; emptied
when the simulation finishes.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 03:00:00.000000
"""

import sqlalchemy as sa
from alembic import op

revision = '0032'
down_revision = '0031'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('simulated_people',
                    sa.Column('campaign_id', sa.Integer(), nullable=False),
                    sa.Column('national_id', sa.String(length=32), nullable=False),
                    sa.Column('round', sa.Integer(), nullable=False, comment='the round of summonses the person is simulated in'),
                    sa.Column('done', sa.Boolean(), nullable=False, comment='simulated (committed with the steps taken)'),
                    sa.ForeignKeyConstraint(['campaign_id'], ['campaigns.id'], name=op.f('fk_simulated_people_campaign_id_campaigns')),
                    sa.PrimaryKeyConstraint('campaign_id', 'national_id', name=op.f('pk_simulated_people')))


def downgrade() -> None:
    op.drop_table('simulated_people')
