"""Outbox — messages to the outside world, written with the business change

Revision ID: 0015_outbox
Revises: 0014_four_eyes
Create Date: 2026-12-03 20:00:00

"""
from alembic import op  # noqa: F401


revision = '0015_outbox'
down_revision = '0014_four_eyes'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
