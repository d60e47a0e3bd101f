"""工资支付编制 (DOMAIN §8, manual 004 四): its first entry, 【银行交换批次号】 — the
project's payroll home with 【设置月工资结算日期】, 【新增银行交换批次号】 and the batches,
with 【查询】 — and what the other payroll pages share: status labels, who may see a
draft, the inbox's hand-off to these pages.

The other three entries (工资支付表编制, 工资支付表审核, 工资支付表推送银行) are in
payroll_menus.py, the draft page in payroll_drafts.py, the batch and signing pages in
payroll_batches.py, the enterprise-wide 工资支付表推送银行 in enterprise_payroll.py, the
worker's 工资条 in payroll_wages.py. The rules are app/services/payroll*.py: these
views choose what to offer and the services check again.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy.orm import defer

from app.extensions import db
from app.forms.payroll import BatchForm, SettlementDayForm
from app.models import BankBatch, PayrollDraft, Project
from app.services import payroll as service
from app.services import roles
from app.services.calendar import today_in_shanghai
from app.services.errors import DomainError
from app.services.idcard import mask_id_number
from app.services.payroll_pdf import format_yuan
from app.web import payroll_filters
from app.web.helpers import show_domain_error, visible_or_404

bp = Blueprint("payroll", __name__)

MAX_ID = 2**31 - 1  # larger ids cannot exist, and SQLite overflows on them

BATCH_STATUS = {"open": _l("编制中"), "summarized": _l("已生成汇总表，待项目经理签署"),
                "pm_signed": _l("项目经理已签署，待施工总包单位签署"), "signed": _l("已签署，待推送银行"),
                "pushed": _l("已推送银行"), "paid": _l("已发放"), "partially_paid": _l("部分发放失败")}
BATCH_BADGES = {"open": "text-bg-secondary", "summarized": "text-bg-info", "pm_signed": "text-bg-info",
                "signed": "text-bg-warning", "pushed": "text-bg-primary", "paid": "text-bg-success",
                "partially_paid": "text-bg-danger"}
DRAFT_STATUS = {"drafting": _l("编制中"), "sub_review": _l("待分包单位审核"), "gc_review": _l("待施工总包审核"),
                "approved": _l("审核通过"), "returned": _l("已退回")}
DRAFT_BADGES = {"drafting": "text-bg-secondary", "sub_review": "text-bg-info", "gc_review": "text-bg-info",
                "approved": "text-bg-success", "returned": "text-bg-danger"}
PAY_STATUS = {"paid": _l("已发放"), "failed": _l("发放失败")}
MONTH_END_LABEL = _l("月末")


# --- shared by the payroll pages ------------------------------------------------------------

def yuan(fen) -> str:
    """Fen as yuan; int() because PostgreSQL's SUM of a bigint column is a numeric (Decimal)."""
    return "—" if fen is None else format_yuan(int(fen))


def masked_id(id_number: str | None) -> str:
    try:
        return mask_id_number(id_number) if id_number else "—"
    except ValueError:
        return "—"


def page_number() -> int:
    """?page= as a positive number small enough for any OFFSET."""
    return min(max(request.args.get("page", 1, type=int), 1), 100_000)


def settlement_label(day: str | None) -> str:
    if not day:
        return gettext("未设置")
    return gettext("月末") if day == service.MONTH_END else gettext("每月%(day)s日", day=day)


def project_or_404(pid: int) -> Project:
    """The project's staff only: anyone else gets a 404, as on the other project pages."""
    return visible_or_404(Project, pid, "project.view") if pid <= MAX_ID else abort(404)


def record_or_404(model, record_id: int):
    record = db.session.get(model, record_id) if record_id <= MAX_ID else None
    if record is None:
        abort(404)
    return record


def own_enterprises(user, project) -> set[int]:
    """The enterprises whose drafts on this project the user may see: where they are
    legal rep / HR, or PM on this project."""
    return {g.enterprise_id for g in user.grants
            if (g.role in roles.ENTERPRISE_ROLES and g.project_id is None)
            or (g.role == roles.PROJECT_MANAGER and g.project_id == project.id)}


def may_see_draft(user, draft) -> bool:
    project = draft.batch.project
    return service.is_gc_side(user, project) or draft.enterprise_id in own_enterprises(user, project)


def draft_or_deny(draft_id: int) -> PayrollDraft:
    """404 when absent or the project is not the user's; 403 when the project is, the draft not."""
    draft = record_or_404(PayrollDraft, draft_id)
    project_or_404(draft.project_id)
    if not may_see_draft(current_user, draft):
        abort(403)
    return draft


def batch_or_deny(batch_id: int) -> BankBatch:
    """The batch pages are the GC's: 404 outside the project, 403 for its other staff."""
    batch = record_or_404(BankBatch, batch_id)
    project_or_404(batch.project_id)
    if not service.may_see_batch(current_user, batch):
        abort(403)
    return batch


