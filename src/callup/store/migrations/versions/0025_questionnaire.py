"""The self-declaration questionnaire: rounds sent to a birth cohort, their recipients (reference and sign-in
code), the answers (encrypted) and the routes the answers took.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('questionnaire_rounds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('policy_version', sa.String(length=64), nullable=False, comment='policy version whose questions were sent'),
    sa.Column('sent_on', sa.Date(), nullable=False),
    sa.Column('deadline', sa.Date(), nullable=False, comment='last day to answer'),
    sa.Column('code_expires', sa.Date(), nullable=False, comment='last day the printed sign-in codes work'),
    sa.Column('born_from', sa.Date(), nullable=False, comment='the cohort: born on or after'),
    sa.Column('born_to', sa.Date(), nullable=False, comment='the cohort: born on or before'),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_by', sa.String(length=128), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_rounds')),
    sa.UniqueConstraint('name', name=op.f('uq_questionnaire_rounds_name'))
    )
    op.create_table('questionnaire_recipients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('reference', sa.String(length=32), nullable=False, comment='printed on the letter and the paper form'),
    sa.Column('code', sa.Text(), nullable=False, comment='portal sign-in code, for printing'),
    sa.Column('code_hash', sa.LargeBinary(), nullable=False, comment='keyed hash of the code, to check a sign-in'),
    sa.Column('reminders', sa.Integer(), server_default='0', nullable=False),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('printed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['questionnaire_rounds.id'], name=op.f('fk_questionnaire_recipients_round_id_questionnaire_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_recipients')),
    sa.UniqueConstraint('reference', name=op.f('uq_questionnaire_recipients_reference')),
    sa.UniqueConstraint('round_id', 'national_id', name='uq_questionnaire_recipients_person')
    )
    op.create_index('ix_questionnaire_recipients_person', 'questionnaire_recipients', ['national_id'], unique=False)
    op.create_index('ix_questionnaire_recipients_region', 'questionnaire_recipients', ['round_id', 'region'], unique=False)
    op.create_table('questionnaire_answers',
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('answers', sa.Text(), nullable=False, comment='JSON: question id -> answer'),
    sa.Column('channel', sa.String(length=16), nullable=False, comment='portal or paper'),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('keyed_by', sa.String(length=128), nullable=True, comment='the officer who keyed a paper form'),
    sa.ForeignKeyConstraint(['recipient_id'], ['questionnaire_recipients.id'], name=op.f('fk_questionnaire_answers_recipient_id_questionnaire_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('recipient_id', name=op.f('pk_questionnaire_answers'))
    )
    op.create_table('questionnaire_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recipient_id', sa.Integer(), nullable=False),
    sa.Column('national_id', sa.String(length=32), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.Column('route', sa.String(length=32), nullable=False, comment='medical_preassessment or deferral_check'),
    sa.Column('ground', sa.String(length=64), nullable=True, comment='the deferral ground to check'),
    sa.Column('question', sa.String(length=32), nullable=False, comment='the question whose answer took the effect'),
    sa.Column('detail', sa.Text(), nullable=True, comment='the answer, to pre-fill the check'),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.String(length=128), nullable=True),
    sa.ForeignKeyConstraint(['recipient_id'], ['questionnaire_recipients.id'], name=op.f('fk_questionnaire_routes_recipient_id_questionnaire_recipients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_questionnaire_routes'))
    )
    op.create_index('ix_questionnaire_routes_open', 'questionnaire_routes', ['route', 'closed_at'], unique=False)
    op.create_index('ix_questionnaire_routes_person', 'questionnaire_routes', ['national_id'], unique=False)


def downgrade() -> None:
    op.drop_index("ix_questionnaire_routes_person", table_name="questionnaire_routes")
    op.drop_index("ix_questionnaire_routes_open", table_name="questionnaire_routes")
    op.drop_table("questionnaire_routes")
    op.drop_table("questionnaire_answers")
    op.drop_index("ix_questionnaire_recipients_region", table_name="questionnaire_recipients")
    op.drop_index("ix_questionnaire_recipients_person", table_name="questionnaire_recipients")
    op.drop_table("questionnaire_recipients")
    op.drop_table("questionnaire_rounds")
