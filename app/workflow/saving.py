"""Loading an instance's workflow, running a step of it, and saving it with its inbox
rows, timer row, message waits and history in the caller's transaction.

Saving does not route the messages the step threw: it returns them, and the caller
(runtime, or messages for a chain of deliveries) routes them in the same transaction.
"""
import logging

from sqlalchemy import delete, update
from SpiffWorkflow.util.task import TaskState

from app.common.errors import Conflict, NotFound, RuleViolation
from app.extensions import db
from app.models import MessageWait, ProcessEvent, ProcessInstance, WorkflowTimer
from app.models.types import utcnow
from app.workflow import definitions, inbox, rows
from app.workflow.errors import WorkflowFailure
from app.workflow.sandbox import CURRENT_CALL
from app.workflow.serializer import deadline_of, dumps, loads

log = logging.getLogger(__name__)
NOTHING = {"timer": None, "messages": []}


def event(instance, kind: str, actor_id=None, task_key=None, **detail) -> None:
    """A history row through the ORM, for the rarer actions (claim, suspend, migrate...)."""
    db.session.add(ProcessEvent(instance_id=instance.id, kind=kind, actor_id=actor_id, task_key=task_key,
                                detail=detail or None))


def load(instance: ProcessInstance):
    spec, subprocess_specs = definitions.specs_for(instance.definition)
    workflow = loads(instance.state, spec, subprocess_specs)
    workflow.open_task_ids = _ready_ids(workflow)  # = the instance's open inbox rows
    return workflow


def _ready_ids(workflow) -> set[str]:
    return {str(t.id) for t in workflow.get_tasks(state=TaskState.READY, manual=True)}


def row_id(instance: ProcessInstance) -> int:
    """The instance's id; a new one is INSERTed now (without its state, which save()
    then writes) — only when a handler asks for it before the first save."""
    if instance.id is None:
        rows.insert_instance(instance)
    return instance.id


def run_step(instance, workflow, actor_id, step):
    """Runs `step(workflow)` with the handler context set; engine errors become WorkflowFailure."""
    instance_id = instance.id if instance.id is not None else (lambda: row_id(instance))
    token = CURRENT_CALL.set({"instance_id": instance_id, "process_key": instance.process_key,
                              "subject": dict(instance.subject or {}), "actor_id": actor_id})
    try:
        step(workflow)
    except (WorkflowFailure, Conflict, NotFound, RuleViolation):
        raise
    except Exception as error:  # a handler, script or condition failed
        log.exception("workflow %s instance %s failed", instance.process_key, instance.id)
        raise WorkflowFailure(_describe(error)) from error
    finally:
        CURRENT_CALL.reset(token)


def _describe(error: Exception) -> str:
    text = str(error).split("\n")[0] or error.__class__.__name__
    return f"{error.__class__.__name__}: {text}"[:1000]


def save(instance, workflow, completed=None, actor_id=None, form=None) -> list:
    """Writes the state (INSERTing a new instance, state included; else one versioned
    UPDATE), the history rows the step added (event()), inbox rows (`completed` closed with the `form`
    submitted), the timer row and message waits. Returns the messages the step threw,
    for the caller to route. The start, the completed tasks and the end are history
    without an event row of their own (app/workflow/history.py)."""
    now = utcnow()
    ready = workflow.get_tasks(state=TaskState.READY, manual=True)
    waiting = workflow.waiting_events()
    completed_at = instance.completed_at
    if workflow.is_completed():
        status, completed_at = "completed", now
    else:
        status = "running" if ready or not waiting else "waiting"
    old_waits = instance.waiting_for or NOTHING
    waits, deadline = _waits(waiting, status)
    values = {"state": dumps(workflow), "status": status, "waiting_for": waits, "updated_at": now,
              "completed_at": completed_at}
    new_instance = instance.id is None
    if not new_instance:
        # The timer row before anything else this step changed: the poller locks it before
        # it runs its step (timers.fire_due), so both take their locks in one order — timer
        # row, business rows, instance — and a consent racing its expiry cannot deadlock.
        with db.session.no_autoflush:
            _write_waits(instance.id, old_waits, waits, deadline)
    db.session.flush()  # what the caller changed through the ORM (the row's version too), before the instance
    close, opened, gone = inbox.changes(instance, getattr(workflow, "open_task_ids", set()), ready, completed,
                                        actor_id, now, getattr(workflow, "lane_candidates", {}), form)
    rows.write_step(instance, values, close, opened)
    inbox.withdraw(instance.id, gone, now)
    workflow.open_task_ids = {str(t.id) for t in ready}
    if new_instance:
        _write_waits(instance.id, old_waits, waits, deadline)
    return workflow.get_events()  # returns and clears: the caller routes them in this transaction


def _waits(waiting, status: str) -> tuple[dict, object]:
    """What the instance waits for ({"timer": iso|None, "messages": [names]}) and its earliest deadline."""
    if status in ("completed", "terminated"):
        return NOTHING, None
    deadlines = [d for e in waiting if "Timer" in e.event_type and (d := deadline_of(e.value)) is not None]
    names = sorted({e.name for e in waiting if e.event_type == "MessageEventDefinition"})
    deadline = min(deadlines) if deadlines else None
    return {"timer": deadline.isoformat() if deadline else None, "messages": names}, deadline


def _write_waits(instance_id: int, old: dict, new: dict, deadline) -> None:
    """The timer row and message-wait rows, touched only where what it waits for changed."""
    if new["timer"] != old["timer"]:
        this = WorkflowTimer.instance_id == instance_id
        if new["timer"] is None:
            db.session.execute(delete(WorkflowTimer).where(this))
        elif old["timer"] is None:
            db.session.add(WorkflowTimer(instance_id=instance_id, due_at=deadline))
        else:
            db.session.execute(update(WorkflowTimer).where(this).values(due_at=deadline))
    gone, added = set(old["messages"]) - set(new["messages"]), set(new["messages"]) - set(old["messages"])
    if gone:
        db.session.execute(delete(MessageWait).where(MessageWait.instance_id == instance_id,
                                                     MessageWait.message_name.in_(gone)))
    for name in sorted(added):
        db.session.add(MessageWait(instance_id=instance_id, message_name=name))


def disarm(instance, messages: bool = False) -> None:
    """Removes the timer row (and message waits): the instance wakes for nothing until
    a save re-arms it (resume, retry)."""
    db.session.execute(delete(WorkflowTimer).where(WorkflowTimer.instance_id == instance.id))
    if messages:
        db.session.execute(delete(MessageWait).where(MessageWait.instance_id == instance.id))
    old = instance.waiting_for or NOTHING
    instance.waiting_for = {"timer": None, "messages": [] if messages else old["messages"]}
