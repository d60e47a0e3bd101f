"""Retention by the law's clock: attendance and sign-ins are kept at least two years from
the day, wage records at least three years from the day the bank paid them (never paid:
from their last change) — not from their pay month. A batch stays while a batch of its
family stays; the finished workflow state of a purged batch goes with it. Shorter
periods, 0 included, are refused and nothing is deleted."""
from datetime import date, datetime, timedelta
from itertools import count as numbers

import pytest
import time_machine
from sqlalchemy import func, select

from app import config
from app.extensions import db
from app.models import (Attendance, AuditEntry, BankBatch, BankReceipt, HumanTask, MessageWait, OutboxMessage,
                        PayrollDraft, PayrollLine, ProcessEvent, ProcessInstance, SignIn, WorkflowTimer)
from app.models.types import utcnow
from app.services import bank, bank_push, bank_settlement, outbox, retention
from app.services.bank_receipts import Receipt, ReceiptLine
from app.services.errors import RuleViolation
from app.services.idcard import SHANGHAI
from app.services.retention_wages import DELIVERY_PENDING, FAMILY_KEPT, WORKFLOW_OPEN
from app.services.site import allocation_on
from app.workflow import definitions
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.bank_stub import new_receipt_id
from tests.support.site import confirmed
from tests.support.staffing import staffing

TODAY = date(2026, 12, 3)
DEFAULTS = {"RETENTION_ATTENDANCE_YEARS": 2, "RETENTION_WAGE_YEARS": 3}
WAGE_ROWS = (BankBatch, PayrollDraft, PayrollLine, BankReceipt, OutboxMessage)
INSTANCE_ROWS = (ProcessInstance, ProcessEvent, HumanTask, WorkflowTimer, MessageWait)
_task_ids = numbers(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI)


def payroll_staffing(world):
    """A GC and a subcontractor with a worker each, cards on file, the flows deployed."""
    s = staffing(world, workers=1)
    with_card(s.gc.workers[0], s.sub.workers[0])
    definitions.sync_directory()
    db.session.commit()
    return s


@pytest.fixture
def s(world):
    return payroll_staffing(world)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def counts(*models) -> dict:
    return {model.__tablename__: count(model) for model in models}


def punch(project, person, day):
    allocation = allocation_on(person.id, project.id) or confirmed(project, person, status="on_site")
    db.session.add(Attendance(project_id=project.id, person_id=person.id, allocation_id=allocation.id,
                              enterprise_id=allocation.enterprise_id, kind="clock_in", method="scan",
                              at=at(day), work_date=day))
    db.session.commit()


# --- wage records as the payroll leaves them ------------------------------------------------------

def finished_flow(process_key: str, subject: dict, started: date, ended: date, status="completed"):
    """A workflow's state as the runtime leaves it: the instance, its history and inbox rows."""
    definition = definitions.latest(process_key)
    instance = ProcessInstance(definition_id=definition.id, process_key=process_key, status=status, subject=subject,
                               lock_version=1, created_at=at(started), updated_at=at(ended),
                               completed_at=at(ended) if status in ("completed", "terminated") else None)
    db.session.add(instance)
    db.session.flush()
    db.session.add_all([
        ProcessEvent(instance_id=instance.id, at=at(started), kind="started"),
        ProcessEvent(instance_id=instance.id, at=at(ended), kind=status),
        HumanTask(instance_id=instance.id, spiff_task_id=f"00000000-0000-0000-0000-{next(_task_ids):012d}",
                  process_key=process_key, task_key="pm_sign", title="项目经理去签署", subject=subject,
                  status="completed", created_at=at(started), completed_at=at(ended)),
    ])
    return instance


