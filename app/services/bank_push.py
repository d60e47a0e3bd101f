"""推送银行 through the outbox (DOMAIN §8): when both signatures are in, the signing flow
(processes/payroll_batch.bpmn, step 排队推送银行) builds the pain.001 transfer file once
and queues it with a reference to the signed summary PDF, in the flow's transaction.
The batch stays `signed` (待推送) until the scheduler delivers it through the configured
gateway (bank_gateways.py); the delivery makes it `pushed` in the same transaction.

The file's MsgId is bank.message_id_for(batch_no, attempt), the outbox's message id and
what the bank's receipts name (bank_settlement.py), however often it is redelivered.
"""
import hashlib
import logging

from flask import current_app
from sqlalchemy import exists, select

from app.extensions import db
from app.models import BankBatch, BankReceipt, OutboxMessage
from app.models.types import utcnow
from app.services import audit, bank, bank_gateways, outbox
from app.services.calendar import today_in_shanghai
from app.services.errors import Conflict, Forbidden, NotFound
from app.services.i18n import N_
from app.services.payroll import is_gc_pm
from app.services.payroll_batch import NOT_GC_PM, check_signatures

KIND = "payroll_push"

DOCUMENT_CHANGED = N_("批次 %(batch)s 的签署文件与排队推送时不一致，不能推送，请联系管理员")
BANK_ANSWERED = N_("银行已对批次 %(batch)s 发来回执，说明已经收到，不能重新推送")
NOT_QUEUED = N_("该批次没有待推送或已推送的银行文件")

log = logging.getLogger(__name__)


def _sha256(data: bytes | None) -> str | None:
    return hashlib.sha256(data).hexdigest() if data is not None else None


# --- queued by the signing flow -----------------------------------------------------------------

def enqueue(batch_id: int) -> OutboxMessage:
    """排队推送银行: both signatures checked once more, the transfer file built and queued
    with the signed PDF's SHA-256. Idempotent: a retried step finds the message queued."""
    batch = db.session.get(BankBatch, batch_id)
    check_signatures(batch_id, required=2)
    message_id = bank.message_id_for(batch.batch_no, batch.attempt)
    message = outbox.enqueue(KIND, message_id, transfer_file(batch, message_id),
                             {"batch_no": batch.batch_no, "pdf_sha256": _sha256(batch.document)},
                             bank_batch_id=batch.id)
    audit.record(None, "payroll.push_queued", "bank_batch", batch.id, message_id=message_id)
    return message


def transfer_file(batch, message_id: str) -> bytes:
    """The pain.001: one debit from the wage account, one credit per line with pay."""
    project = batch.project
    lines = [line for draft in batch.drafts for line in draft.lines]
    credits = [bank.Credit(end_to_end_id=str(line.id), name=line.name, account=line.bank_card_number,
                           amount_fen=line.net_fen, remittance_info=f"{batch.pay_month}工资", bank=line.bank_name or "")
               for line in lines if line.net_fen > 0]
    today = today_in_shanghai()
    return bank.credit_transfer_xml(bank.Transfer(
        batch_no=batch.batch_no, message_id=message_id, created_at=utcnow(),
        requested_date=max(batch.pay_date or today, today), debtor_name=project.wage_account_name,
        debtor_account=project.wage_account_no, debtor_bank=project.wage_bank_name, lines=credits))


# --- delivered by the outbox --------------------------------------------------------------------

def _prepare(message: OutboxMessage) -> bank_gateways.PushFiles:
    """The stored file and the batch's signed PDF — the very PDF that was queued."""
    batch = db.session.get(BankBatch, message.bank_batch_id) if message.bank_batch_id else None
    pdf = batch.document if batch is not None else None
    if pdf is None or _sha256(pdf) != message.details.get("pdf_sha256"):
        raise outbox.DeliveryError(DOCUMENT_CHANGED, batch=message.details.get("batch_no", message.message_id))
    return bank_gateways.PushFiles(batch_no=message.details["batch_no"], message_id=message.message_id,
                                   xml=message.payload, pdf=pdf)


def _send(files: bank_gateways.PushFiles) -> str | None:
    try:
        result = bank_gateways.gateway_from_config(current_app.config).push(files)
    except bank_gateways.BankPushError as error:
        raise outbox.DeliveryError(error.reason, **error.params) from error
    log.info("bank batch %s pushed to %s (reference %s)", files.message_id, result.location, result.bank_reference)
    return result.bank_reference


def _delivered(message: OutboxMessage, again: bool) -> None:
    """The batch is `pushed` from its first delivery on; a redelivery changes no status
    (a batch the bank has paid stays paid)."""
    batch = db.session.scalar(select(BankBatch).where(BankBatch.id == message.bank_batch_id).with_for_update()
                              .execution_options(populate_existing=True))
    if batch.status == "signed":
        batch.status, batch.pushed_at = "pushed", utcnow()
    audit.record(None, "payroll.push", "bank_batch", batch.id, message_id=message.message_id,
                 attempts=message.attempts, again=again, reference=message.reference)


def _check_again(message: OutboxMessage) -> None:
    """A batch the bank has sent a receipt for reached it: never pushed again."""
    answered = db.session.scalar(select(exists().where(BankReceipt.batch_id == message.bank_batch_id)))
    if answered:
        raise Conflict(BANK_ANSWERED, batch=message.details.get("batch_no", message.message_id))


outbox.register(KIND, outbox.Kind(channel="bank", prepare=_prepare, send=_send, delivered=_delivered,
                                  check_again=_check_again))


# --- what the batch page and 【重新推送】 use ---------------------------------------------------------

def message_of(batch_id: int) -> OutboxMessage | None:
    return db.session.scalar(select(OutboxMessage).where(
        OutboxMessage.bank_batch_id == batch_id, OutboxMessage.kind == KIND).order_by(OutboxMessage.id.desc()).limit(1))


def redeliver(actor, batch, reason: str | None = None) -> OutboxMessage:
    """【重新推送】 of the batch's stored file: the GC PM on the batch page, or an operator
    (actor None) with `flask outbox redeliver`. The caller commits."""
    if actor is not None and not is_gc_pm(actor, batch.project):
        raise Forbidden(NOT_GC_PM)
    message = message_of(batch.id)
    if message is None:
        raise NotFound(NOT_QUEUED)
    return outbox.requeue(message, actor, reason)
