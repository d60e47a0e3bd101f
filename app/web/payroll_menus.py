"""工资支付编制's other three entries on a project (manual 004 四), each a list with 【查询】
(发放月份, 银行交换批次号, 状态) and pages:

- 【工资支付表编制】: the tables the user may see, 【新增编制】 (the PM of the GC or of a
  subcontractor), and each table's page for typing the amounts and 【提交审核】;
- 【工资支付表审核】: every batch of the project, 【查看详情】 opening its tables (【编制详情】),
  and 【生成汇总表】 for the GC PM alone;
- 【工资支付表推送银行】 (the GC's side): the batches whose summary was made, 【生成汇总文件】
  (the PDF as signed so far) and 【去签署】 for whoever's turn it is.

The first entry, 【银行交换批次号】, is payroll.home. Each action posts to the page that
does it (payroll_drafts, payroll_batches); these views list and offer, the services check.
"""
from datetime import timedelta

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import defer, selectinload

from app.extensions import db
from app.forms.payroll import DraftForm
from app.models import BankBatch, PayrollDraft, PayrollLine, Project
from app.models.payroll import EDITABLE_DRAFT
from app.services import payroll as service
from app.services import payroll_batch as batch_service
from app.services.calendar import today_in_shanghai
from app.services.errors import DomainError, Forbidden
from app.web import payroll_filters
from app.web.helpers import show_domain_error
from app.web.payroll import (BATCH_BADGES, BATCH_STATUS, DRAFT_BADGES, DRAFT_STATUS, MAX_ID, own_enterprises,
                             page_number, project_or_404, yuan)

bp = Blueprint("payroll_menus", __name__, url_prefix="/projects/<int:pid>/payroll")

SUMMARIZED = {key: label for key, label in BATCH_STATUS.items() if key != "open"}


def _page(query):
    return db.paginate(query, page=page_number(), per_page=payroll_filters.PER_PAGE, error_out=False)


def _batches(project: Project):
    return select(BankBatch).options(defer(BankBatch.document)).where(BankBatch.project_id == project.id)


def _totals(draft_ids) -> dict[int, tuple[int, int]]:
    """(people, net fen) per draft, summed by the database."""
    if not draft_ids:
        return {}
    return {draft_id: (people, int(net or 0)) for draft_id, people, net in db.session.execute(
        select(PayrollLine.draft_id, func.count(PayrollLine.id), func.sum(PayrollLine.net_fen))
        .where(PayrollLine.draft_id.in_(draft_ids)).group_by(PayrollLine.draft_id))}


def _draft_row(draft, totals, pm_of) -> dict:
    people, net = totals.get(draft.id, (0, 0))
    return {"id": draft.id, "batch": draft.batch, "enterprise": draft.enterprise.name, "people": people,
            "net": yuan(net), "status": DRAFT_STATUS.get(draft.status, draft.status),
            "badge": DRAFT_BADGES.get(draft.status, "text-bg-light"),
            "editable": draft.status in EDITABLE_DRAFT and draft.batch.status == "open" and draft.enterprise_id in pm_of}


# --- 【工资支付表编制】 ----------------------------------------------------------------------------

def _render_drafts(project: Project, draft_form=None, status=200):
    gc_side = service.is_gc_side(current_user, project)
    pm_of = service.pm_enterprises(current_user, project)
    names = {p.enterprise_id: p.enterprise.name for p in project.participants}
    filters = payroll_filters.read(DRAFT_STATUS)
    query = (select(PayrollDraft).join(BankBatch).where(BankBatch.project_id == project.id)
             .options(selectinload(PayrollDraft.batch).defer(BankBatch.document), selectinload(PayrollDraft.enterprise)))
    if not gc_side:  # a unit sees its own tables; the GC side every table of its project
        query = query.where(PayrollDraft.enterprise_id.in_(own_enterprises(current_user, project)))
    query = payroll_filters.on_batches(query, filters, PayrollDraft.status)
    page = _page(query.order_by(BankBatch.pay_month.desc(), BankBatch.attempt.desc(), PayrollDraft.id))
    totals = _totals([d.id for d in page.items])
    open_batches = db.session.scalars(_batches(project).where(BankBatch.status == "open")
                                      .order_by(BankBatch.pay_month.desc(), BankBatch.attempt)).all()
    draft_form = draft_form or DraftForm(formdata=None, pay_month=open_batches[0].pay_month if open_batches else "")
    return render_template(
        "payroll/drafts.html", project=project, gc_side=gc_side, page=page, filters=filters, statuses=DRAFT_STATUS,
        rows=[_draft_row(d, totals, pm_of) for d in page.items], draft_form=draft_form, open_batches=open_batches,
        pm_of=[(eid, names.get(eid, "")) for eid in pm_of]), 422 if filters.errors else status


@bp.route("/drafts")
@login_required
def drafts(pid: int):
    return _render_drafts(project_or_404(pid))


