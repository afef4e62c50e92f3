"""Web documents: files citizens upload with applications (PDF, JPEG or PNG by content), encrypted at rest,
named by random ids.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-25 18:20:32.149708
"""

import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('web_documents',
    sa.Column('id', sa.String(length=32), nullable=False, comment='128 random bits, base32'),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('media_type', sa.String(length=32), nullable=False, comment='application/pdf, image/jpeg or image/png, from the content'),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_documents'))
    )
    with op.batch_alter_table('web_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_documents_national_id'), ['national_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('web_documents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_documents_national_id'))

    op.drop_table('web_documents')
