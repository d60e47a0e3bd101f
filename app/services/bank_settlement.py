"""The bank's answer to a pushed payroll batch (DOMAIN §8): its receipts, and 【重新发送】
(补发), a follow-up batch for the lines it could not pay. Money moves once:

- a receipt is kept by the bank's own receipt id, under a unique key: the same receipt
  again — replayed, or two copies at once — changes nothing;
- a paid line is final: a receipt that says a paid line failed is refused whole (409);
- only lines whose last word from the bank is `failed`, and that no other batch re-sent,
  are re-sent.

Whoever writes a batch's lines (a receipt, a re-send) first locks the batch row (FOR
UPDATE on PostgreSQL; SQLite has one writer at a time) and then reads the lines afresh,
so two writers at once each see what the other did. Callers commit.
"""
import logging

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BankBatch, BankReceipt, PayrollDraft, PayrollLine
from app.models.types import utcnow
from app.services import audit, bank, notices
from app.services.bank_receipts import Receipt
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_
from app.services.payroll import is_gc_pm
from app.services.payroll_batch import NOT_GC_PM

RECEIPT_UNKNOWN = N_("回执对应的批次不存在")
NOT_PUSHED = N_("该批次尚未推送银行")
LINES_UNKNOWN = N_("回执中有不属于该批次转账文件的明细：%(ids)s")
PAID_IS_FINAL = N_("回执称已支付的明细支付失败：%(ids)s。已支付的明细不能再改为失败，本回执未被接受")
NOTHING_TO_RESEND = N_("该批次没有可重新发送的人员：只有银行回执为支付失败、且尚未重新发送的人员才能重新发送")

PUSHED = ("pushed", "paid", "partially_paid")
SHOWN_IDS = 10  # ids named in a refusal; the rest are in the log

log = logging.getLogger(__name__)


# --- the receipt ------------------------------------------------------------------------------

def record_receipt(receipt: Receipt) -> BankBatch:
    """Marks each line the receipt names paid or failed, once per receipt id; returns the
    batch with its status. Refusals (404/409/422) change nothing."""
    recorded = _batch_of_receipt(receipt.receipt_id)
    if recorded is not None:
        log.info("bank receipt %s already recorded; nothing changes", receipt.receipt_id)
        return recorded
    batch = _locked(BankBatch.batch_no == receipt.batch_no)
    if batch is None or receipt.message_id != bank.message_id_for(batch.batch_no, batch.attempt):
        raise NotFound(RECEIPT_UNKNOWN)
    recorded = _batch_of_receipt(receipt.receipt_id)  # a copy may have committed while we waited for the lock
    if recorded is not None:
        return recorded
    if batch.status not in PUSHED:
        raise Conflict(NOT_PUSHED)
    lines = {str(line.id): line for line in _lines(batch.id) if (line.net_fen or 0) > 0}  # the credits of the file
    _refuse_contradictions(receipt, lines)

    # The receipt's row first, so a copy that did not wait on the lock fails here, before any change.
    db.session.add(BankReceipt(receipt_id=receipt.receipt_id, batch_id=batch.id, kind=receipt.kind))
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        return _batch_of_receipt(receipt.receipt_id)
    for item in receipt.lines:
        line = lines[item.end_to_end_id]
        changed = line.pay_status != item.status
        line.pay_status, line.pay_failure_reason = item.status, (item.reason if item.status == "failed" else None)
        if changed:
            _notify_worker(line, batch)
    batch.status = "paid" if all(line.pay_status == "paid" for line in lines.values()) else "partially_paid"
    audit.record(None, "payroll.receipt", "bank_batch", batch.id, receipt_id=receipt.receipt_id, kind=receipt.kind,
                 status=batch.status, failed=sum(1 for line in lines.values() if line.pay_status == "failed"))
    return batch


def _notify_worker(line: PayrollLine, batch: BankBatch) -> None:
    """The worker learns the bank's word on their wages; a failure links to the card page."""
    net = line.net_fen or 0
    notices.notify(line.person_id, "wage_paid" if line.pay_status == "paid" else "wage_failed",
                   project=batch.project.name, month=batch.pay_month, amount=f"{net // 100:,}.{net % 100:02d}",
                   reason=line.pay_failure_reason or "")


