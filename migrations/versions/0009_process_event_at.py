"""Workflow: index process events by time (the monitor's recent averages)

Revision ID: 0009_process_event_at
Revises: 0008_pay_date
Create Date: 2026-11-30 05:40:00

"""
from alembic import op


revision = '0009_process_event_at'
down_revision = '0008_pay_date'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('process_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_event_at'), ['at'], unique=False)


def downgrade():
    with op.batch_alter_table('process_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_event_at'))
