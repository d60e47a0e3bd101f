"""项目人员管理 on site: 人员分配 by the PM, 待同意分配人数, 同意, the roster."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.forms.tasks import ApprovalForm, task_data
from app.models import Allocation, HumanTask, Project, RoleGrant
from app.services import allocation as service
from app.services import roles
from app.services.errors import DomainError
from app.web import allocation as common
from app.web.helpers import visible_or_404
from app.workflow import inbox, runtime
from app.workflow.errors import TaskConflict, WorkflowFailure

bp = Blueprint("site", __name__, url_prefix="/projects/<int:pid>/site")

PROCESS_KEY = "allocation_confirmation"
BULK_LIMIT = 100
ROLE_ORDER = ("project_manager", "worker", "site_operator")


def _project(pid: int) -> Project:
    """Project staff only: anyone else gets a 404."""
    return visible_or_404(Project, pid, "project.view")


def _pm_enterprise_ids(project: Project) -> list[int]:
    """The participants on whose behalf the user is PM on this project."""
    participants = {p.enterprise_id for p in project.participants}
    return sorted({g.enterprise_id for g in current_user.grants if g.role == roles.PROJECT_MANAGER
                   and g.project_id == project.id and g.enterprise_id in participants})


def _participants(project: Project) -> list:
    """The GC first, then subcontractors in the order they joined."""
    return sorted(project.participants, key=lambda p: (p.kind != "general_contractor", p.id))


# --- the overview ----------------------------------------------------------------------

def _roster_groups(project: Project) -> list[dict]:
    """The roster grouped by enterprise (participants' order), then role."""
    by_enterprise: dict[int, dict[str, list]] = {}
    designated = set(db.session.scalars(select(RoleGrant.user_id).where(
        RoleGrant.project_id == project.id, RoleGrant.role == roles.PROJECT_MANAGER)))
    for a in service.roster(project):
        by_enterprise.setdefault(a.enterprise_id, {}).setdefault(a.role, []).append({
            # a PM replaced by another stays on the roster until exited (【确认退场】)
            "replaced_pm": a.role == roles.PROJECT_MANAGER and a.person.user_id not in designated,
            "id": a.id, "name": a.person.name, "id_number": common.masked(a.person),
            "job_type": common.job_label(a.job_type), "status": a.status,
            "status_label": common.STATUS_LABELS.get(a.status, a.status),
            "badge": common.STATUS_BADGES.get(a.status, "text-bg-light"),
            "allocated_at": a.allocated_at})
    groups = []
    for participant in _participants(project):
        roles_of = by_enterprise.get(participant.enterprise_id, {})
        groups.append({
            "participant": participant, "total": sum(len(v) for v in roles_of.values()),
            "roles": [(role, common.ROLE_LABELS[role], roles_of[role]) for role in ROLE_ORDER if roles_of.get(role)]
            + [(role, role, people) for role, people in roles_of.items() if role not in ROLE_ORDER]})
    return groups


@bp.route("/")
@login_required
def overview(pid: int):
    project = _project(pid)
    pending = service.allocations_pending_for(current_user, project)
    groups = _roster_groups(project)
    can_receive = any(g.project_id == project.id and g.role in (roles.PROJECT_MANAGER, roles.SITE_OPERATOR)
                      for g in current_user.grants)  # 项目人员接收: level 1, by the unit's PM or site operator
    return render_template("site/overview.html", project=project, groups=groups, pending=pending,
                           pending_total=sum(pending.values()), managers=common.manager_names(project),
                           can_receive=can_receive,
                           kind_labels=common.KIND_LABELS, can_allocate=bool(_pm_enterprise_ids(project)))


# --- 待同意分配人数 → 同意 / 不同意 -----------------------------------------------------------

def _my_pending_tasks(project: Project) -> list[HumanTask]:
    """My open allocation_confirmation tasks for this project, oldest allocation first."""
    query = inbox.my_tasks(current_user, process_key=PROCESS_KEY).where(HumanTask.candidate_project_id == project.id)
    rows = db.session.scalars(query.order_by(None).order_by(HumanTask.created_at, HumanTask.id)).all()
    return [row for row in rows if (row.subject or {}).get("project_id") == project.id]


def _enterprise_filter() -> int | None:
    value = request.values.get("enterprise_id", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 9 else None


def _allocations_of(tasks) -> dict[int, Allocation]:
    ids = {(t.subject or {}).get("allocation_id") for t in tasks} - {None}
    if not ids:
        return {}
    return {a.id: a for a in db.session.scalars(
        select(Allocation).where(Allocation.id.in_([i for i in ids if isinstance(i, int)])))}


def _task_rows(tasks, allocations) -> list[dict]:
    rows = []
    for t in tasks:
        a = allocations.get((t.subject or {}).get("allocation_id"))
        claimed_by_other = t.claimed_by_id not in (None, current_user.id)
        rows.append({
            "task": t, "allocation": a, "name": a.person.name if a else (t.subject_text or t.title),
            "id_number": common.masked(a.person) if a else "",
            "enterprise": a.enterprise.name if a else "",
            "role": common.ROLE_LABELS.get(a.role, a.role) if a else "",
            "job_type": common.job_label(a.job_type) if a else "",
            "status_label": common.STATUS_LABELS.get(a.status, "") if a else "",
            "badge": common.STATUS_BADGES.get(a.status, "text-bg-light") if a else "",
            "selectable": t.form_key == "approval" and not claimed_by_other,
            "claimed_by_other": claimed_by_other})
    return rows


@bp.route("/pending", methods=["GET", "POST"])
@login_required
def pending(pid: int):
    project = _project(pid)
    enterprise_id = _enterprise_filter()
    if request.method == "POST":
        _bulk(project)
        return redirect(url_for(".pending", pid=pid, enterprise_id=enterprise_id))
    tasks = _my_pending_tasks(project)
    counts: dict[int, int] = {}
    for t in tasks:
        eid = t.subject.get("enterprise_id")
        counts[eid] = counts.get(eid, 0) + 1
    if enterprise_id is not None:
        tasks = [t for t in tasks if t.subject.get("enterprise_id") == enterprise_id]
    participants = [p for p in _participants(project) if p.enterprise_id in counts]
    return render_template("site/pending.html", project=project, rows=_task_rows(tasks, _allocations_of(tasks)),
                           enterprise_id=enterprise_id, counts=counts, participants=participants,
                           total=sum(counts.values()))


def _selected_task_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("task_ids"):
        if value.isascii() and value.isdigit() and len(value) <= 9 and int(value) not in ids:
            ids.append(int(value))
    return ids


def _agree_summary(decision: str, done: int, failed: int) -> str:
    if decision == "agree":
        return gettext("已同意 %(done)d 人，%(failed)d 人处理失败", done=done, failed=failed)
    return gettext("已不同意 %(done)d 人，%(failed)d 人处理失败", done=done, failed=failed)


def _bulk(project: Project, summary=_agree_summary, task_key: str | None = None) -> None:
    """【同意】 / 【不同意】 (or 【接收】 / 【不接收】) the ticked allocations; each is checked and
    completed on its own. `task_key` keeps a page to its own kind of task (level 1 only)."""
    ids = _selected_task_ids()
    if not ids:
        flash(gettext("请先勾选要处理的人员。"), "warning")
        return
    if len(ids) > BULK_LIMIT:
        flash(gettext("一次最多处理%(num)d人，请分批操作。", num=BULK_LIMIT), "warning")
        return
    form = ApprovalForm(formdata=MultiDict({"decision": request.form.get("decision", ""),
                                            "comment": request.form.get("comment", "")}), meta={"csrf": False})
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return
    data = task_data(form)
    done, failed = 0, []
    for task_id in ids:
        problem = _complete_one(project, task_id, data, task_key)
        if problem is None:
            done += 1
        else:
            failed.append(problem)
    flash(summary(data["decision"], done, len(failed)), "warning" if failed else "success")
    for message in failed[:10]:
        flash(message, "danger")
    if len(failed) > 10:
        flash(gettext("另有 %(num)d 项失败未列出", num=len(failed) - 10), "danger")


def _complete_one(project: Project, task_id: int, data: dict, task_key: str | None = None) -> str | None:
    """Completes one confirmation task; returns why it failed, or None."""
    row = db.session.get(HumanTask, task_id)
    if (row is None or row.process_key != PROCESS_KEY or (row.subject or {}).get("project_id") != project.id
            or (task_key is not None and row.task_key != task_key) or not inbox.is_candidate(current_user, row)):
        return gettext("待办 #%(id)d：不存在或无权处理", id=task_id)
    allocation = _allocations_of([row]).get(row.subject.get("allocation_id"))
    label = allocation.person.name if allocation else (row.subject_text or f"#{row.id}")
    if row.form_key != "approval":
        return gettext("%(task)s：不是审批类待办，请逐条处理", task=label)
    try:
        runtime.complete(row, current_user, data)
    except TaskConflict:
        db.session.rollback()
        db.session.refresh(row)
        if row.status == "open" and row.claimed_by_id not in (None, current_user.id):
            return gettext("%(task)s：%(reason)s", task=label, reason=gettext("该待办已被他人认领"))
        return gettext("%(task)s：%(reason)s", task=label, reason=gettext("该待办已被处理或撤回"))
    except WorkflowFailure:
        return gettext("%(task)s：已提交，但后续流程处理出错，管理员将尽快处理", task=label)
    except DomainError as error:
        db.session.rollback()
        return gettext("%(task)s：%(reason)s", task=label, reason=gettext(error.message, **error.params))
    return None


# --- 人员分配 (site side) -----------------------------------------------------------------

@bp.route("/allocate", methods=["GET", "POST"])
@login_required
def allocate(pid: int):
    """The enterprise's PM on the project allocates its own people: role → people → 【确认】."""
    project = _project(pid)
    mine = _pm_enterprise_ids(project)
    if not mine:
        abort(403)
    wanted = _enterprise_filter()
    enterprise_id = wanted if wanted in mine else mine[0]
    enterprise = next(p.enterprise for p in project.participants if p.enterprise_id == enterprise_id)
    role = common.chosen_role()
    job_type = common.chosen_job_type(role)
    results = common.run_allocation(project, role, job_type) if request.method == "POST" else None
    candidates = common.candidate_rows(service.allocatable(enterprise, project, role)) if role else []
    return render_template("site/allocate.html", project=project, enterprise=enterprise,
                           other_enterprises=[p.enterprise for p in project.participants
                                              if p.enterprise_id in mine and p.enterprise_id != enterprise_id],
                           role=role, job_type=job_type, candidates=candidates, results=results,
                           role_labels=common.ROLE_LABELS, role_hints=common.ROLE_HINTS,
                           job_types=common.WORKER_JOB_TYPES, job_label=common.job_label(job_type))


from app.web import site_receive  # noqa: E402  (项目人员接收 builds on the helpers above)

bp.register_blueprint(site_receive.bp)
