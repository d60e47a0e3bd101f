"""An instance's start, completed tasks and end are read from its own rows

Revision ID: 0018_history_from_rows
Revises: 0017_notices
Create Date: 2026-12-03 19:30:00

The "started", "task_completed" and "completed" events repeated what the instance row
and the inbox rows already hold (app/workflow/history.py). The submitted form, the one
thing only the event had, moves to human_task.completed_data: each task_completed
event is paired with the completed inbox row of the same instance, task and user, in
order of time; then the three kinds of event rows go. Downgrade writes them back.
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '0018_history_from_rows'
down_revision = '0017_notices'
branch_labels = None
depends_on = None

DERIVED = ("started", "task_completed", "completed")
CHUNK = 5000  # instances at a time: a large history moves in bounded memory

event = sa.table("process_event", sa.column("id", sa.Integer), sa.column("instance_id", sa.Integer),
                 sa.column("at", sa.DateTime(timezone=True)), sa.column("kind", sa.String),
                 sa.column("task_key", sa.String), sa.column("actor_id", sa.Integer), sa.column("detail", sa.JSON))
task = sa.table("human_task", sa.column("id", sa.Integer), sa.column("instance_id", sa.Integer),
                sa.column("task_key", sa.String), sa.column("status", sa.String),
                sa.column("completed_at", sa.DateTime(timezone=True)), sa.column("completed_by_id", sa.Integer),
                sa.column("completed_data", sa.JSON))
instance = sa.table("process_instance", sa.column("id", sa.Integer), sa.column("definition_id", sa.Integer),
                    sa.column("status", sa.String), sa.column("started_by_id", sa.Integer),
                    sa.column("created_at", sa.DateTime(timezone=True)),
                    sa.column("completed_at", sa.DateTime(timezone=True)))
definition = sa.table("process_definition", sa.column("id", sa.Integer), sa.column("version", sa.Integer))


def _instance_ranges(conn):
    low, high = conn.execute(sa.select(sa.func.min(instance.c.id), sa.func.max(instance.c.id))).one()
    if low is None:
        return
    for start in range(low, high + 1, CHUNK):
        yield start, start + CHUNK


def upgrade():
    op.add_column('human_task', sa.Column('completed_data', sa.JSON(), nullable=True))
    # the monitor's time per task reads recent completions (it read the events' `at` before)
    op.create_index('ix_human_task_completed_at', 'human_task', ['completed_at'])
    conn = op.get_bind()
    for low, high in _instance_ranges(conn):
        events = defaultdict(list)
        for instance_id, task_key, actor_id, detail in conn.execute(
                sa.select(event.c.instance_id, event.c.task_key, event.c.actor_id, event.c.detail)
                .where(event.c.kind == "task_completed", event.c.instance_id >= low, event.c.instance_id < high)
                .order_by(event.c.id)):
            events[(instance_id, task_key, actor_id)].append((detail or {}).get("data"))
        updates = []
        for row_id, instance_id, task_key, by_id in conn.execute(
                sa.select(task.c.id, task.c.instance_id, task.c.task_key, task.c.completed_by_id)
                .where(task.c.status == "completed", task.c.instance_id >= low, task.c.instance_id < high)
                .order_by(task.c.completed_at, task.c.id)):
            forms = events.get((instance_id, task_key, by_id))
            if forms:
                data = forms.pop(0)
                if data is not None:
                    updates.append({"b_id": row_id, "data": data})
        if updates:
            conn.execute(task.update().where(task.c.id == sa.bindparam("b_id"))
                         .values(completed_data=sa.bindparam("data")), updates)
        conn.execute(event.delete().where(event.c.kind.in_(DERIVED), event.c.instance_id >= low,
                                          event.c.instance_id < high))


def downgrade():
    conn = op.get_bind()
    for low, high in _instance_ranges(conn):
        rows = []
        for instance_id, status, by_id, created_at, completed_at, version in conn.execute(
                sa.select(instance.c.id, instance.c.status, instance.c.started_by_id, instance.c.created_at,
                          instance.c.completed_at, definition.c.version)
                .join(definition, definition.c.id == instance.c.definition_id)
                .where(instance.c.id >= low, instance.c.id < high).order_by(instance.c.id)):
            rows.append({"instance_id": instance_id, "at": created_at, "kind": "started", "task_key": None,
                         "actor_id": by_id, "detail": {"version": version}})
            if status == "completed" and completed_at is not None:
                rows.append({"instance_id": instance_id, "at": completed_at, "kind": "completed", "task_key": None,
                             "actor_id": None, "detail": None})
        for instance_id, task_key, by_id, at, data in conn.execute(
                sa.select(task.c.instance_id, task.c.task_key, task.c.completed_by_id, task.c.completed_at,
                          task.c.completed_data)
                .where(task.c.status == "completed", task.c.instance_id >= low, task.c.instance_id < high)):
            rows.append({"instance_id": instance_id, "at": at, "kind": "task_completed", "task_key": task_key,
                         "actor_id": by_id, "detail": {"data": data} if data is not None else None})
        rows.sort(key=lambda r: (r["instance_id"], r["at"], {"started": 0, "completed": 2}.get(r["kind"], 1)))
        if rows:
            conn.execute(event.insert(), rows)
    op.drop_index('ix_human_task_completed_at', table_name='human_task')
    with op.batch_alter_table('human_task') as batch:
        batch.drop_column('completed_data')
