"""One instance in the process monitor: its diagram (done and current tasks marked),
history, task data (ID numbers masked), pending timers and inbox rows, and the
administrator's actions — each a confirmed POST, audited, in one transaction."""
import json

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from SpiffWorkflow.util.task import TaskState

from app.extensions import db
from app.forms.monitor import ActionForm, ReassignForm
from app.forms.processes import TerminateForm
from app.models import HumanTask, ProcessInstance, User
from app.models.types import utcnow
from app.services import accounts, audit
from app.services.errors import DomainError
from app.web import monitor_queries as queries, subject_names
from app.web.diagram_labels import translated
from app.web.inbox import has_diagram, process_names
from app.web.monitor import MAX_ID, bp, latest_definitions
from app.workflow import history, migration, repair, runtime
from app.workflow.errors import WorkflowFailure
from app.workflow.registry import REGISTRY

HISTORY_LIMIT = 500
ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED
EVENT_LABELS = {
    "started": _l("发起"), "task_completed": _l("完成任务"), "claimed": _l("认领"),
    "unclaimed": _l("取消认领"), "timer_fired": _l("定时器触发"), "message_sent": _l("发送消息"),
    "message_received": _l("收到消息"), "error": _l("出错"), "retried": _l("重试"), "suspended": _l("挂起"),
    "resumed": _l("恢复"), "terminated": _l("终止"), "completed": _l("结束"), "migrated": _l("迁移版本"),
    "reassigned": _l("改派"),
}


def _instance(instance_id: int) -> ProcessInstance:
    instance = db.session.get(ProcessInstance, instance_id) if instance_id <= MAX_ID else None
    if instance is None:
        abort(404)
    return instance


@bp.route("/instances/<int:instance_id>")
def instance(instance_id: int):
    record = _instance(instance_id)
    workflow = runtime.load(record)
    latest = latest_definitions().get(record.process_key)
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == record.id,
                                                      HumanTask.status.in_(("open", "suspended")))
                              .order_by(HumanTask.id)).all()
    events = history.of(record, limit=HISTORY_LIMIT, newest_first=True)
    verdict = migration.check(record) if latest and latest.version > record.definition.version else None
    return render_template(
        "monitor/instance.html", instance=record, latest=latest, rows=rows, events=events,
        process_name=process_names([record.process_key])[record.process_key],
        markers=_markers(workflow), data=_task_data(workflow), timers=_timers(workflow),
        verdict=verdict, candidates=_candidates(rows),
        event_labels=EVENT_LABELS, show_diagram=has_diagram(record.definition.bpmn_xml),
        now=utcnow(), terminate_form=TerminateForm(), reassign_form=ReassignForm(),
        termination=REGISTRY.terminations.get(record.process_key))


def _markers(workflow) -> dict:
    """Element ids to mark on the diagram: completed and current."""
    done, active = set(), set()
    for task in workflow.get_tasks():
        bpmn_id = task.task_spec.bpmn_id
        if not bpmn_id:
            continue
        if task.state & ACTIVE:
            active.add(bpmn_id)
        elif task.state == TaskState.COMPLETED:
            done.add(bpmn_id)
    return {"done": json.dumps(sorted(done - active)), "active": json.dumps(sorted(active))}


def _task_data(workflow) -> list[tuple[str, str]]:
    """(task name, its data as masked JSON) for each current task; the final data when ended."""
    current = [t for t in workflow.get_tasks(state=ACTIVE) if t.task_spec.bpmn_id]
    if not current:
        last = workflow.data or (workflow.last_task.data if workflow.last_task else {})
        return [(gettext("流程数据"), _pretty(last))] if last else []
    return [(translated(migration.task_label(t.task_spec)), _pretty(t.data)) for t in current]


def _pretty(data) -> str:
    return json.dumps(queries.masked(data), ensure_ascii=False, indent=2, sort_keys=True, default=str)


def _timers(workflow) -> list[dict]:
    return [{"id": str(t.id), "name": translated(migration.task_label(t.task_spec)), "due_at": repair.deadline_of(t)}
            for t in repair.waiting_timers(workflow)]


def _candidates(rows) -> dict[int, str]:
    """Who may act on each open row, in words."""
    user_ids = {r.candidate_user_id for r in rows if r.candidate_user_id} | {r.claimed_by_id for r in rows
                                                                              if r.claimed_by_id}
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(user_ids or [-1])))}
    names = subject_names.names_for({"enterprise_id": r.candidate_enterprise_id, "project_id": r.candidate_project_id}
                                    for r in rows)
    described = {}
    for row in rows:
        if row.candidate_user_id:
            user = users.get(row.candidate_user_id)
            described[row.id] = f"{user.name}（{user.username}）" if user else gettext("（已删除）")
            continue
        lane = REGISTRY.lanes.get(row.candidate_role)
        text = gettext(lane.label) if lane and lane.label else (row.candidate_role or "")
        scope = subject_names.scope_words(row.candidate_enterprise_id, row.candidate_project_id, names)
        described[row.id] = " · ".join([text, *scope])
    return described