def _refuse_contradictions(receipt: Receipt, lines: dict[str, PayrollLine]) -> None:
    unknown = [item.end_to_end_id for item in receipt.lines if item.end_to_end_id not in lines]
    if unknown:
        raise RuleViolation(LINES_UNKNOWN, field="lines", ids="、".join(unknown[:SHOWN_IDS]))
    unpaid = [item.end_to_end_id for item in receipt.lines
              if item.status == "failed" and lines[item.end_to_end_id].pay_status == "paid"]
    if unpaid:
        log.warning("bank receipt %s says paid lines %s failed; refused", receipt.receipt_id, unpaid)
        raise Conflict(PAID_IS_FINAL, field="lines", ids="、".join(unpaid[:SHOWN_IDS]))


def _batch_of_receipt(receipt_id: str) -> BankBatch | None:
    return db.session.scalar(select(BankBatch).join(BankReceipt, BankReceipt.batch_id == BankBatch.id)
                             .where(BankReceipt.receipt_id == receipt_id)
                             .execution_options(populate_existing=True))


# --- 重新发送 ------------------------------------------------------------------------------------

def resendable_lines(batch_id: int) -> list[PayrollLine]:
    """Lines the bank last said failed, not re-sent in another batch yet."""
    return _lines(batch_id, PayrollLine.pay_status == "failed", PayrollLine.resent_in_batch_id.is_(None))


def follow_up(actor, batch) -> BankBatch:
    """The resendable lines, after the workers fixed their cards, into a new batch of the
    same month (attempt + 1): already reviewed, so its drafts start approved. 409 when
    there is none."""
    if not is_gc_pm(actor, batch.project):
        raise Forbidden(NOT_GC_PM)
    batch = _locked(BankBatch.id == batch.id)  # two re-sends at once: the second finds nothing left
    failed = resendable_lines(batch.id)
    if not failed:
        raise Conflict(NOTHING_TO_RESEND)
    attempt = (db.session.scalar(select(BankBatch.attempt).where(
        BankBatch.project_id == batch.project_id, BankBatch.pay_month == batch.pay_month)
        .order_by(BankBatch.attempt.desc()).limit(1)) or 1) + 1
    root = batch.batch_no.rsplit("-", 1)[0]
    follow = BankBatch(project_id=batch.project_id, pay_month=batch.pay_month, attempt=attempt, parent_id=batch.id,
                       batch_no=f"{root}-{attempt}", status="open", period_start=batch.period_start,
                       period_end=batch.period_end, created_by_id=actor.id)
    db.session.add(follow)
    db.session.flush()
    by_enterprise: dict[int, PayrollDraft] = {}
    for line in failed:
        old = line.draft
        draft = by_enterprise.get(old.enterprise_id)
        if draft is None:
            draft = by_enterprise[old.enterprise_id] = PayrollDraft(
                batch_id=follow.id, project_id=old.project_id, enterprise_id=old.enterprise_id, status="approved",
                created_by_id=actor.id, submitted_at=utcnow(), approved_at=utcnow())
            db.session.add(draft)
            db.session.flush()
        db.session.add(PayrollLine(draft_id=draft.id, person_id=line.person_id, days=line.days,
                                   gross_fen=line.gross_fen, deductions_fen=line.deductions_fen, net_fen=line.net_fen))
        line.resent_in_batch_id = follow.id
    db.session.flush()
    db.session.expire(follow, ["drafts"])
    audit.record(actor, "payroll.follow_up", "bank_batch", follow.id, parent=batch.id, lines=len(failed))
    return follow


# --- reading afresh under the batch's lock ------------------------------------------------------

def _locked(condition) -> BankBatch | None:
    return db.session.scalar(select(BankBatch).where(condition).with_for_update()
                             .execution_options(populate_existing=True))


def _lines(batch_id: int, *conditions) -> list[PayrollLine]:
    return list(db.session.scalars(
        select(PayrollLine).join(PayrollDraft).where(PayrollDraft.batch_id == batch_id, *conditions)
        .order_by(PayrollLine.id).execution_options(populate_existing=True)))