def task_handoff(row) -> dict | None:
    """Payroll tasks the inbox must not complete with its generic form: the signatures
    (only the signing page may sign) and 修改后重新提交 (only resubmitting the draft may).
    For the reviews, a link to the draft beside the approval form."""
    subject = row.subject or {}
    if row.process_key == "payroll_batch" and row.form_key == "signature" and subject.get("batch_id"):
        return {"url": url_for("payroll_batches.sign", batch_id=subject["batch_id"]), "label": gettext("去签署"),
                "text": gettext("请在签署页面上传数字证书完成签署。"), "replaces_form": True}
    if row.process_key == "payroll" and subject.get("draft_id"):
        url = url_for("payroll_drafts.draft", draft_id=subject["draft_id"])
        if row.task_key == "revise":
            return {"url": url, "label": gettext("修改工资支付表"), "replaces_form": True,
                    "text": gettext("工资支付表已被退回：请在编制页面修改后点击【提交审核】重新提交。")}
        return {"url": url, "label": gettext("编制详情"), "replaces_form": False,
                "text": gettext("审核前请先查看工资支付表明细。")}
    return None


# --- the project's payroll home ------------------------------------------------------------

def _month_choices() -> list[str]:
    """Pay months offered for a new batch: the current month in Shanghai and the two before
    and after; the field also takes any other YYYY-MM typed in."""
    today = today_in_shanghai()
    months = []
    for shift in range(-2, 3):
        index = today.year * 12 + today.month - 1 + shift
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return months


def _batch_rows(project: Project, batches) -> list[dict]:
    gc_side = service.is_gc_side(current_user, project)
    mine = own_enterprises(current_user, project)
    rows = []
    for b in batches:
        left_out = b.left_out or []  # 本期未纳入: the GC side sees every unit, a unit its own notice
        rows.append({"batch": b, "left_out": [u for u in left_out if gc_side or u["enterprise_id"] in mine],
                     "status": BATCH_STATUS.get(b.status, b.status),
                     "badge": BATCH_BADGES.get(b.status, "text-bg-light"), "draft_count": len(b.drafts)})
    return rows


def _left_out_notices(project: Project) -> list[dict]:
    """Batches that left one of the user's units out (本期未纳入), whatever the filters."""
    mine = own_enterprises(current_user, project)
    batches = db.session.scalars(db.select(BankBatch).options(defer(BankBatch.document)).where(
        BankBatch.project_id == project.id, BankBatch.left_out.is_not(None)).order_by(BankBatch.pay_month.desc())).all()
    return [{"batch": b, "units": [u["name"] for u in b.left_out if u["enterprise_id"] in mine]}
            for b in batches if any(u["enterprise_id"] in mine for u in b.left_out or [])]


def _render_home(project: Project, day_form=None, batch_form=None, status=200):
    """【银行交换批次号】: the settlement day, 【新增银行交换批次号】 and the batches, with 【查询】."""
    filters = payroll_filters.read(BATCH_STATUS)
    query = payroll_filters.on_batches(db.select(BankBatch).options(defer(BankBatch.document)).where(
        BankBatch.project_id == project.id), filters).order_by(BankBatch.pay_month.desc(), BankBatch.attempt.desc())
    page = db.paginate(query, page=page_number(), per_page=payroll_filters.PER_PAGE, error_out=False)
    day_form = day_form or SettlementDayForm(formdata=None, settlement_day=project.settlement_day or "")
    batch_form = batch_form or BatchForm(formdata=None, pay_month=today_in_shanghai().strftime("%Y-%m"))
    return render_template(
        "payroll/home.html", project=project, gc_pm=service.is_gc_pm(current_user, project),
        gc_side=service.is_gc_side(current_user, project), page=page, rows=_batch_rows(project, page.items),
        filters=filters, statuses=BATCH_STATUS, notices=_left_out_notices(project),
        settlement=settlement_label(project.settlement_day), day_form=day_form, batch_form=batch_form,
        months=_month_choices(), month_end=service.MONTH_END), 422 if filters.errors else status


@bp.route("/projects/<int:pid>/payroll")
@login_required
def home(pid: int):
    return _render_home(project_or_404(pid))


@bp.route("/projects/<int:pid>/payroll/settlement-day", methods=["POST"])
@login_required
def settlement_day(pid: int):
    """【设置月工资结算日期】 (GC PM)."""
    project = project_or_404(pid)
    if not service.is_gc_pm(current_user, project):
        abort(403)
    form = SettlementDayForm()
    if form.validate_on_submit():
        try:
            service.set_settlement_day(current_user, project, form.settlement_day.data)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("月工资结算日期已设置为%(day)s", day=settlement_label(project.settlement_day)), "success")
            return redirect(url_for(".home", pid=pid))
    return _render_home(project, day_form=form, status=422)


@bp.route("/projects/<int:pid>/payroll/batches", methods=["POST"])
@login_required
def new_batch(pid: int):
    """【新增银行交换批次号】: the GC PM picks the pay month, the system issues the number."""
    project = project_or_404(pid)
    if not service.is_gc_pm(current_user, project):
        abort(403)
    form = BatchForm()
    if form.validate_on_submit():
        try:
            batch = service.create_batch(current_user, project, form.pay_month.data)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("已生成银行交换批次号 %(no)s（发放月份 %(month)s）", no=batch.batch_no,
                          month=batch.pay_month), "success")
            return redirect(url_for(".home", pid=pid))
    return _render_home(project, batch_form=form, status=422)
