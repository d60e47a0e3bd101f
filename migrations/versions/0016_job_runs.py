"""Scheduler — the last run of each periodic job

Revision ID: 0016_job_runs
Revises: 0015_outbox
Create Date: 2026-12-03 20:00:00

One row per periodic job, written by the scheduler when it claims a due time; empty
until the scheduler first runs, which then runs each job's latest due time once.
"""
from alembic import op
import sqlalchemy as sa


revision = '0016_job_runs'
down_revision = '0015_outbox'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_run',
    sa.Column('job_id', sa.String(length=64), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('outcome', sa.String(length=8), nullable=True),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.CheckConstraint("outcome IN ('ok', 'failed')", name=op.f('ck_job_run_outcome')),
    sa.PrimaryKeyConstraint('job_id', name=op.f('pk_job_run'))
    )


def downgrade():
    op.drop_table('job_run')