def pushed_batch(s, pay_month: str, created: date, pushed: date, *, draft_flow_status="completed") -> BankBatch:
    """A batch summarized on `created` and signed and pushed on `pushed`: one approved table
    per unit with its worker's line, the tables' review flows and the signing flow finished."""
    year, month = map(int, pay_month.split("-"))
    batch = BankBatch(project_id=s.project.id, pay_month=pay_month, attempt=1,
                      batch_no=f"P{s.project.id}-{year}{month:02d}-1", status="pushed",
                      period_start=date(year, month, 1), period_end=date(year, month, 25),
                      created_at=at(created), summarized_at=at(created), pm_signed_at=at(pushed),
                      enterprise_signed_at=at(pushed), pushed_at=at(pushed))
    db.session.add(batch)
    db.session.flush()
    for side in (s.gc, s.sub):
        draft = PayrollDraft(batch_id=batch.id, project_id=s.project.id, enterprise_id=side.enterprise.id,
                             status="approved", created_at=at(created), submitted_at=at(created),
                             approved_at=at(created))
        db.session.add(draft)
        db.session.flush()
        draft.process_instance_id = finished_flow(
            "payroll", {"draft_id": draft.id, "batch_id": batch.id, "project_id": s.project.id,
                        "enterprise_id": side.enterprise.id}, created, created, draft_flow_status).id
        worker = side.workers[0]
        db.session.add(PayrollLine(draft_id=draft.id, person_id=worker.id, days=20, gross_fen=6000_00,
                                   deductions_fen=0, net_fen=6000_00, name=worker.name, id_number=worker.id_number,
                                   bank_name=worker.bank_name, bank_card_number=worker.bank_card_number))
    _signed_and_pushed(s, batch, created, pushed)
    return batch


def _signed_and_pushed(s, batch, created, pushed):
    """The signing flow, finished, and its pain.001 (names and card numbers) queued in the
    outbox and delivered on `pushed`."""
    batch.process_instance_id = finished_flow(
        "payroll_batch", {"batch_id": batch.id, "project_id": s.project.id,
                          "enterprise_id": s.project.gc_enterprise_id}, created, pushed).id
    db.session.flush()
    with time_machine.travel(at(pushed), tick=False):
        message_id = bank.message_id_for(batch.batch_no, batch.attempt)
        message = outbox.enqueue(bank_push.KIND, message_id, bank_push.transfer_file(batch, message_id),
                                 {"batch_no": batch.batch_no}, bank_batch_id=batch.id)
        message.state, message.attempts, message.delivered_at = "delivered", 1, utcnow()
        message.last_attempt_at = utcnow()
    db.session.commit()


def paid(batch: BankBatch, day: date, failed=()) -> None:
    """The bank's receipt, recorded on `day`; `failed` names the people it could not pay."""
    lines = db.session.scalars(select(PayrollLine).join(PayrollDraft).where(PayrollDraft.batch_id == batch.id)).all()
    receipt = Receipt(receipt_id=new_receipt_id(), batch_no=batch.batch_no,
                      message_id=bank.message_id_for(batch.batch_no, batch.attempt),
                      lines=tuple(ReceiptLine(str(line.id), "failed" if line.person_id in failed else "paid",
                                              "账户已冻结" if line.person_id in failed else None) for line in lines))
    with time_machine.travel(at(day), tick=False):
        bank_settlement.record_receipt(receipt)
        db.session.commit()


def followed_up(s, batch: BankBatch, created: date, pushed: date) -> BankBatch:
    """【重新发送】 on `created` (the real follow-up), summarized, signed and pushed on `pushed`."""
    with time_machine.travel(at(created), tick=False):
        follow = bank_settlement.follow_up(s.gc.pm, batch)
        db.session.commit()
    for line in db.session.scalars(select(PayrollLine).join(PayrollDraft).where(PayrollDraft.batch_id == follow.id)):
        person = line.person
        line.name, line.id_number, line.bank_name, line.bank_card_number = (
            person.name, person.id_number, person.bank_name, person.bank_card_number)
    follow.status, follow.summarized_at, follow.pm_signed_at = "pushed", at(created), at(pushed)
    follow.enterprise_signed_at = follow.pushed_at = at(pushed)
    _signed_and_pushed(s, follow, created, pushed)
    return follow


def family(s, pay_month, summarized, receipt, follow_up_created, follow_up_paid):
    """A batch whose bank receipt says the GC's worker failed, and its follow-up, paid."""
    first = pushed_batch(s, pay_month, summarized, summarized + timedelta(days=2))
    paid(first, receipt, failed={s.gc.workers[0].id})
    follow = followed_up(s, first, follow_up_created, follow_up_created + timedelta(days=3))
    paid(follow, follow_up_paid)
    return first, follow


