"""消息通知 — a person's notices

Revision ID: 0017_notices
Revises: 0016_job_runs
Create Date: 2026-12-03 22:00:00

One row per notice to a person (registration decided, a hire or dismissal awaiting
their answer, wages paid or failed), with the path to act on and when it was read.
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_notices'
down_revision = '0016_job_runs'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('link', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_notice_person_id_person')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notice'))
    )
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.create_index('ix_notice_person_created', ['person_id', 'created_at'], unique=False)
        batch_op.create_index('ix_notice_person_read', ['person_id', 'read_at'], unique=False)


def downgrade():
    with op.batch_alter_table('notice', schema=None) as batch_op:
        batch_op.drop_index('ix_notice_person_read')
        batch_op.drop_index('ix_notice_person_created')
    op.drop_table('notice')
