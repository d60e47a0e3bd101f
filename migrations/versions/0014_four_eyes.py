"""Four eyes on wage tables: who submitted a table, and the user a task's rule leaves out

Revision ID: 0014_four_eyes
Revises: 0013_holidays
Create Date: 2026-12-03 18:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '0014_four_eyes'
down_revision = '0013_holidays'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('candidate_excluded_user_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('payroll_draft', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_payroll_draft_submitted_by_id_user_account'), 'user_account',
                                    ['submitted_by_id'], ['id'])


def downgrade():
    with op.batch_alter_table('payroll_draft', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_payroll_draft_submitted_by_id_user_account'), type_='foreignkey')
        batch_op.drop_column('submitted_by_id')
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('candidate_excluded_user_id')
