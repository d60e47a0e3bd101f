"""Accounts: sessions that end on the server, login failures per username and address

Revision ID: 0011_sessions
Revises: 0010_money_once
Create Date: 2026-12-03 09:00:00

"""
from alembic import op  # noqa: F401


revision = '0011_sessions'
down_revision = '0010_money_once'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
