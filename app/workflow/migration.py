"""Moving running instances to the latest version of their process.

SpiffWorkflow 3.2.0 aligns two specs (`SpecDiff`: by element id, then by position for
the rest) and re-points a workflow's tasks (`migrate_workflow`). What it does not
decide is whether a move is safe; that is here: an instance moves only when it is
running or waiting and every current task (READY, WAITING, STARTED) is still the same
element of the same kind in the new version. Spiff also aligns a removed task with a
new one that sits in the same place — that is a different task to the people waiting
at it, so it is refused too.

`migrate_workflow` resets the current tasks, which forgets timer deadlines: a timer
whose definition did not change keeps its deadline; a changed one starts afresh.
"""
from dataclasses import dataclass, field
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.common.errors import Conflict
from app.common.i18n import N_
from app.workflow import definitions, inbox, runtime
from app.workflow.serializer import SERIALIZER

CURRENT = TaskState.READY | TaskState.WAITING | TaskState.STARTED
MOVABLE_STATUSES = ("running", "waiting")
STATUS_REASONS = {
    "suspended": N_("流程已挂起，请先恢复"),
    "error": N_("流程出错，请先重试或终止"),
    "completed": N_("流程已结束"),
    "terminated": N_("流程已终止"),
}


@dataclass
class Verdict:
    """Whether one instance can move; reasons and notes are (msgid, params) pairs."""

    instance: ProcessInstance
    target: object  # the ProcessDefinition moved to, or None when there is none
    from_version: int = 0
    reasons: list = field(default_factory=list)  # why it cannot move
    notes: list = field(default_factory=list)  # what moving will change

    @property
    def can_move(self) -> bool:
        return not self.reasons


@dataclass
class _Plan:
    diffs: list  # (workflow or sub-workflow, its WorkflowDiff, its new spec)
    kept: dict  # task id → (data, internal data or None): what the reset would forget


def task_label(spec) -> str:
    return spec.bpmn_name or spec.bpmn_id or spec.name


def check(instance: ProcessInstance, target=None) -> Verdict:
    """The dry run for one instance: nothing is changed."""
    verdict, _, _ = _examine(instance, target)
    return verdict


def _examine(instance, target):
    target = target or definitions.latest(instance.process_key)
    verdict = Verdict(instance, target, instance.definition.version)
    if target is None or target.version <= instance.definition.version:
        verdict.reasons.append((N_("已是最新版本"), {}))
        return verdict, None, None
    if instance.status not in MOVABLE_STATUSES:
        verdict.reasons.append((STATUS_REASONS.get(instance.status, N_("流程状态不允许迁移")), {}))
        return verdict, None, None
    workflow = runtime.load(instance)
    spec, dependencies = definitions.specs_for(target)
    top, sub_diffs = diff_workflow(SERIALIZER.registry, workflow, spec, dependencies)
    diffs = [(workflow, top, spec)]
    for sub_id, sub_diff in sub_diffs.items():
        sub = workflow.subprocesses[sub_id]
        if sub_diff is None:
            verdict.reasons.append((N_("子流程「%(name)s」在新版本中已删除"), {"name": sub.spec.name}))
        else:
            diffs.append((sub, sub_diff, dependencies[sub.spec.name]))
    kept = {}
    for owner, diff, _ in diffs:
        for task in owner.get_tasks(state=CURRENT, skip_subprocesses=True):
            keep_timer = _judge(task, diff, verdict)
            kept[task.id] = (dict(task.data), dict(task.internal_data) if keep_timer else None)
    return verdict, workflow, _Plan(diffs, kept)


def _judge(task, diff, verdict) -> bool:
    """Adds the reasons a current task blocks the move and notes of what will change;
    True when the task waits for a timer (or message) whose definition is unchanged."""
    old = task.task_spec
    new = diff.alignment.get(task)
    name = task_label(old)
    if task in diff.removed or new is None:
        verdict.reasons.append((N_("当前任务「%(task)s」在新版本中已删除"), {"task": name}))
        return False
    if new.name != old.name:
        verdict.reasons.append((N_("当前任务「%(task)s」在新版本中已删除（该位置现为「%(new)s」）"),
                                {"task": name, "new": task_label(new)}))
        return False
    changes = set(_changes(old, new))
    if "typename" in changes:
        verdict.reasons.append((N_("当前任务「%(task)s」在新版本中类型已改变"), {"task": name}))
        return False
    if "lane" in changes:
        verdict.notes.append((N_("任务「%(task)s」改由「%(lane)s」办理"), {"task": name, "lane": new.lane or ""}))
    if "event_definition" in changes and task.state == TaskState.WAITING:
        verdict.notes.append((N_("「%(task)s」的等待条件已改变，将从迁移时起重新计时"), {"task": name}))
        return False
    return task.state == TaskState.WAITING


