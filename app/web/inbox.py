"""The inbox pages: 【消息通知】 for workers, 待办事项 for staff — the user's open tasks,
one task's page with its form and diagram, claiming, and bulk approval."""
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from app.extensions import db
from app.forms.tasks import PAGE_FORMS, ApprovalForm, task_data
from app.models import HumanTask, ProcessDefinition
from app.models.types import utcnow
from app.services.errors import DomainError
from app.services.roles import PLATFORM_ROLES
from app.workflow import inbox, runtime
from app.workflow.errors import TaskConflict, WorkflowFailure
from app.workflow.registry import REGISTRY
from app.web import task_details  # the dismissal's reason, initiator and time
from app.web.diagram_labels import display_xml, translated
from app.web.helpers import paginate
from app.web.subject_names import subject_rows
from app.web.payroll import task_handoff as payroll_handoff

bp = Blueprint("inbox", __name__, url_prefix="/inbox")

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DUE_CHOICES = ("overdue", "1", "3", "7")
BULK_LIMIT = 100
MAX_ID = 2**31 - 1  # larger ids cannot exist, and SQLite overflows on them
TASK_STATUS_LABELS = {"open": _l("待处理"), "suspended": _l("流程已暂停"), "completed": _l("已处理"),
                      "withdrawn": _l("已撤回")}


# --- helpers the navigation uses -------------------------------------------------------

def is_staff(user) -> bool:
    """Anyone holding a role (platform, enterprise or project) is staff; workers hold none."""
    return bool(user.grants)


def inbox_title(user) -> str:
    """消息通知 as the manuals call it (企业端 【人员管理】→【消息通知】, the worker's
    【聘用信息】→【消息通知】); 待办事项 only for the platform's own staff."""
    platform = any(grant.role in PLATFORM_ROLES for grant in user.grants)
    return gettext("待办事项") if platform else gettext("消息通知")


def open_task_count(user) -> int:
    """The navbar badge: one COUNT over the inbox query, at most once per request."""
    cache = g.setdefault("_open_task_count", {})
    if user.id not in cache:
        query = inbox.my_tasks(user).order_by(None).with_only_columns(func.count(HumanTask.id))
        cache[user.id] = db.session.scalar(query) or 0
    return cache[user.id]


def process_names(keys) -> dict[str, str]:
    """process_key → the name of its latest deployed version (the key when it has none)."""
    keys = set(keys)
    names = {key: key for key in keys}
    if keys:
        rows = db.session.execute(select(ProcessDefinition.key, ProcessDefinition.name)
                                  .where(ProcessDefinition.key.in_(keys)).order_by(ProcessDefinition.version))
        for key, name in rows:
            if name:
                names[key] = gettext(name)  # ordered by version: the latest wins; in the user's language
    return names


def has_diagram(xml: str) -> bool:
    """True when the definition carries graphical information (a bpmndi:BPMNDiagram)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
    try:
        tree = etree.fromstring(xml.encode("utf-8"), parser)
    except (etree.XMLSyntaxError, ValueError):
        return False
    return bool(tree.findall(f".//{{{BPMNDI}}}BPMNDiagram/{{{BPMNDI}}}BPMNPlane"))


def _my_task(task_id: int) -> HumanTask:
    """A task the user is a candidate for; anything else is 404 (not theirs to see)."""
    row = inbox.task_with_instance(task_id) if task_id <= MAX_ID else None
    if row is None or not inbox.is_candidate(current_user, row):
        abort(404)
    return row


# --- the list --------------------------------------------------------------------------

def _list_filters() -> dict:
    args = request.args
    due = args.get("due", "")
    return {
        "process": (args.get("process") or "").strip()[:64],
        "q": (args.get("q") or "").strip()[:50],
        "due": due if due in DUE_CHOICES else "",
        "order": "due" if args.get("order") == "due" else "created",
    }


def _due_before(due: str):
    if not due:
        return None
    now = utcnow()
    return now if due == "overdue" else now + timedelta(days=int(due))


@bp.route("/")
@login_required
def index():
    filters = _list_filters()
    query = inbox.my_tasks(current_user, process_key=filters["process"] or None, text=filters["q"] or None,
                           due_before=_due_before(filters["due"]), order=filters["order"])
    page = paginate(query.options(selectinload(HumanTask.claimed_by)))
    counts = inbox.counts_by_process(current_user)
    names = process_names([*counts, *(row.process_key for row in page.items)])
    pills = sorted(counts.items(), key=lambda item: (-item[1], names.get(item[0], item[0])))
    link_args = {key: value for key, value in filters.items() if value and (key, value) != ("order", "created")}
    return render_template("inbox/index.html", page=page, filters=filters, pills=pills, total=sum(counts.values()),
                           names=names, now=utcnow(), title=inbox_title(current_user), link_args=link_args,
                           all_args={key: value for key, value in link_args.items() if key != "process"})


@bp.route("/bulk", methods=["POST"])
@login_required
def bulk():
    """Agree or refuse several approval tasks at once; each is checked and completed on its own."""
    back = redirect(url_for(".index", **_kept_filters()))
    ids = _selected_ids()
    if not ids:
        flash(gettext("请先勾选要处理的审批待办。"), "warning")
        return back
    form = ApprovalForm(formdata=MultiDict({"decision": request.form.get("decision", ""),
                                            "comment": request.form.get("comment", "")}), meta={"csrf": False})
    if not form.validate():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return back
    data = task_data(form)
    done, failed = 0, []
    for task_id in ids:
        problem = _complete_one(task_id, data)
        if problem is None:
            done += 1
        else:
            failed.append(problem)
    _flash_bulk_result(done, failed)
    return back


def _kept_filters() -> dict:
    """The list's filters, posted back by the bulk form so the user returns to the same view."""
    kept = {key: request.form.get(key, "").strip()[:64] for key in ("process", "q", "due", "order", "page")}
    return {key: value for key, value in kept.items() if value}


