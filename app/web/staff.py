"""人员管理: an enterprise's employees, 【新建聘用关系】, and one employment with its
history and the 【聘用登记】 button (the task itself is done on the inbox task page)."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required

from app.extensions import db
from app.forms.employment import HireForm
from app.models import Employment, Enterprise
from app.services import employment as employment_service
from app.services.errors import DomainError
from app.services.idcard import mask_id_number
from app.web.employment_labels import IDENTITY_LABELS, STATUS_BADGES, STATUS_LABELS
from app.web.helpers import paginate, require, visible_or_404, trade_name
from app.web.resignation_agreements import agreement_count

bp = Blueprint("staff", __name__, url_prefix="/enterprises/<int:eid>/staff")

EVENT_LABELS = {
    "started": _l("发起聘用申请"), "timer_fired": _l("确认期限已到，聘用申请过期"), "completed": _l("流程结束"),
    "claimed": _l("认领待办"), "unclaimed": _l("取消认领"), "error": _l("流程处理出错"),
    "retried": _l("管理员重试"), "suspended": _l("流程已挂起"), "resumed": _l("流程已恢复"),
    "terminated": _l("流程已终止"),
}
TASK_LABELS = {("worker_consent", "agree"): _l("本人同意聘用"), ("worker_consent", "reject"): _l("本人拒绝聘用"),
               ("employment_registration", None): _l("聘用登记")}


def _managed_enterprise(eid: int) -> Enterprise:
    """404 when the enterprise is not visible, 403 when the user does not hire for it."""
    enterprise = visible_or_404(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


def yuan(fen: int | None) -> str:
    return "" if fen is None else f"{fen // 100:,}.{fen % 100:02d}"


def _row(e: Employment) -> dict:
    """What the list and the detail page show of one employment (ID number masked)."""
    person = e.person
    return {
        "id": e.id, "person_id": e.person_id, "name": person.name, "status": e.status,
        "id_number": mask_id_number(person.id_number) if person.id_number else "",
        "status_label": STATUS_LABELS.get(e.status, e.status), "badge": STATUS_BADGES.get(e.status, "text-bg-light"),
        "identity": IDENTITY_LABELS.get(e.identity, "") if e.identity else "",
        "job_type": f"{e.job_type} {trade_name(e.job_type)}" if e.job_type else "",
        "contract_start": e.contract_start.isoformat() if e.contract_start else "",
        "wage_yuan": yuan(e.wage_standard_fen),
        "requested_at": e.requested_at, "started_at": e.started_at, "ended_at": e.ended_at,
        "end_reason": e.end_reason or "",
    }


@bp.route("/")
@login_required
def index(eid: int):
    enterprise = _managed_enterprise(eid)
    status = request.args.get("status", "")
    status = status if status in STATUS_LABELS else ""
    q = (request.args.get("q") or "").strip()[:64]
    page = paginate(employment_service.list_employees(enterprise, status=status or None, name=q or None))
    counts = employment_service.status_counts(enterprise)
    return render_template("staff/index.html", enterprise=enterprise, page=page,
                           rows=[_row(e) for e in page.items], status=status, q=q, counts=counts,
                           total=sum(counts.values()), status_labels=STATUS_LABELS,
                           agreements=agreement_count(current_user, enterprise))


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new(eid: int):
    enterprise = _managed_enterprise(eid)
    form, refusal = HireForm(), None
    if form.validate_on_submit():
        try:
            employment = employment_service.request_hire(current_user, enterprise, form.name.data,
                                                         form.id_number.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            refusal = gettext(error.message, **error.params)
        else:
            flash(gettext("已向%(name)s发送聘用确认，待本人在【消息通知】中同意后进行聘用登记。",
                          name=form.name.data), "success")
            return redirect(url_for(".detail", eid=eid, employment_id=employment.id))
    return render_template("staff/new.html", enterprise=enterprise, form=form, refusal=refusal)


def _history_rows(employment) -> list[dict]:
    rows = []
    for event in employment_service.history(employment):
        data = (event.detail or {}).get("data") or {}
        if event.kind == "task_completed":
            key = (event.task_key, data.get("decision") if event.task_key == "worker_consent" else None)
            label = TASK_LABELS.get(key, event.task_key)
        else:
            label = EVENT_LABELS.get(event.kind, event.kind)
        rows.append({"at": event.at, "label": label, "actor": event.actor.name if event.actor else "",
                     "note": data.get("comment") or ""})
    return rows


@bp.route("/<int:employment_id>")
@login_required
def detail(eid: int, employment_id: int):
    enterprise = _managed_enterprise(eid)
    employment = db.session.get(Employment, employment_id)
    if employment is None or employment.enterprise_id != enterprise.id:
        abort(404)
    return render_template("staff/detail.html", enterprise=enterprise, row=_row(employment),
                           consent_task=employment_service.open_task(employment, "worker_consent"),
                           registration_task=employment_service.open_task(employment, "employment_registration"),
                           history=_history_rows(employment))