def _ids_in_range(form) -> bool:
    """Ids beyond any row's are refused here: SQLite overflows on them."""
    if form.batch_id.data > MAX_ID:
        form.batch_id.errors = [*form.batch_id.errors, gettext("请选择银行交换批次号")]
        return False
    if form.enterprise_id.data is not None and form.enterprise_id.data > MAX_ID:
        form.enterprise_id.errors = [*form.enterprise_id.errors, gettext("请选择编制单位")]
        return False
    return True


@bp.route("/drafts", methods=["POST"])
@login_required
def new_draft(pid: int):
    """【新增编制】: the PM of the GC or of a subcontractor picks the month and the batch;
    the draft is filled with the enterprise's people who signed in during the period."""
    project = project_or_404(pid)
    if not service.pm_enterprises(current_user, project):
        abort(403)
    form = DraftForm()
    if form.validate_on_submit() and _ids_in_range(form):
        try:
            draft = service.create_draft(current_user, project, form.batch_id.data, form.pay_month.data,
                                         form.enterprise_id.data)
            db.session.commit()
        except Forbidden:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("已生成工资支付表：%(num)d人，请填写应发工资和扣款", num=len(draft.lines)), "success")
            return redirect(url_for("payroll_drafts.draft", draft_id=draft.id))
    return _render_drafts(project, draft_form=form, status=422)


# --- 【工资支付表审核】 ----------------------------------------------------------------------------

def _review_row(batch, gc_side, mine, totals) -> dict:
    visible = [d for d in batch.drafts if gc_side or d.enterprise_id in mine]
    return {"batch": batch, "status": BATCH_STATUS.get(batch.status, batch.status),
            "badge": BATCH_BADGES.get(batch.status, "text-bg-light"), "draft_count": len(batch.drafts),
            "approved": sum(d.status == "approved" for d in batch.drafts),
            "drafts": [_draft_row(d, totals, ()) for d in visible]}


@bp.route("/review")
@login_required
def review(pid: int):
    project = project_or_404(pid)
    gc_side, gc_pm = service.is_gc_side(current_user, project), service.is_gc_pm(current_user, project)
    filters = payroll_filters.read(BATCH_STATUS)
    query = payroll_filters.on_batches(_batches(project), filters).options(
        selectinload(BankBatch.drafts).selectinload(PayrollDraft.enterprise))
    page = _page(query.order_by(BankBatch.pay_month.desc(), BankBatch.attempt.desc()))
    totals = _totals([d.id for b in page.items for d in b.drafts])
    mine = own_enterprises(current_user, project)
    # 【生成汇总表】's dialog for each open batch on this page: the GC PM's alone
    summarizable = {b.id: batch_service.units_without_table(b) for b in page.items if gc_pm and b.status == "open"}
    today = today_in_shanghai()
    return render_template(
        "payroll/review.html", project=project, gc_side=gc_side, gc_pm=gc_pm, page=page, filters=filters,
        statuses=BATCH_STATUS, rows=[_review_row(b, gc_side, mine, totals) for b in page.items],
        summarizable=summarizable, today=today,
        pay_date_max=today + timedelta(days=batch_service.PAY_DATE_WINDOW)), 422 if filters.errors else 200


# --- 【工资支付表推送银行】 --------------------------------------------------------------------------

def signing_turn(batch) -> str | None:
    """Whose signature the batch waits for: 'pm', 'enterprise', or None."""
    return {"summarized": "pm", "pm_signed": "enterprise"}.get(batch.status)


def may_sign_now(user, batch) -> bool:
    turn = signing_turn(batch)
    if turn == "pm":
        return service.is_gc_pm(user, batch.project)
    return turn == "enterprise" and batch_service.is_legal_rep(user, batch.project.gc_enterprise_id)


def push_row(batch) -> dict:
    """A summarized batch on a 工资支付表推送银行 list."""
    return {"batch": batch, "status": BATCH_STATUS.get(batch.status, batch.status),
            "badge": BATCH_BADGES.get(batch.status, "text-bg-light"), "turn": signing_turn(batch),
            "my_turn": may_sign_now(current_user, batch)}


@bp.route("/bank")
@login_required
def bank(pid: int):
    """The GC side's: the batches past 【生成汇总表】, with 【生成汇总文件】 and 【去签署】."""
    project = project_or_404(pid)
    if not service.is_gc_side(current_user, project):
        abort(403)
    filters = payroll_filters.read(SUMMARIZED)
    query = payroll_filters.on_batches(_batches(project).where(BankBatch.status != "open"), filters)
    page = _page(query.order_by(BankBatch.pay_month.desc(), BankBatch.attempt.desc()))
    return render_template(
        "payroll/bank.html", project=project, gc_side=True, page=page, filters=filters, statuses=SUMMARIZED,
        rows=[push_row(b) for b in page.items]), 422 if filters.errors else 200
