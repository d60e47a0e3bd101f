"""The invariants that must hold between process instances, their inbox rows and their
timer rows, whatever happened (races, crashes): used by the concurrency and crash tests."""
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from app.extensions import db
from app.models import HumanTask, ProcessInstance, WorkflowTimer
from app.workflow import runtime

ENDED = ("completed", "terminated")


def inconsistencies(instance_ids=None) -> list[str]:
    """Every instance (or those given) checked against its rows; [] when all is well."""
    query = select(ProcessInstance).order_by(ProcessInstance.id)
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(list(instance_ids)))
    problems = []
    for instance in db.session.scalars(query):
        problems += _check(instance)
    orphans = db.session.scalars(select(HumanTask.id).where(
        HumanTask.status == "open", ~HumanTask.instance_id.in_(select(ProcessInstance.id)))).all()
    problems += [f"open task {t} without an instance" for t in orphans]
    return problems


def _check(instance) -> list[str]:
    name = f"instance {instance.id} ({instance.process_key}, {instance.status})"
    open_rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                           HumanTask.status.in_(("open", "suspended")))).all()
    timer = db.session.get(WorkflowTimer, instance.id)
    if instance.status in ENDED:
        problems = [f"{name}: task {t.task_key} still {t.status}" for t in open_rows]
        if timer is not None:
            problems.append(f"{name}: timer row left at {timer.due_at}")
        return problems
    workflow = runtime.load(instance)
    ready = {str(t.id): t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.READY, manual=True)}
    rows = {t.spiff_task_id: t.task_key for t in open_rows}
    problems = []
    if ready != rows:
        problems.append(f"{name}: READY user tasks {sorted(ready.values())} but open inbox rows {sorted(rows.values())}")
    if instance.status in ("running", "waiting"):
        if any(t.status != "open" for t in open_rows):
            problems.append(f"{name}: a suspended task on a live instance")
        waits_for_timer = any("Timer" in e.event_type for e in workflow.waiting_events())
        if waits_for_timer and timer is None:
            problems.append(f"{name}: waits for a timer but has no timer row (it would never fire)")
        if not waits_for_timer and timer is not None:
            problems.append(f"{name}: a timer row but no waiting timer")
    return problems
