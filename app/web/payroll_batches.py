"""A bank exchange batch for the GC (DOMAIN §8, manual 四.4–6): its drafts, 【生成汇总表】,
the summary file (【生成汇总文件】), 【去签署】 — the GC PM first, then the GC enterprise
with its digital certificate — 推送银行 (待推送 / 已推送 / 推送失败, and 【重新推送】), the
bank's receipt per line and 【重新发送】.

The certificate and its password go to payroll_batch.sign for that one call and are
never stored; the flow (processes/payroll_batch.bpmn) checks the signatures and queues
the push, which the outbox delivers (app/services/bank_push.py).
"""
from datetime import timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.forms.outbox import RedeliverForm
from app.forms.payroll import SummaryForm
from app.services.calendar import today_in_shanghai
from app.forms.tasks import SignatureForm
from app.models import BankBatch, PayrollDraft, PayrollLine, User
from app.services import audit, bank_push, bank_settlement
from app.services import payroll as service
from app.services import payroll_batch as batch_service
from app.services.errors import DomainError, Forbidden
from app.web.helpers import show_domain_error
from app.web.outbox_status import describe
from app.web.payroll_menus import may_sign_now, signing_turn  # whose turn: one rule for every list
from app.web.payroll import (BATCH_BADGES, BATCH_STATUS, DRAFT_BADGES, DRAFT_STATUS, PAY_STATUS, batch_or_deny,
                             masked_id, page_number, yuan)
from app.workflow.errors import WorkflowFailure

bp = Blueprint("payroll_batches", __name__, url_prefix="/payroll/batches")

MAX_CERTIFICATE_BYTES = 64 * 1024  # a PKCS#12 file with its chain is a few kilobytes
SIGNED = ("signed", "pushed", "paid", "partially_paid")
PUSHED = ("pushed", "paid", "partially_paid")
RESULTS_PER_PAGE = 100




def _signer(user_id, at) -> dict | None:
    user = db.session.get(User, user_id) if user_id else None
    return {"name": user.name, "at": at} if user else None


def _common(batch) -> dict:
    """What the batch page and the signing page both show."""
    return {"batch": batch, "project": batch.project, "status_label": BATCH_STATUS.get(batch.status, batch.status),
            "badge": BATCH_BADGES.get(batch.status, "text-bg-light"), "turn": signing_turn(batch), "my_turn": may_sign_now(current_user, batch),
            "gc_pm": service.is_gc_pm(current_user, batch.project), "gc": batch.project.gc_enterprise,
            "pm_signer": _signer(batch.pm_signed_by_id, batch.pm_signed_at),
            "enterprise_signer": _signer(batch.enterprise_signed_by_id, batch.enterprise_signed_at),
            **_delivery(batch)}


def _delivery(batch) -> dict:
    """The push through the outbox once both signatures are in; `stuck` when they are
    but nothing was queued (the flow's step failed: an administrator retries it)."""
    message = bank_push.message_of(batch.id) if batch.status in SIGNED else None
    return {"delivery": describe(message), "stuck": batch.status == "signed" and message is None}


# --- the batch page ------------------------------------------------------------------------

def _draft_rows(batch) -> list[dict]:
    """Each draft with its head count and net total, summed by the database."""
    sums = {draft_id: (people, net or 0) for draft_id, people, net in db.session.execute(
        select(PayrollLine.draft_id, func.count(PayrollLine.id), func.sum(PayrollLine.net_fen))
        .join(PayrollDraft).where(PayrollDraft.batch_id == batch.id).group_by(PayrollLine.draft_id))}
    rows = []
    for d in batch.drafts:
        people, net = sums.get(d.id, (0, 0))
        rows.append({"id": d.id, "enterprise": d.enterprise.name, "people": people, "net_fen": net, "net": yuan(net),
                     "status": DRAFT_STATUS.get(d.status, d.status), "badge": DRAFT_BADGES.get(d.status, "")})
    return rows


