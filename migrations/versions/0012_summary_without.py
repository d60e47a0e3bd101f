"""Payroll — units left out of a summary, recorded

Revision ID: 0012_summary_without
Revises: 0011_sessions
Create Date: 2026-12-03 15:00:00

"""
from alembic import op  # noqa: F401


revision = '0012_summary_without'
down_revision = '0011_sessions'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