def batch_nos() -> list[str]:
    return sorted(db.session.scalars(select(BankBatch.batch_no)))


# --- the rules ------------------------------------------------------------------------------------

def test_wage_records_are_kept_three_years_from_payment_not_from_the_pay_month(s):
    # paid 3 years 1 month ago: the follow-up and the batch it re-sends go
    gone, gone_follow = family(s, "2023-09", date(2023, 9, 26), date(2023, 10, 8), date(2023, 10, 20),
                               date(2023, 11, 3))
    # pay month 2023-11, but its follow-up was paid 2 years 9 months ago: the whole family stays
    stays, stays_follow = family(s, "2023-11", date(2023, 11, 26), date(2023, 11, 30), date(2024, 2, 20),
                                 date(2024, 3, 3))
    kept_ids = [stays.id, stays_follow.id]
    kept_instances = set(db.session.scalars(select(ProcessInstance.id).where(
        ProcessInstance.subject["batch_id"].as_integer().in_(kept_ids))))
    before = counts(*WAGE_ROWS, *INSTANCE_ROWS)

    plan = retention.plan(DEFAULTS, TODAY)
    assert [(b.batch_no, b.paid_on) for b in plan.batches] == [(gone.batch_no, date(2023, 10, 8)),
                                                                (gone_follow.batch_no, date(2023, 11, 3))]
    assert plan.kept == {stays.id: (plan.kept[stays.id][0], FAMILY_KEPT)}  # paid 2023-11-30, past its own period
    assert plan.kept[stays.id][0].paid_on == date(2023, 11, 30)
    assert counts(*WAGE_ROWS, *INSTANCE_ROWS) == before  # planning changed nothing

    done = retention.purge(DEFAULTS, TODAY)
    # two batches: 2 + 1 tables, 2 + 1 lines, one receipt and one pushed file each; a signing flow per batch
    # and a review flow per original table: 4 instances with 2 events and 1 task each
    assert {k: done[k] for k in ("bank_batch", "payroll_draft", "payroll_line", "bank_receipt", "outbox_message",
                                 "process_instance", "process_event", "human_task")} == {
        "bank_batch": 2, "payroll_draft": 3, "payroll_line": 3, "bank_receipt": 2, "outbox_message": 2,
        "process_instance": 4, "process_event": 8, "human_task": 4}
    assert batch_nos() == sorted([stays.batch_no, stays_follow.batch_no])
    assert count(PayrollLine) == 3 and count(BankReceipt) == 2
    # the pushed files' copies of names and card numbers went with their batches
    assert sorted(db.session.scalars(select(OutboxMessage.bank_batch_id))) == sorted(kept_ids)
    assert set(db.session.scalars(select(ProcessInstance.id))) == kept_instances
    assert {t.instance_id for t in db.session.scalars(select(HumanTask))} == kept_instances
    assert {e.instance_id for e in db.session.scalars(select(ProcessEvent))} == kept_instances
    # the kept batch still knows which of its lines its follow-up re-sent
    assert db.session.scalars(select(PayrollLine.resent_in_batch_id).where(
        PayrollLine.resent_in_batch_id.is_not(None))).all() == [stays_follow.id]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.details["batches"] == [gone.batch_no, gone_follow.batch_no]
    assert entry.details["bank_batch"] == 2 and entry.details["wages_before"] == "2023-12-03"
    assert retention.plan(DEFAULTS, TODAY).batches == []


def test_the_clock_starts_on_the_day_of_the_bank_receipt(s):
    # pushed before the horizon (2023-12-03), paid the day after it: kept
    batch = pushed_batch(s, "2023-10", date(2023, 11, 20), date(2023, 11, 25))
    paid(batch, date(2023, 12, 4))
    assert retention.plan(DEFAULTS, TODAY).batches == []
    # a day later the three years are over
    assert [b.paid_on for b in retention.plan(DEFAULTS, date(2026, 12, 5)).batches] == [date(2023, 12, 4)]
    # the receipt's Shanghai day: 2023-12-03 00:30 in Shanghai is still 12-02 in UTC
    late = pushed_batch(s, "2023-09", date(2023, 11, 20), date(2023, 11, 25))
    with time_machine.travel(datetime(2023, 12, 3, 0, 30, tzinfo=SHANGHAI), tick=False):
        db.session.add(BankReceipt(receipt_id=new_receipt_id(), batch_id=late.id, kind="json"))
        db.session.commit()
    assert retention.plan(DEFAULTS, TODAY).batches == []


