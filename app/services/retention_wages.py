"""Which wage records are past their period, and the rows that go with them.

A bank batch is one wage record together with its tables (payroll_draft), their lines,
the bank's receipts, its messages to the bank (the outbox's pain.001 copies) and the
finished workflow state about it. Its clock starts on the day it was paid — the Shanghai
date of its latest bank receipt — or, if the bank never answered, on its last change:
the latest of its creation, summary, signatures and push, its tables' creation,
submission and approval, and its message's last delivery or attempt. The pay month does
not count: a follow-up batch for November 2023 paid in March 2024 is kept three years
from March 2024.

Batches of one family point at each other — a follow-up at the batch it re-sends
(bank_batch.parent_id), the re-sent lines at the follow-up (payroll_line.resent_in_batch_id)
— so a batch past its period stays while any batch it is linked to stays. Nothing still
in motion goes either: a batch whose workflow has not finished (still worked on, or in
error: terminate it first) or whose message to the bank is still pending stays."""
from dataclasses import dataclass
from datetime import date, datetime, timezone

from sqlalchemy import and_, func, or_, select, union

from app.extensions import db
from app.models import (BankBatch, BankReceipt, HumanTask, MessageWait, OutboxMessage, PayrollDraft, PayrollLine,
                        ProcessEvent, ProcessInstance, WorkflowTimer)
from app.services import payroll, payroll_batch
from app.services.idcard import SHANGHAI

FINISHED = ("completed", "terminated")
PAYROLL_FLOWS = (payroll.PROCESS, payroll_batch.PROCESS)  # their subjects name the batch: {"batch_id": …}
SUBJECT_BATCH = ProcessInstance.subject["batch_id"].as_integer()
CHUNK = 500  # ids per statement: far below SQLite's and PostgreSQL's bound-parameter limits

# Why a batch past its own period is kept.
FAMILY_KEPT = "family_kept"
WORKFLOW_OPEN = "workflow_open"
DELIVERY_PENDING = "delivery_pending"


@dataclass(frozen=True)
class WageBatch:
    id: int
    batch_no: str
    pay_month: str
    paid_on: date | None  # the day of its latest bank receipt; None if never paid
    last_change: date

    @property
    def judged_from(self) -> date:
        return self.paid_on or self.last_change


def chunks(ids: list[int]):
    for start in range(0, len(ids), CHUNK):
        yield ids[start:start + CHUNK]


def _day(moment: datetime) -> date:
    return moment.astimezone(SHANGHAI).date()


def _start_of(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=SHANGHAI).astimezone(timezone.utc)


# --- what is past its period ---------------------------------------------------------------------

def past_their_period(keep_from: date) -> tuple[list[WageBatch], dict[int, tuple[WageBatch, str]]]:
    """The batches to purge (pay month, then batch number), and those past their own period
    that stay, each with why."""
    # a batch's clock never starts before it was created: only older batches can be past it
    candidates = select(BankBatch.id).where(BankBatch.created_at < _start_of(keep_from))
    past = {b.id: b for b in _clocks(candidates) if b.judged_from < keep_from}
    kept = {i: WORKFLOW_OPEN for i in _with_open_workflow(candidates) if i in past}
    kept |= {i: DELIVERY_PENDING for i in _with_pending_delivery(candidates) if i in past}
    going = set(past) - set(kept)
    links = _links(candidates)
    while True:  # a family goes whole or not at all
        staying = {a for a, b in links if a in going and b not in going}
        if not staying:
            break
        going -= staying
        kept.update(dict.fromkeys(staying, FAMILY_KEPT))
    purged = sorted((past[i] for i in going), key=lambda b: (b.pay_month, b.batch_no))
    return purged, {i: (past[i], why) for i, why in kept.items()}


def _clocks(candidates) -> list[WageBatch]:
    paid = dict(db.session.execute(
        select(BankReceipt.batch_id, func.max(BankReceipt.received_at))
        .where(BankReceipt.batch_id.in_(candidates)).group_by(BankReceipt.batch_id)).all())
    drafts = {batch_id: max((t for t in times if t is not None)) for batch_id, *times in db.session.execute(
        select(PayrollDraft.batch_id, func.max(PayrollDraft.created_at), func.max(PayrollDraft.submitted_at),
               func.max(PayrollDraft.approved_at))
        .where(PayrollDraft.batch_id.in_(candidates)).group_by(PayrollDraft.batch_id))}
    sent = {batch_id: max((t for t in times if t is not None), default=None) for batch_id, *times in db.session.execute(
        select(OutboxMessage.bank_batch_id, func.max(OutboxMessage.delivered_at),
               func.max(OutboxMessage.last_attempt_at))
        .where(OutboxMessage.bank_batch_id.in_(candidates)).group_by(OutboxMessage.bank_batch_id))}
    rows = db.session.execute(
        select(BankBatch.id, BankBatch.batch_no, BankBatch.pay_month, BankBatch.created_at, BankBatch.summarized_at,
               BankBatch.pm_signed_at, BankBatch.enterprise_signed_at, BankBatch.pushed_at)
        .where(BankBatch.id.in_(candidates)))
    result = []
    for batch_id, batch_no, pay_month, *changes in rows:
        last_change = max(t for t in (*changes, drafts.get(batch_id), sent.get(batch_id)) if t is not None)
        paid_at = paid.get(batch_id)
        result.append(WageBatch(batch_id, batch_no, pay_month, paid_at and _day(paid_at), _day(last_change)))
    return result


