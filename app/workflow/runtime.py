"""Running instances: start, complete a task, fire timers, deliver messages, and the
administrator's suspend / resume / terminate / retry — each saved with its inbox rows,
timer row, message waits and history in the caller's transaction.

A failure inside the engine (a handler, script or condition) rolls the attempt back;
the instance is then marked `error` in a transaction of its own, with the attempted
action kept, so nothing is lost and an administrator can retry it.
"""
from contextlib import contextmanager
from uuid import UUID

from sqlalchemy import event as sql_events, inspect, or_, select, update
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.util.task import TaskState

from app.common.errors import Conflict, NotFound
from app.common.i18n import N_
from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.models.types import utcnow
from app.workflow import definitions, inbox, messages, saving
from app.workflow.errors import TaskConflict, WorkflowFailure
from app.workflow.registry import REGISTRY
# callers name these runtime.X: an instance's load, step and save are one concern with its actions
from app.workflow.saving import NOTHING, disarm, event, load, run_step  # noqa: F401
from app.workflow.serializer import new_workflow


def save(instance, workflow, completed=None, actor_id=None, form=None) -> None:
    """saving.save, and the messages the step threw delivered in the same transaction."""
    thrown = saving.save(instance, workflow, completed, actor_id, form)
    if thrown:
        messages.route(instance, thrown)


def _id_of(record):
    """A stored record's id without reading it again (it may be expired by a commit)."""
    state = inspect(record, raiseerr=False)
    if state is not None and state.identity:
        return state.identity[0]
    return getattr(record, "id", None)


@contextmanager
def _kept_loaded():
    """Records the session loads meanwhile stay in its identity map until the block
    ends (it holds them weakly), so a second get() of one finds it there."""
    session, kept = db.session(), []

    def keep(_session, record):
        kept.append(record)

    sql_events.listen(session, "loaded_as_persistent", keep)
    try:
        yield
    finally:
        sql_events.remove(session, "loaded_as_persistent", keep)


def start(process_key: str, subject: dict, actor=None, data: dict | None = None) -> ProcessInstance:
    """Starts the latest version of a process in the caller's transaction; the instance
    row is INSERTed once, with its state. A failure raises WorkflowFailure and the
    caller's transaction should be rolled back."""
    latest = definitions.latest_for_start(process_key)
    if latest is None:
        raise NotFound("流程不存在")
    spec, subprocess_specs = latest.specs
    actor_id, now = _id_of(actor), utcnow()
    with _kept_loaded():  # the person described is the person whose lane is resolved: read once
        subject_text = (REGISTRY.describe_subject(subject) or "")[:255]
        lane_candidates = inbox.fixed_candidates(latest.lanes, subject)
    instance = ProcessInstance(definition_id=latest.id, process_key=process_key, subject=subject,
                               subject_text=subject_text, status="running", started_by_id=actor_id,
                               waiting_for=NOTHING, state=None, error_message=None, pending_action=None,
                               created_at=now, updated_at=now, completed_at=None)
    workflow = new_workflow(spec, subprocess_specs)
    workflow.task_tree.data.update({**(data or {}), **subject})
    workflow.lane_candidates = lane_candidates
    run_step(instance, workflow, actor_id, lambda wf: wf.do_engine_steps())
    save(instance, workflow, actor_id=actor_id)  # its "started" is the row itself (history.py)
    return instance


def _ready_task(workflow, spiff_task_id: str):
    task = workflow.get_task_from_id(UUID(spiff_task_id))
    # task.run() does not check the state itself: a MAYBE or FUTURE task would be completed.
    if task is None or task.state != TaskState.READY:
        raise TaskConflict("该待办已处理或已撤回")
    return task


def complete(row: HumanTask, user, data: dict) -> ProcessInstance:
    """Completes a READY user task with validated data, and commits. Raises
    TaskConflict (409) when someone else got there first."""
    instance = row.instance
    if row.status != "open" or instance.status not in ("running", "waiting"):
        raise TaskConflict("该待办已处理或已撤回")
    if row.claimed_by_id not in (None, user.id):
        raise TaskConflict("该待办已被他人认领")
    attempt = {"kind": "complete", "human_task_id": row.id, "user_id": user.id, "data": data}
    return run_attempt(instance, attempt, lambda: _complete(instance, row, user.id, data))


def _complete(instance, row, user_id, data):
    workflow = load(instance)
    task = _ready_task(workflow, row.spiff_task_id)

    def step(wf):
        task.data.update(data)
        task.run()
        wf.do_engine_steps()

    run_step(instance, workflow, user_id, step)
    save(instance, workflow, completed=row, actor_id=user_id, form=data)


def claim(row: HumanTask, user) -> None:
    """Compare-and-set on the open row, so two candidates claiming at once cannot both win."""
    if not _set_claim(row, expected=(None, user.id), new=user.id):
        if row.status != "open":
            raise TaskConflict("该待办已处理或已撤回")
        raise TaskConflict("该待办已被他人认领")
    event(row.instance, "claimed", user.id, row.task_key)