def test_a_batch_the_bank_never_answered_is_judged_by_its_last_change(s):
    pushed_long_ago = pushed_batch(s, "2023-08", date(2023, 8, 26), date(2023, 9, 1))
    pushed_later = pushed_batch(s, "2023-07", date(2023, 7, 26), date(2024, 1, 5))  # an old month, pushed 2 y 11 m ago
    open_batch = BankBatch(project_id=s.project.id, pay_month="2023-06", batch_no=f"P{s.project.id}-202306-1",
                           period_start=date(2023, 6, 1), period_end=date(2023, 6, 25),
                           created_at=at(date(2023, 6, 26)))
    db.session.add(open_batch)
    db.session.flush()
    db.session.add(PayrollDraft(batch_id=open_batch.id, project_id=s.project.id, enterprise_id=s.gc.enterprise.id,
                                created_at=at(date(2023, 6, 27)), submitted_at=at(date(2024, 6, 1))))  # a late change
    redelivered = pushed_batch(s, "2023-03", date(2023, 3, 26), date(2023, 4, 1))
    # 【重新推送】: the bank said it never got the file; delivered again 2 years 10 months ago
    db.session.scalar(select(OutboxMessage).where(OutboxMessage.bank_batch_id == redelivered.id)).delivered_at = \
        at(date(2024, 2, 1))
    db.session.commit()

    plan = retention.plan(DEFAULTS, TODAY)
    assert [(b.batch_no, b.paid_on, b.last_change) for b in plan.batches] == [
        (pushed_long_ago.batch_no, None, date(2023, 9, 1))]
    retention.purge(DEFAULTS, TODAY)
    assert batch_nos() == sorted([pushed_later.batch_no, open_batch.batch_no, redelivered.batch_no])


def test_a_batch_whose_file_is_still_being_delivered_stays(s):
    batch = pushed_batch(s, "2023-02", date(2023, 2, 26), date(2023, 3, 1))
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.bank_batch_id == batch.id))
    message.state, message.delivered_at = "pending", None  # 【重新推送】 queued, not delivered yet
    db.session.commit()
    plan = retention.plan(DEFAULTS, TODAY)
    assert plan.batches == [] and plan.kept[batch.id][1] == DELIVERY_PENDING
    message.state = "delivered"
    db.session.commit()
    assert [b.id for b in retention.plan(DEFAULTS, TODAY).batches] == [batch.id]


def test_a_batch_whose_workflow_has_not_finished_stays_with_its_state(s):
    stuck = pushed_batch(s, "2023-05", date(2023, 5, 26), date(2023, 6, 1), draft_flow_status="error")
    paid(stuck, date(2023, 6, 10))
    plan = retention.plan(DEFAULTS, TODAY)
    assert plan.batches == [] and plan.kept[stuck.id][1] == WORKFLOW_OPEN
    before = counts(*WAGE_ROWS, *INSTANCE_ROWS)
    retention.purge(DEFAULTS, TODAY)
    assert counts(*WAGE_ROWS, *INSTANCE_ROWS) == before


def test_finished_workflow_state_goes_whole_with_its_batch(s):
    batch = pushed_batch(s, "2023-04", date(2023, 4, 26), date(2023, 5, 1))
    paid(batch, date(2023, 5, 8))
    # a timer and a message wait that an instance ended by an older release left behind:
    # their foreign keys must not stop the instance from going
    db.session.add_all([WorkflowTimer(instance_id=batch.process_instance_id, due_at=at(date(2023, 5, 2))),
                        MessageWait(instance_id=batch.process_instance_id, message_name="bank_receipt")])
    db.session.commit()
    done = retention.purge(DEFAULTS, TODAY)
    assert done["workflow_timer"] == 1 and done["workflow_message_wait"] == 1 and done["process_instance"] == 3
    assert counts(*WAGE_ROWS, *INSTANCE_ROWS) == dict.fromkeys(
        (m.__tablename__ for m in (*WAGE_ROWS, *INSTANCE_ROWS)), 0)


