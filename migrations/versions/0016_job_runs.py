"""Scheduler — the last run of each periodic job

Revision ID: 0016_job_runs
Revises: 0015_outbox
Create Date: 2026-12-03 20:00:00

"""
from alembic import op  # noqa: F401


revision = '0016_job_runs'
down_revision = '0015_outbox'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
