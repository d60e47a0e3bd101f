"""Payroll: the pay date (发放日期) chosen with the summary

Revision ID: 0008_pay_date
Revises: 0007_payroll
Create Date: 2026-11-30 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0008_pay_date'
down_revision = '0007_payroll'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bank_batch', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pay_date', sa.Date(), nullable=True))


def downgrade():
    with op.batch_alter_table('bank_batch', schema=None) as batch_op:
        batch_op.drop_column('pay_date')