def test_attendance_is_kept_two_years_from_the_day(s):
    worker = s.gc.workers[0]
    # two years back from 2026-12-03 is 2024-12-03, which stays
    sign_ins(s.project, worker, [date(2024, 11, 2), date(2024, 12, 2), date(2024, 12, 3), date(2026, 11, 2)])
    for day in (date(2024, 12, 2), date(2024, 12, 3)):
        punch(s.project, worker, day)
    plan = retention.plan(DEFAULTS, TODAY)
    assert plan.attendance == {"2024-11": {"attendance": 0, "signin": 1}, "2024-12": {"attendance": 1, "signin": 1}}
    assert count(SignIn) == 4
    done = retention.purge(DEFAULTS, TODAY)
    assert (done["signin"], done["attendance"]) == (2, 1)
    assert sorted(db.session.scalars(select(SignIn.work_date))) == [date(2024, 12, 3), date(2026, 11, 2)]
    assert db.session.scalars(select(Attendance.work_date)).all() == [date(2024, 12, 3)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.details["signin"] == 2 and entry.details["attendance_before"] == "2024-12-03"


@pytest.mark.parametrize("setting, years, minimum", [
    ("RETENTION_WAGE_YEARS", 0, 3), ("RETENTION_WAGE_YEARS", 2, 3), ("RETENTION_WAGE_YEARS", -1, 3),
    ("RETENTION_ATTENDANCE_YEARS", 0, 2), ("RETENTION_ATTENDANCE_YEARS", 1, 2)])
def test_a_period_shorter_than_the_law_allows_is_refused_and_nothing_deleted(s, setting, years, minimum):
    sign_ins(s.project, s.gc.workers[0], [date(2020, 1, 6)])
    batch = pushed_batch(s, "2020-01", date(2020, 1, 26), date(2020, 2, 1))
    paid(batch, date(2020, 2, 5))
    before = counts(SignIn, *WAGE_ROWS, *INSTANCE_ROWS)
    with pytest.raises(RuleViolation) as refused:
        retention.purge({**DEFAULTS, setting: years}, TODAY)
    assert refused.value.params == {"setting": setting, "years": minimum, "value": years}
    assert counts(SignIn, *WAGE_ROWS, *INSTANCE_ROWS) == before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "retention.purge")) == 0


def test_zero_from_the_environment_reaches_the_check_as_zero(monkeypatch):
    monkeypatch.setenv("RETENTION_WAGE_YEARS", "0")
    settings = config.from_environment()
    assert settings["RETENTION_WAGE_YEARS"] == 0  # not replaced by the minimum
    with pytest.raises(RuleViolation):
        retention.horizons(settings, TODAY)
    monkeypatch.setenv("RETENTION_WAGE_YEARS", "three")
    with pytest.raises(ValueError, match="RETENTION_WAGE_YEARS='three': a whole number of years"):
        config.from_environment()
    monkeypatch.delenv("RETENTION_WAGE_YEARS")
    assert config.from_environment()["RETENTION_WAGE_YEARS"] == 3


def test_longer_periods_keep_more(s):
    sign_ins(s.project, s.gc.workers[0], [date(2023, 6, 1)])
    batch = pushed_batch(s, "2022-10", date(2022, 10, 26), date(2022, 11, 1))
    paid(batch, date(2022, 11, 7))
    longer = {"RETENTION_ATTENDANCE_YEARS": 5, "RETENTION_WAGE_YEARS": 5}
    assert retention.totals(retention.plan(longer, TODAY))["signin"] == 0
    assert retention.plan(longer, TODAY).batches == []
    assert retention.totals(retention.plan(DEFAULTS, TODAY))["signin"] == 1
    assert [b.id for b in retention.plan(DEFAULTS, TODAY).batches] == [batch.id]


def test_the_29th_of_february_has_a_horizon():
    assert retention.years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)
