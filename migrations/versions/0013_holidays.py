"""Calendar — statutory holidays and make-up working days by year

Revision ID: 0013_holidays
Revises: 0012_summary_without
Create Date: 2026-12-03 15:00:00

"""
from alembic import op  # noqa: F401


revision = '0013_holidays'
down_revision = '0012_summary_without'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