def _results_page(batch):
    """The lines with the bank's answer, failures first, a page at a time."""
    query = (select(PayrollLine).join(PayrollDraft).where(PayrollDraft.batch_id == batch.id)
             .options(selectinload(PayrollLine.draft).selectinload(PayrollDraft.enterprise))
             .order_by(case((PayrollLine.pay_status == "failed", 0), else_=1), PayrollLine.id))
    page = db.paginate(query, page=page_number(), per_page=RESULTS_PER_PAGE, error_out=False)
    page.rows = [{"name": line.name, "id_number": masked_id(line.id_number), "enterprise": line.draft.enterprise.name,
                  "net": yuan(line.net_fen), "status": line.pay_status,
                  "status_label": PAY_STATUS.get(line.pay_status, gettext("待银行回执")),
                  "reason": line.pay_failure_reason or "", "resent": line.resent_in_batch_id} for line in page.items]
    return page


@bp.route("/<int:batch_id>")
@login_required
def batch(batch_id: int):
    batch = batch_or_deny(batch_id)
    drafts = _draft_rows(batch)
    follow_ups = db.session.scalars(select(BankBatch).where(BankBatch.parent_id == batch.id)
                                    .order_by(BankBatch.attempt)).all()
    return render_template(
        "payroll/batch.html", **_common(batch), drafts=drafts,
        all_approved=bool(batch.drafts) and all(d.status == "approved" for d in batch.drafts),
        total_net=yuan(sum(r["net_fen"] for r in drafts)),
        people=sum(r["people"] for r in drafts),
        results=_results_page(batch) if batch.status in PUSHED else None, pushed=batch.status in PUSHED,
        resendable=len(bank_settlement.resendable_lines(batch.id)) if batch.status in PUSHED else 0,
        parent=db.session.get(BankBatch, batch.parent_id) if batch.parent_id else None, follow_ups=follow_ups,
        has_document=batch.summarized_at is not None, today=today_in_shanghai(), redeliver_form=RedeliverForm(),
        without_table=batch_service.units_without_table(batch) if batch.status == "open" else [],
        pay_date_max=today_in_shanghai() + timedelta(days=batch_service.PAY_DATE_WINDOW))


@bp.route("/<int:batch_id>/summary", methods=["POST"])
@login_required
def summarize(batch_id: int):
    """【生成汇总表】 (GC PM only): refused until the GC has approved every draft, and
    while a unit whose workers signed in has no table and is not ticked in the dialog
    as left out of this period."""
    batch = batch_or_deny(batch_id)
    if not service.is_gc_pm(current_user, batch.project):
        abort(403)
    form = SummaryForm()
    if not form.validate():
        for message in (*form.pay_date.errors, *form.without.errors):
            flash(str(message), "danger")
        return redirect(url_for(".batch", batch_id=batch_id))
    try:
        batch_service.summarize(current_user, batch, form.pay_date.data, form.without.data)
        db.session.commit()
    except Forbidden:
        db.session.rollback()
        abort(403)
    except WorkflowFailure:  # the flow starts in this transaction: nothing was kept
        db.session.rollback()
        flash(gettext("生成汇总文件时出错，汇总表未生成，请稍后重试或联系管理员"), "danger")
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
    else:
        flash(gettext("已生成汇总表和汇总文件，请项目经理复核后【去签署】"), "success")
        if batch.left_out:
            flash(gettext("本期未纳入：%(units)s。已记录并印在汇总表上，并通知了这些单位。",
                          units="、".join(unit["name"] for unit in batch.left_out)), "warning")
    return redirect(url_for(".batch", batch_id=batch_id))


