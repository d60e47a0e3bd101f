"""An instance's history, oldest first: what happened, when, by whom.

Three facts of every instance are already in rows the runtime writes anyway, so they
are read from there rather than written twice (they were a third of the statements of
a two-task instance):
- "started": the instance row (created_at, started_by_id, its definition's version);
- "task_completed": each completed inbox row (completed_at, completed_by_id, task_key,
  and the submitted form as completed_data);
- "completed": the instance row of a completed instance (completed_at).
process_event holds everything else: claims, timers, messages, errors, the
administrator's actions, migrations.
"""
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import HumanTask, ProcessEvent, ProcessInstance, User

@dataclass(frozen=True)
class Step:
    at: datetime
    kind: str
    task_key: str | None = None
    actor_id: int | None = None
    detail: dict | None = None
    actor: User | None = field(default=None, compare=False)


def of(instance: ProcessInstance, limit: int | None = None, newest_first: bool = False) -> list[Step]:
    """The history of `instance`; `limit` keeps the newest that many."""
    events = db.session.scalars(select(ProcessEvent).where(ProcessEvent.instance_id == instance.id)
                                .options(selectinload(ProcessEvent.actor)).order_by(ProcessEvent.id)).all()
    done = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.status == "completed")
                              .options(selectinload(HumanTask.completed_by)).order_by(HumanTask.id)).all()
    steps = [Step(row.completed_at, "task_completed", row.task_key, row.completed_by_id,
                   {"data": row.completed_data} if row.completed_data is not None else None, row.completed_by)
              for row in done]
    steps += [Step(e.at, e.kind, e.task_key, e.actor_id, e.detail, e.actor) for e in events]
    steps.sort(key=lambda s: s.at)  # stable: the same moment keeps the written order
    # first and last whatever the clocks say (an event row is stamped when flushed, after
    # the save took its time)
    steps.insert(0, Step(instance.created_at, "started", None, instance.started_by_id,
                         {"version": instance.definition.version}, instance.started_by))
    if instance.status == "completed" and instance.completed_at is not None:
        steps.append(Step(instance.completed_at, "completed"))
    if limit is not None:
        steps = steps[-limit:]
    return steps[::-1] if newest_first else steps


def as_json(step: Step) -> dict:
    return {"at": step.at.isoformat(), "kind": step.kind, "task_key": step.task_key, "actor_id": step.actor_id,
            "detail": step.detail}
