"""An administrator's repairs beside suspend / resume / terminate / retry (runtime):
hand a waiting task to a named user, and fire a waiting timer now.

Both touch the instance row (its `updated_at`), so its optimistic lock bumps and a
completion racing with the repair gets a 409 rather than a silent overwrite.
"""
from datetime import timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.models import HumanTask
from app.models.types import utcnow
from app.common.errors import Conflict, NotFound
from app.common.i18n import N_
from app.workflow import runtime, serializer
from app.workflow.migration import task_label


def reassign(row: HumanTask, user, actor) -> None:
    """The task's candidate becomes this one user (in the caller's transaction): it
    leaves the lane's inboxes and appears in the user's; any claim is dropped."""
    instance = row.instance
    if row.status not in ("open", "suspended") or instance.status in ("completed", "terminated"):
        raise Conflict(N_("该待办已处理或已撤回"))
    if user is None or not user.is_active:
        raise NotFound(N_("该用户不存在或已停用"), field="username")
    if row.candidate_user_id == user.id and row.candidate_role is None:
        raise Conflict(N_("该待办已指派给此用户"), field="username")
    if row.candidate_excluded_user_id == user.id:  # four eyes hold against an administrator too
        raise Conflict(N_("该用户不能处理此待办：审核的是其本人编制的内容"), field="username")
    before = {"role": row.candidate_role, "enterprise_id": row.candidate_enterprise_id,
              "project_id": row.candidate_project_id, "user_id": row.candidate_user_id,
              "claimed_by_id": row.claimed_by_id}
    row.candidate_role = row.candidate_enterprise_id = row.candidate_project_id = None
    row.candidate_user_id, row.claimed_by_id = user.id, None
    instance.updated_at = utcnow()
    runtime.event(instance, "reassigned", actor.id, row.task_key, to_user_id=user.id,
                  to_username=user.username, before=before)


def waiting_timers(workflow) -> list:
    """The WAITING timer tasks of a loaded workflow, with their deadline (ISO text)."""
    timers = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        definition = getattr(task.task_spec, "event_definition", None)
        if isinstance(definition, TimerEventDefinition):
            timers.append(task)
    return timers


def deadline_of(task):
    return serializer.deadline_of(task.internal_data.get("event_value"))


def fire_timer_now(instance, actor, spiff_task_id: str):
    """Moves one waiting timer's deadline to now and lets it fire, and commits. An
    engine failure puts the instance in error (retry then fires what is due)."""
    if instance.status not in ("running", "waiting"):
        raise Conflict(N_("只有运行中或等待中的流程可以触发定时器"))

    def work():
        workflow = runtime.load(instance)
        task = next((t for t in waiting_timers(workflow) if str(t.id) == spiff_task_id), None)
        if task is None:
            raise Conflict(N_("该定时器已触发或已取消"))
        _expire(task)

        def step(wf):
            wf.refresh_timers()
            wf.do_engine_steps()

        runtime.run_step(instance, workflow, actor.id, step)
        runtime.event(instance, "timer_fired", actor.id, task.task_spec.bpmn_id, manual=True,
                      timer=task_label(task.task_spec))
        runtime.save(instance, workflow, actor_id=actor.id)

    return runtime.run_attempt(instance, {"kind": "timer"}, work)


def _expire(task) -> None:
    """Sets the stored deadline a moment in the past (a cycle timer: its next tick)."""
    past = (utcnow() - timedelta(seconds=1)).isoformat()
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):
        value["next"] = past
    else:
        task.internal_data["event_value"] = past