def _changes(old, new) -> list[str]:
    """The serialized attributes that differ (as SpiffWorkflow's SpecDiff compares them)."""
    old_dict, new_dict = SERIALIZER.registry.convert(old), SERIALIZER.registry.convert(new)
    if old_dict.get("typename") != new_dict.get("typename"):
        return ["typename"]
    return [key for key, value in old_dict.items() if new_dict.get(key) != value]


def migrate(instance: ProcessInstance, actor, target=None) -> Verdict:
    """Moves one instance in the caller's transaction; raises Conflict when it cannot."""
    verdict, workflow, plan = _examine(instance, target)
    if not verdict.can_move:
        message, params = verdict.reasons[0]
        raise Conflict(message, **params)
    for owner, diff, spec in plan.diffs:
        migrate_workflow(diff, owner, spec)
    _, workflow.subprocess_specs = definitions.specs_for(verdict.target)
    for task_id, (data, internal_data) in plan.kept.items():
        task = _find(workflow, task_id)
        if task is None:
            continue
        task.data = data  # the reset copies the parent's data; keep the task's own
        if internal_data is not None and task.state == TaskState.WAITING:
            task.internal_data = internal_data  # the deadline it had, not one counted from now
    instance.definition = verdict.target
    runtime.save(instance, workflow)
    _refresh_rows(instance, workflow)
    runtime.event(instance, "migrated", getattr(actor, "id", None), from_version=verdict.from_version,
                  to_version=verdict.target.version)
    return verdict


def _refresh_rows(instance, workflow) -> None:
    """Open inbox rows take the new version's title, form, lane and deadline; a changed
    lane means new candidates (and the claim is dropped); an unchanged one keeps them,
    including an administrator's reassignment."""
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.status.in_(("open", "suspended"))))
    for row in rows:
        task = _find(workflow, UUID(row.spiff_task_id))
        if task is None:
            continue
        spec = task.task_spec
        row.title = (spec.bpmn_name or spec.bpmn_id)[:200]
        row.form_key, row.task_key, row.due_at = inbox.form_key_of(task), spec.bpmn_id, inbox.due_at(task)
        if spec.lane != row.lane:
            row.lane, row.claimed_by_id = spec.lane, None
            inbox.set_candidate(row, inbox.resolve(spec.lane, instance.subject))

def _find(workflow, task_id):
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


# --- many at once ----------------------------------------------------------------------

def outdated(process_key: str):
    """A select() of the instances of a process not on its latest version and not ended."""
    latest = definitions.latest(process_key)
    query = select(ProcessInstance).where(ProcessInstance.process_key == process_key,
                                          ProcessInstance.status.not_in(("completed", "terminated")))
    if latest is not None:
        query = query.where(ProcessInstance.definition_id != latest.id)
    return query.order_by(ProcessInstance.id)


def migrate_many(instance_ids, actor, on_moved) -> list[tuple[int, bool, tuple]]:
    """Moves each instance in a transaction of its own, so one refusal stops none of
    the others; `on_moved(instance, verdict)` adds the caller's audit entry to that
    transaction. Returns (id, moved, (msgid, params)) per instance."""
    results = []
    for instance_id in instance_ids:
        instance = db.session.get(ProcessInstance, instance_id)
        if instance is None:
            results.append((instance_id, False, (N_("记录不存在"), {})))
            continue
        try:
            verdict = migrate(instance, actor)
            on_moved(instance, verdict)
            db.session.commit()
        except Conflict as refusal:
            db.session.rollback()
            results.append((instance_id, False, (refusal.message, refusal.params)))
            continue
        except StaleDataError:
            db.session.rollback()
            results.append((instance_id, False, (N_("流程已被他人更新，请刷新后重试"), {})))
            continue
        results.append((instance_id, True, (N_("已迁移到第 %(version)d 版"), {"version": verdict.target.version})))
    return results