def _links(candidates) -> list[tuple[int, int]]:
    """Pairs of linked batches touching `candidates`, both ways round."""
    follow_ups = select(BankBatch.id, BankBatch.parent_id).where(
        BankBatch.parent_id.is_not(None), or_(BankBatch.id.in_(candidates), BankBatch.parent_id.in_(candidates)))
    resent = select(PayrollDraft.batch_id, PayrollLine.resent_in_batch_id).join(
        PayrollLine, PayrollLine.draft_id == PayrollDraft.id).where(
        PayrollLine.resent_in_batch_id.is_not(None),
        or_(PayrollDraft.batch_id.in_(candidates), PayrollLine.resent_in_batch_id.in_(candidates))).distinct()
    pairs = [tuple(row) for query in (follow_ups, resent) for row in db.session.execute(query)]
    return pairs + [(b, a) for a, b in pairs]


def _with_pending_delivery(candidates) -> set[int]:
    """Batches whose message to the bank is still being delivered (the outbox)."""
    return set(db.session.scalars(select(OutboxMessage.bank_batch_id).where(
        OutboxMessage.state == "pending", OutboxMessage.bank_batch_id.in_(candidates))))


def _with_open_workflow(candidates) -> set[int]:
    is_open = ProcessInstance.status.not_in(FINISHED)
    return set(db.session.scalars(union(
        select(SUBJECT_BATCH).where(ProcessInstance.process_key.in_(PAYROLL_FLOWS), is_open,
                                    SUBJECT_BATCH.in_(candidates)),
        select(BankBatch.id).join(ProcessInstance, ProcessInstance.id == BankBatch.process_instance_id)
        .where(is_open, BankBatch.id.in_(candidates)),
        select(PayrollDraft.batch_id).join(ProcessInstance, ProcessInstance.id == PayrollDraft.process_instance_id)
        .where(is_open, PayrollDraft.batch_id.in_(candidates)))))


# --- the rows that go with a batch -----------------------------------------------------------------

def rows_of_batches(ids: list[int]) -> list[tuple[str, type, object]]:
    """(name, model, condition) of every row that belongs to the batches `ids` and goes
    before them, children first. A new table whose rows point at a batch is one more entry."""
    drafts = select(PayrollDraft.id).where(PayrollDraft.batch_id.in_(ids))
    return [
        ("payroll_line", PayrollLine, PayrollLine.draft_id.in_(drafts)),
        ("payroll_draft", PayrollDraft, PayrollDraft.batch_id.in_(ids)),
        ("bank_receipt", BankReceipt, BankReceipt.batch_id.in_(ids)),
        # the pushed pain.001 bytes: names and card numbers, a copy of the lines
        ("outbox_message", OutboxMessage, OutboxMessage.bank_batch_id.in_(ids)),
    ]


def finished_instances(ids: list[int]) -> list[int]:
    """The finished workflow instances about the batches `ids`: by subject, or named by the
    batch or one of its tables."""
    return sorted(db.session.scalars(
        select(ProcessInstance.id).where(ProcessInstance.status.in_(FINISHED), or_(
            and_(ProcessInstance.process_key.in_(PAYROLL_FLOWS), SUBJECT_BATCH.in_(ids)),
            ProcessInstance.id.in_(select(BankBatch.process_instance_id).where(BankBatch.id.in_(ids))),
            ProcessInstance.id.in_(select(PayrollDraft.process_instance_id).where(PayrollDraft.batch_id.in_(ids)))))))


def rows_of_instances(ids: list[int]) -> list[tuple[str, type, object]]:
    """(name, model, condition) of an instance's state, the instance row last."""
    return [
        ("process_event", ProcessEvent, ProcessEvent.instance_id.in_(ids)),
        ("human_task", HumanTask, HumanTask.instance_id.in_(ids)),
        ("workflow_timer", WorkflowTimer, WorkflowTimer.instance_id.in_(ids)),
        ("workflow_message_wait", MessageWait, MessageWait.instance_id.in_(ids)),
        ("process_instance", ProcessInstance, ProcessInstance.id.in_(ids)),
    ]
