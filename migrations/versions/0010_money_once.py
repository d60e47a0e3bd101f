"""Bank receipts: de-duplicated by the bank's receipt id; paid lines are final

Revision ID: 0010_money_once
Revises: 0009_process_event_at
Create Date: 2026-12-03 09:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0010_money_once'
down_revision = '0009_process_event_at'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_receipt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('receipt_id', sa.String(length=35), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['batch_id'], ['bank_batch.id'], name=op.f('fk_bank_receipt_batch_id_bank_batch')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_receipt')),
    sa.UniqueConstraint('receipt_id', name=op.f('uq_bank_receipt_receipt_id'))
    )
    with op.batch_alter_table('bank_receipt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_receipt_batch_id'), ['batch_id'], unique=False)


def downgrade():
    with op.batch_alter_table('bank_receipt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_receipt_batch_id'))
    op.drop_table('bank_receipt')