def _selected_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("task_ids"):
        if value.isdigit() and len(value) <= 12 and int(value) not in ids:
            ids.append(int(value))
    return ids[:BULK_LIMIT]


def _complete_one(task_id: int, data: dict) -> str | None:
    """Completes one approval task; returns why it failed, or None."""
    row = inbox.task_with_instance(task_id) if task_id <= MAX_ID else None
    if row is None or not inbox.is_candidate(current_user, row):
        return gettext("待办 #%(id)d：不存在或无权查看", id=task_id)
    label = gettext("待办 #%(id)d「%(title)s」", id=row.id, title=translated(row.title))
    if row.form_key != "approval":
        return gettext("%(task)s：不是审批类待办，请逐条处理", task=label)
    try:
        runtime.complete(row, current_user, data)
    except TaskConflict:
        return gettext("%(task)s：%(reason)s", task=label, reason=_conflict_message(row))
    except WorkflowFailure:
        return gettext("%(task)s：已提交，但后续流程处理出错，管理员将尽快处理", task=label)
    except DomainError as error:
        db.session.rollback()
        return gettext("%(task)s：%(reason)s", task=label, reason=gettext(error.message, **error.params))
    return None


def _flash_bulk_result(done: int, failed: list[str]) -> None:
    summary = gettext("%(done)d 项已处理，%(failed)d 项失败", done=done, failed=len(failed))
    flash(summary, "warning" if failed else "success")
    for message in failed[:10]:
        flash(message, "danger")
    if len(failed) > 10:
        flash(gettext("另有 %(num)d 项失败未列出", num=len(failed) - 10), "danger")


def _claimed_by_another(row: HumanTask) -> bool:
    """After a lost completion: True when someone else holds the task, False when it is
    no longer open (processed or withdrawn meanwhile)."""
    db.session.rollback()
    db.session.refresh(row)
    return row.status == "open" and row.claimed_by_id not in (None, current_user.id)


def _conflict_message(row: HumanTask) -> str:
    return gettext("该待办已被他人认领") if _claimed_by_another(row) else gettext("该待办已被处理或撤回")


# --- one task --------------------------------------------------------------------------

def _task_form(row: HumanTask):
    form_class = PAGE_FORMS.get(row.form_key) or REGISTRY.forms.get(row.form_key)
    return form_class() if form_class is not None else None


@bp.route("/<int:task_id>", methods=["GET", "POST"])
@login_required
def task(task_id: int):
    row = _my_task(task_id)
    handoff = payroll_handoff(row)  # payroll tasks done on their own pages, never with the generic form
    form = None if handoff and handoff["replaces_form"] else _task_form(row)
    if request.method == "POST":
        if handoff and handoff["replaces_form"]:
            flash(handoff["text"], "info")
            return redirect(handoff["url"])
        if form is None:
            flash(gettext("该待办的表单暂不可用，请联系管理员。"), "danger")
            return redirect(url_for(".task", task_id=row.id))
        if row.status != "open":
            flash(gettext("该待办已被处理或撤回"), "warning")
            return redirect(url_for(".index"))
        if form.validate_on_submit():
            return _complete_from_page(row, form)
    definition = row.instance.definition
    return render_template("inbox/task.html", task=row, form=form, now=utcnow(), title=inbox_title(current_user),
                           process_name=process_names([row.process_key])[row.process_key],
                           subject_rows=subject_rows(row.subject),
                           status_label=TASK_STATUS_LABELS.get(row.status), handoff=handoff,
                           dismissal=task_details.dismissal_facts(row),
                           show_diagram=has_diagram(definition.bpmn_xml))


def _complete_from_page(row: HumanTask, form):
    try:
        runtime.complete(row, current_user, task_data(form))
    except TaskConflict:
        if _claimed_by_another(row):
            flash(gettext("该待办已被他人认领"), "warning")
            return redirect(url_for(".task", task_id=row.id))
        flash(gettext("该待办已被处理或撤回"), "warning")
        return redirect(url_for(".index"))
    except WorkflowFailure:
        flash(gettext("已提交，但后续流程处理出错，管理员将尽快处理"), "warning")
        return redirect(url_for(".index"))
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return redirect(url_for(".task", task_id=row.id))
    # A task form may name its own outcome, e.g. 聘用登记 → "聘用成功".
    flash(str(getattr(form, "success_message", "") or gettext("已处理")), "success")
    return redirect(url_for(".index"))


@bp.route("/<int:task_id>/claim", methods=["POST"])
@login_required
def claim(task_id: int):
    return _claim_action(_my_task(task_id), runtime.claim, gettext("已认领，其他人暂时不能处理该待办。"))


@bp.route("/<int:task_id>/unclaim", methods=["POST"])
@login_required
def unclaim(task_id: int):
    return _claim_action(_my_task(task_id), runtime.unclaim, gettext("已取消认领。"))


def _claim_action(row: HumanTask, action, success: str):
    try:
        action(row, current_user)
        db.session.commit()
    except TaskConflict as conflict:
        db.session.rollback()
        flash(gettext(conflict.message, **conflict.params), "warning")
        return redirect(url_for(".index") if row.status != "open" else url_for(".task", task_id=row.id))
    flash(success, "success")
    return redirect(url_for(".task", task_id=row.id))


@bp.route("/<int:task_id>/diagram.bpmn")
@login_required
def diagram(task_id: int):
    """The instance's own definition version, for the viewer on the task page."""
    row = _my_task(task_id)
    response = Response(display_xml(row.instance.definition.bpmn_xml), mimetype="application/xml")
    # Opened directly, an XML document may run embedded script: serve it inert.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