# --- actions ---------------------------------------------------------------------------

def _back(record):
    return redirect(url_for(".instance", instance_id=record.id))


def _refused(record, error: DomainError):
    db.session.rollback()
    flash(gettext(error.message, **error.params), "danger")
    return _back(record)


def _checked(form) -> bool:
    if form.validate_on_submit():
        return True
    for errors in form.errors.values():
        for message in errors:
            flash(str(message), "danger")
    return False


@bp.route("/instances/<int:instance_id>/<any(suspend, resume):action>", methods=["POST"])
def change_state(instance_id: int, action: str):
    record = _instance(instance_id)
    if not _checked(ActionForm()):
        return _back(record)
    try:
        getattr(runtime, action)(record, current_user)
    except DomainError as error:
        return _refused(record, error)
    audit.record(current_user, f"process.{action}", "process_instance", record.id)
    db.session.commit()
    flash(gettext("流程已挂起。") if action == "suspend" else gettext("流程已恢复。"), "success")
    return _back(record)


@bp.route("/instances/<int:instance_id>/terminate", methods=["POST"])
def terminate(instance_id: int):
    record = _instance(instance_id)
    form = TerminateForm()
    if not _checked(form):
        return _back(record)
    try:
        runtime.terminate(record, current_user, form.reason.data)
    except DomainError as error:
        return _refused(record, error)
    audit.record(current_user, "process.terminate", "process_instance", record.id, reason=form.reason.data)
    db.session.commit()
    flash(gettext("流程已终止。"), "success")
    return _back(record)


@bp.route("/instances/<int:instance_id>/retry", methods=["POST"])
def retry(instance_id: int):
    record = _instance(instance_id)
    if not _checked(ActionForm()):
        return _back(record)
    audit.record(current_user, "process.retry", "process_instance", record.id)  # committed with the retry
    try:
        runtime.retry(record, current_user)
    except WorkflowFailure:
        flash(gettext("重试仍然失败，原因见本实例的错误信息。"), "danger")  # logged by runtime.run_step
        return _back(record)
    except DomainError as error:
        return _refused(record, error)
    flash(gettext("已重试，流程继续运行。"), "success")
    return _back(record)


@bp.route("/instances/<int:instance_id>/migrate", methods=["POST"])
def migrate(instance_id: int):
    record = _instance(instance_id)
    if not _checked(ActionForm()):
        return _back(record)
    try:
        verdict = migration.migrate(record, current_user)
    except DomainError as error:
        return _refused(record, error)
    audit.record(current_user, "process.migrate", "process_instance", record.id, from_version=verdict.from_version,
                 to_version=verdict.target.version)
    db.session.commit()
    flash(gettext("已迁移到第 %(version)d 版。", version=verdict.target.version), "success")
    return _back(record)


@bp.route("/instances/<int:instance_id>/timers/<timer_id>/fire", methods=["POST"])
def fire_timer(instance_id: int, timer_id: str):
    record = _instance(instance_id)
    if not _checked(ActionForm()):
        return _back(record)
    audit.record(current_user, "process.fire_timer", "process_instance", record.id, timer=timer_id[:36])
    try:
        repair.fire_timer_now(record, current_user, timer_id[:36])
    except WorkflowFailure:
        flash(gettext("定时器已触发，但后续处理出错，原因见本实例的错误信息。"), "danger")
        return _back(record)
    except DomainError as error:
        return _refused(record, error)
    flash(gettext("定时器已触发。"), "success")
    return _back(record)


@bp.route("/tasks/<int:task_id>/reassign", methods=["POST"])
def reassign(task_id: int):
    row = db.session.get(HumanTask, task_id) if task_id <= MAX_ID else None
    if row is None:
        abort(404)
    record = row.instance
    form = ReassignForm()
    if not _checked(form):
        return _back(record)
    user = accounts.find_user(form.username.data)
    try:
        repair.reassign(row, user, current_user)
    except DomainError as error:
        return _refused(record, error)
    audit.record(current_user, "process.reassign", "human_task", row.id, instance_id=record.id,
                 to_user_id=user.id)
    db.session.commit()
    flash(gettext("已改派给 %(name)s。", name=user.name), "success")
    return _back(record)
