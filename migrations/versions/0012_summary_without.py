"""Payroll — units left out of a summary, recorded

Revision ID: 0012_summary_without
Revises: 0011_sessions
Create Date: 2026-12-03 15:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0012_summary_without'
down_revision = '0011_sessions'
branch_labels = None
depends_on = None


def upgrade():
    # 本期未纳入: [{"enterprise_id", "name", "workers"}] chosen at 【生成汇总表】
    with op.batch_alter_table('bank_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('left_out', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('bank_batch', schema=None) as batch_op:
        batch_op.drop_column('left_out')