@bp.route("/<int:batch_id>/summary.pdf")
@login_required
def summary_pdf(batch_id: int):
    """The summary file as signed so far; it carries ID numbers, so each download is audited."""
    batch = batch_or_deny(batch_id)
    if batch.document is None:
        abort(404)
    audit.record(current_user, "payroll.download", "bank_batch", batch.id)
    db.session.commit()
    return Response(batch.document, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{batch.batch_no}.pdf"', "Cache-Control": "private, no-store"})


@bp.route("/<int:batch_id>/follow-up", methods=["POST"])
@login_required
def follow_up(batch_id: int):
    """【重新发送】: the lines the bank last said failed and no batch re-sent, in a new batch
    of the same month; with none, the service refuses and the page says why."""
    batch = batch_or_deny(batch_id)
    if not service.is_gc_pm(current_user, batch.project):
        abort(403)
    try:
        follow = bank_settlement.follow_up(current_user, batch)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return redirect(url_for(".batch", batch_id=batch_id))
    flash(gettext("已生成重新发送批次 %(no)s：请【生成汇总表】并签署后推送银行", no=follow.batch_no), "success")
    return redirect(url_for(".batch", batch_id=follow.id))


@bp.route("/<int:batch_id>/redeliver", methods=["POST"])
@login_required
def redeliver(batch_id: int):
    """【重新推送】 (GC PM): the stored transfer file and signed PDF go to the bank again —
    a failed push, or one the bank says it never got; refused once the bank has answered."""
    batch = batch_or_deny(batch_id)
    if not service.is_gc_pm(current_user, batch.project):
        abort(403)
    form = RedeliverForm()
    if not form.validate():
        for message in form.reason.errors:
            flash(str(message), "danger")
        return redirect(url_for(".batch", batch_id=batch_id))
    try:
        bank_push.redeliver(current_user, batch, form.reason.data)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
    else:
        flash(gettext("已重新加入待推送队列，系统将自动推送银行"), "success")
    return redirect(url_for(".batch", batch_id=batch_id))


# --- 【去签署】 -------------------------------------------------------------------------------

def _render_sign(batch, form, status=200):
    return render_template("payroll/sign.html", **_common(batch), form=form), status


@bp.route("/<int:batch_id>/sign", methods=["GET", "POST"])
@login_required
def sign(batch_id: int):
    batch = batch_or_deny(batch_id)
    form = SignatureForm()
    if not form.validate_on_submit():
        return _render_sign(batch, form, 422 if form.is_submitted() else 200)
    pkcs12 = form.certificate.data.read(MAX_CERTIFICATE_BYTES + 1)
    if len(pkcs12) > MAX_CERTIFICATE_BYTES:
        form.certificate.errors = [gettext("上传的文件不是含私钥的PKCS#12数字证书（.p12/.pfx）")]
        return _render_sign(batch, form, 422)
    return _sign_with(batch, form, pkcs12)


def _sign_with(batch, form, pkcs12: bytes):
    step = signing_turn(batch)
    try:
        batch_service.sign(current_user, batch, pkcs12, form.password.data)
    except WorkflowFailure:
        # The signature was committed first; the check or the queueing of the push after it
        # failed (never the bank: it is not called here).
        flash(gettext("签署已完成，但推送银行时出错，管理员将尽快处理"), "warning")
        return redirect(url_for(".batch", batch_id=batch.id))
    except DomainError as error:
        show_domain_error(form, error)
        if error.field and hasattr(form, error.field):
            flash(gettext("签署失败：%(reason)s", reason=gettext(error.message, **error.params)), "danger")
        db.session.expire_all()
        return _render_sign(db.session.get(BankBatch, batch.id), form, error.status)
    db.session.expire_all()
    batch = db.session.get(BankBatch, batch.id)
    if step == "pm":
        flash(gettext("项目经理签署完成，等待施工总包单位签署"), "success")
    elif batch.status in SIGNED:
        # the push is queued, never made inside this request: the outbox delivers it
        flash(gettext("施工总包单位签署完成，工资支付表已进入待推送队列，系统将自动推送银行"), "success")
    return redirect(url_for(".batch", batch_id=batch.id))