def unclaim(row: HumanTask, user) -> None:
    if not _set_claim(row, expected=(user.id,), new=None):
        raise TaskConflict("您未认领该待办")
    event(row.instance, "unclaimed", user.id, row.task_key)


def _set_claim(row: HumanTask, expected: tuple, new) -> bool:
    holder = [HumanTask.claimed_by_id.is_(None) if value is None else HumanTask.claimed_by_id == value
              for value in expected]
    result = db.session.execute(update(HumanTask).where(HumanTask.id == row.id, HumanTask.status == "open",
                                                        or_(*holder)).values(claimed_by_id=new))
    db.session.refresh(row)
    return result.rowcount == 1


def fire_timers(instance: ProcessInstance) -> None:
    """Lets due timers of this instance fire (in the caller's transaction)."""
    workflow = load(instance)

    def step(wf):
        wf.refresh_timers()
        wf.do_engine_steps()

    run_step(instance, workflow, None, step)
    event(instance, "timer_fired")
    save(instance, workflow)


def run_attempt(instance, attempt: dict, work) -> ProcessInstance:
    """Runs and commits `work`; on an engine failure records the error separately."""
    instance_id = instance.id
    try:
        work()
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise TaskConflict("流程已被他人更新，请刷新后重试") from None
    except WorkflowFailure as failure:
        db.session.rollback()
        mark_error(instance_id, failure.reason, attempt)
        raise
    except Exception:
        db.session.rollback()
        raise
    return instance


def mark_error(instance_id: int, message: str, attempt: dict | None) -> None:
    """In a transaction of its own: the instance leaves every inbox until retried."""
    instance = db.session.get(ProcessInstance, instance_id)
    instance.status, instance.error_message, instance.pending_action = "error", message, attempt
    instance.updated_at = utcnow()
    inbox.set_visibility(instance_id, visible=False)
    event(instance, "error", attempt.get("user_id") if attempt else None, message=message,
          attempt=(attempt or {}).get("kind"))
    db.session.commit()


def suspend(instance, actor) -> None:
    if instance.status not in ("running", "waiting"):
        raise Conflict("只有运行中或等待中的流程可以挂起")
    instance.status = "suspended"
    inbox.set_visibility(instance.id, visible=False)
    disarm(instance)
    event(instance, "suspended", actor.id)


def resume(instance, actor) -> None:
    if instance.status != "suspended":
        raise Conflict("只有已挂起的流程可以恢复")
    workflow = load(instance)
    inbox.set_visibility(instance.id, visible=True)
    event(instance, "resumed", actor.id)
    save(instance, workflow)  # recomputes status and the timer row; overdue timers fire on the next poll


NOT_TERMINABLE = N_("流程“%(process_key)s”未声明终止后其业务记录如何处理，不能终止")


def terminate(instance, actor, reason: str) -> None:
    """An administrator ends the instance and, as its process declares (the registry's
    terminations), the business record it is about — both in the caller's transaction,
    so a terminated instance never leaves its record waiting for a flow that is gone."""
    if instance.status in ("completed", "terminated"):
        raise Conflict("流程已结束")
    termination = REGISTRY.terminations.get(instance.process_key)
    if termination is None:
        raise Conflict(NOT_TERMINABLE, process_key=instance.process_key)
    termination.end(dict(instance.subject or {}), actor, reason)
    end_flow(instance, actor, reason)


def end_flow(instance, actor, reason: str) -> None:
    """Ends the instance alone: for a service that settles its record itself (a person
    withdrawing a resignation), and for terminate once the record is settled."""
    if instance.status in ("completed", "terminated"):
        raise Conflict("流程已结束")
    instance.status, instance.completed_at = "terminated", utcnow()
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                          HumanTask.status.in_(("open", "suspended")))):
        row.status, row.completed_at = "withdrawn", utcnow()
    disarm(instance, messages=True)
    event(instance, "terminated", getattr(actor, "id", None), reason=reason)


def retry(instance, actor) -> ProcessInstance:
    """Replays the action that failed (a completion, a timer, a message) and commits."""
    if instance.status != "error":
        raise Conflict("只有出错的流程可以重试")
    attempt = instance.pending_action or {}
    instance.status, instance.error_message, instance.pending_action = "running", None, None
    inbox.set_visibility(instance.id, visible=True)
    event(instance, "retried", actor.id, attempt=attempt.get("kind"))
    kind = attempt.get("kind")
    if kind == "complete":
        row = db.session.get(HumanTask, attempt["human_task_id"])
        return run_attempt(instance, attempt, lambda: _complete(instance, row, attempt["user_id"], attempt["data"]))
    if kind == "message":
        return run_attempt(instance, attempt, lambda: messages.deliver(instance, attempt["message"]))
    return run_attempt(instance, {"kind": "timer"}, lambda: fire_timers(instance))
