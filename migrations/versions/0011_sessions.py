"""Accounts: sessions that end on the server, login failures per username and address

Revision ID: 0011_sessions
Revises: 0010_money_once
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0011_sessions'
down_revision = '0010_money_once'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('web_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('key_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_web_session_user_id_user_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_web_session')),
    sa.UniqueConstraint('key_hash', name=op.f('uq_web_session_key_hash'))
    )
    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_web_session_user_id'), ['user_id'], unique=False)

    # The throttle's key becomes (username, client address). Its rows are short-lived
    # counters, so the table is made anew rather than converted.
    op.drop_table('login_throttle')
    _create_login_throttle(with_address=True)


def downgrade():
    op.drop_table('login_throttle')
    _create_login_throttle(with_address=False)

    with op.batch_alter_table('web_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_web_session_user_id'))
    op.drop_table('web_session')


def _create_login_throttle(with_address: bool):
    key = ['username', 'client_address'] if with_address else ['username']
    columns = [sa.Column('username', sa.String(length=64), nullable=False)]
    if with_address:
        columns.append(sa.Column('client_address', sa.String(length=64), nullable=False))
    op.create_table('login_throttle', *columns,
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint(*key, name=op.f('pk_login_throttle'))
    )
