"""Payroll (DOMAIN §8), second half: 【生成汇总表】 with the summary PDF, the two
signatures (the GC PM's, then the GC enterprise's). The push to the bank is bank_push.py,
through the outbox; the bank's receipts and the follow-up batch for lines it could not
pay are bank_settlement.py.

The steps after the summary run in processes/payroll_batch.bpmn (one instance per
batch): each signature completes its user task; the flow then checks the signatures
and queues the push (bank_push.py): the bank being down never fails a signature, the
outbox delivers the batch when it can. A signature is committed before its task is
completed, so a step after it that fails leaves the signed file in place and the
instance in `error` for an administrator to retry.
"""
import logging
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import distinct, func, select

from app.extensions import db
from app.models import Allocation, BankBatch, Enterprise, HumanTask, PayrollDraft, PayrollLine, SignIn, User
from app.models.types import utcnow
from app.services import audit, payroll_pdf, roles, signing
from app.services.errors import Conflict, Forbidden, RuleViolation
from app.services.calendar import today_in_shanghai
from app.services.i18n import N_
from app.services.job_types import job_type_name
from app.services.payroll import is_gc_pm
from app.workflow import runtime

PROCESS = "payroll_batch"
PM_FIELD, ENTERPRISE_FIELD = payroll_pdf.PM_SIGNATURE_FIELD, payroll_pdf.ENTERPRISE_SIGNATURE_FIELD

NOT_GC_PM = N_("只有施工总包在本项目的项目经理可以进行此操作")
ALREADY_SUMMARIZED = N_("该批次已生成汇总表")
NOT_ALL_APPROVED = N_("该批次还有工资支付表未经施工总包审核通过，不能生成汇总表")
NO_DRAFTS = N_("该批次还没有工资支付表")
CARD_MISSING = N_("以下人员未绑定银行卡：%(names)s")
NOTHING_TO_SIGN = N_("该批次当前没有待签署的步骤")
PM_SIGNS_FIRST = N_("请等待项目经理先签署")
ENTERPRISE_SIGNS_NOW = N_("项目经理已签署，现在应由施工总包企业签署")
NOT_A_SIGNER = N_("您不是该批次的签署人")
NO_ID_NUMBER = N_("您的个人信息尚未核验，不能签署")
SIGNATURES_INVALID = N_("汇总表的签名未通过校验，不能推送银行")
UNITS_WITHOUT_TABLE = N_("以下单位的工人在本期有签到，但本批次没有其审核通过的工资支付表：%(units)s。"
                         "请其项目经理编制工资支付表并审核通过，或确认本期不纳入这些单位")
NOT_WITHOUT_TABLE = N_("只能不纳入本期有工人签到、但本批次没有工资支付表的单位；以下编号不是：%(ids)s")

log = logging.getLogger(__name__)


def _require_gc_pm(user, project) -> None:
    if not is_gc_pm(user, project):
        raise Forbidden(NOT_GC_PM)


def _lines(batch) -> list[PayrollLine]:
    return [line for draft in batch.drafts for line in draft.lines]


def _gc(batch) -> Enterprise:
    return db.session.get(Enterprise, batch.project.gc_enterprise_id)


# --- 生成汇总表 / 生成汇总文件 -----------------------------------------------------------------

PAY_DATE_PAST = N_("发放日期不能早于今天")
PAY_DATE_FAR = N_("发放日期须在今后%(days)d天内")
PAY_DATE_WINDOW = 31  # days ahead a pay date may be set


def _pay_date(chosen: date | None) -> date:
    """发放日期: today unless chosen; never in the past, at most a month ahead."""
    today = today_in_shanghai()
    if chosen is None:
        return today
    if chosen < today:
        raise RuleViolation(PAY_DATE_PAST, field="pay_date")
    if chosen > today + timedelta(days=PAY_DATE_WINDOW):
        raise RuleViolation(PAY_DATE_FAR, field="pay_date", days=PAY_DATE_WINDOW)
    return chosen


# --- 本期未纳入: no unit left out silently -------------------------------------------------------

@dataclass(frozen=True)
class UnitWithoutTable:
    """A unit whose workers signed in during the batch's pay period but that has no table in it."""

    enterprise_id: int
    name: str
    workers: int  # how many of its people signed in during the period


def units_without_table(batch) -> list[UnitWithoutTable]:
    """Sign-ins are what payroll counts: every enterprise whose people signed in on the
    project during the batch's period and that has no table in the batch. A follow-up
    batch only re-sends failed lines of a summary made before, so it has none."""
    if batch.parent_id is not None:
        return []
    drafted = select(PayrollDraft.enterprise_id).where(PayrollDraft.batch_id == batch.id)
    rows = db.session.execute(
        select(Enterprise.id, Enterprise.name, func.count(distinct(SignIn.person_id)))
        .join(SignIn, SignIn.enterprise_id == Enterprise.id)
        .where(SignIn.project_id == batch.project_id, SignIn.work_date >= batch.period_start,
               SignIn.work_date <= batch.period_end, Enterprise.id.not_in(drafted))
        .group_by(Enterprise.id, Enterprise.name).order_by(Enterprise.id))
    return [UnitWithoutTable(enterprise_id, name, workers) for enterprise_id, name, workers in rows]


def _left_out(batch, without) -> list[UnitWithoutTable]:
    """The units this summary leaves out: `without` names every unit without a table
    (409 naming those it does not) and nothing else (422 naming the field)."""
    missing = units_without_table(batch)
    chosen = set(without or ())
    stray = sorted(chosen - {unit.enterprise_id for unit in missing})
    if stray:
        raise RuleViolation(NOT_WITHOUT_TABLE, field="without", ids="、".join(map(str, stray)))
    unnamed = [unit.name for unit in missing if unit.enterprise_id not in chosen]
    if unnamed:
        raise Conflict(UNITS_WITHOUT_TABLE, field="without", units="、".join(unnamed))
    return missing


def summarize(actor, batch, pay_date: date | None = None, without=()) -> BankBatch:
    """Every draft GC-approved, and every unit whose workers signed in but that has no
    table named in `without` → the lines' identities and cards are copied, the units
    left out are recorded (and printed), the PDF is made, and the signing flow starts.
    409 otherwise; 422 for a `without` that names another unit."""
    project = batch.project
    _require_gc_pm(actor, project)
    pay_date = _pay_date(pay_date)
    # the batch row locked (PostgreSQL): a table created meanwhile waits, then sees it closed
    db.session.refresh(batch, with_for_update=True)
    if batch.status != "open":
        raise Conflict(ALREADY_SUMMARIZED)
    if not batch.drafts:
        raise Conflict(NO_DRAFTS)
    if any(d.status != "approved" for d in batch.drafts):
        raise Conflict(NOT_ALL_APPROVED)
    left_out = _left_out(batch, without)
    lines = _lines(batch)
    without_card = [line.person.name for line in lines if not line.person.bank_card_number]
    if without_card:
        raise RuleViolation(CARD_MISSING, names="、".join(without_card[:20]))
    for line in lines:
        person = line.person
        line.name, line.id_number, line.mobile = person.name, person.id_number, person.phone
        line.bank_name, line.bank_card_number = person.bank_name, person.bank_card_number
    batch.status, batch.summarized_at, batch.pay_date = "summarized", utcnow(), pay_date
    batch.left_out = [asdict(unit) for unit in left_out] or None
    audit.record(actor, "payroll.summary", "bank_batch", batch.id, lines=len(lines), pay_date=pay_date.isoformat(),
                 left_out=[unit.enterprise_id for unit in left_out])
    for unit in left_out:  # an explicit choice, on record unit by unit
        audit.record(actor, "payroll.left_out", "bank_batch", batch.id, **asdict(unit))
    subject = {"batch_id": batch.id, "project_id": project.id, "enterprise_id": project.gc_enterprise_id}
    db.session.flush()  # the flow's first step (生成汇总文件) reads the copied lines
    batch.process_instance_id = runtime.start(PROCESS, subject, actor).id
    return batch


def make_summary_file(batch_id: int) -> BankBatch:
    """【生成汇总文件】, the signing flow's first step: the PDF every signature will cover."""
    batch = db.session.get(BankBatch, batch_id)
    if batch.status != "summarized" or batch.document is not None:
        raise Conflict(ALREADY_SUMMARIZED)
    batch.document = render(batch)
    return batch


UNPUSHED = ("summarized", "pm_signed", "signed")


def withdraw_summary(batch_id: int, actor, reason: str) -> BankBatch | None:
    """An administrator terminated the signing flow (app/handlers/terminations.py) before
    the push: the summary file and its signatures are void and the batch is open again,
    so 【生成汇总表】 makes a new file and starts a new flow. A batch already pushed is
    left as it is: the bank has the file, and its receipt settles the batch."""
    batch = db.session.get(BankBatch, batch_id)
    if batch is None or batch.status not in UNPUSHED:
        log.info("bank batch %s not awaiting signatures at termination; left as it is", batch_id)
        return batch
    batch.status, batch.document, batch.summarized_at, batch.pay_date, batch.left_out = "open", None, None, None, None
    batch.pm_signed_at = batch.pm_signed_by_id = batch.enterprise_signed_at = batch.enterprise_signed_by_id = None
    audit.record(actor, "payroll.summary_withdrawn", "bank_batch", batch.id, reason=reason)
    return batch


def render(batch) -> bytes:
    project, gc = batch.project, _gc(batch)
    employers = {d.id: d.enterprise.name for d in batch.drafts}
    # The trade each worker was allocated with on this project (the latest allocation wins).
    job_types = dict(db.session.execute(select(Allocation.person_id, Allocation.job_type).where(
        Allocation.project_id == project.id).order_by(Allocation.id)).all())
    return payroll_pdf.render_summary(payroll_pdf.Summary(
        project_name=project.name, project_code=project.code, gc_name=gc.name, gc_uscc=gc.uscc,
        wage_bank=project.wage_bank_name, wage_account_no=project.wage_account_no,
        wage_account_name=project.wage_account_name, batch_no=batch.batch_no, pay_month=batch.pay_month,
        period_start=batch.period_start, period_end=batch.period_end, pay_date=batch.pay_date, generated_at=utcnow(),
        left_out=tuple(payroll_pdf.LeftOut(unit["name"], unit["workers"]) for unit in batch.left_out or ()),
        lines=[payroll_pdf.Line(enterprise_name=employers[line.draft_id], name=line.name, id_number=line.id_number or "",
                                mobile=line.mobile or "", job_type_name=job_type_name(job_types.get(line.person_id)) or "",
                                days=line.days, gross_fen=line.gross_fen, deductions_fen=line.deductions_fen or 0,
                                net_fen=line.net_fen) for line in _lines(batch)]))


# --- 去签署 ------------------------------------------------------------------------------------

def _open_step(batch) -> HumanTask | None:
    if batch.process_instance_id is None:
        return None
    return db.session.scalar(select(HumanTask).where(
        HumanTask.instance_id == batch.process_instance_id, HumanTask.status == "open",
        HumanTask.task_key.in_(("pm_sign", "enterprise_sign"))).limit(1))


def is_legal_rep(user, enterprise_id: int) -> bool:
    return roles.has_role(user, roles.LEGAL_REP, enterprise_id=enterprise_id)


def _roots() -> list[bytes]:
    return signing.trust_roots_from_config(current_app.config)


_SIGNATURE_STATE = ("document", "status", "pm_signed_at", "pm_signed_by_id",
                    "enterprise_signed_at", "enterprise_signed_by_id")


def sign(actor, batch, pkcs12: bytes, password: str) -> BankBatch:
    """【去签署】 by whoever's turn it is: the GC PM, then the GC's legal representative.
    The certificate and password are used for this call only. A signer who has signed
    already, or a batch past signing, is a conflict (409); the wrong signer for this
    step or the wrong certificate is refused (422)."""
    step = _open_step(batch)
    gc = _gc(batch)
    if step is None:
        raise Conflict(NOTHING_TO_SIGN)
    if step.task_key == "pm_sign":
        if not is_gc_pm(actor, batch.project):
            raise RuleViolation(PM_SIGNS_FIRST if is_legal_rep(actor, gc.id) else NOT_A_SIGNER, field="certificate")
        if actor.person is None or not actor.person.id_number:
            raise RuleViolation(NO_ID_NUMBER, field="certificate")
        field, expected = PM_FIELD, actor.person.id_number
    else:
        if not is_legal_rep(actor, gc.id):
            if actor.id == batch.pm_signed_by_id:
                raise Conflict(ENTERPRISE_SIGNS_NOW, field="certificate")  # the PM again: signed already
            raise RuleViolation(ENTERPRISE_SIGNS_NOW if is_gc_pm(actor, batch.project) else NOT_A_SIGNER,
                                field="certificate")
        field, expected = ENTERPRISE_FIELD, gc.uscc
    before = {name: getattr(batch, name) for name in _SIGNATURE_STATE}
    batch.document = signing.sign(batch.document, field, pkcs12, password, expected, _roots(),
                                  role=payroll_pdf.SIGNER_ROLES[field])
    now = utcnow()
    if field == PM_FIELD:
        batch.status, batch.pm_signed_at, batch.pm_signed_by_id = "pm_signed", now, actor.id
    else:
        batch.status, batch.enterprise_signed_at, batch.enterprise_signed_by_id = "signed", now, actor.id
    audit.record(actor, f"payroll.sign.{step.task_key}", "bank_batch", batch.id)
    db.session.commit()  # the signature stays, whatever happens to the push
    try:
        runtime.complete(step, actor, {"signed": True})
    except (Conflict, RuleViolation):
        # The flow's own check refused the signed file and its step stayed open: take the
        # signature back, or the field would be signed while the step still asks for it.
        batch = db.session.get(BankBatch, batch.id)
        for name, value in before.items():
            setattr(batch, name, value)
        audit.record(actor, f"payroll.sign.{step.task_key}.withdrawn", "bank_batch", batch.id)
        db.session.commit()
        raise
    return batch


def expected_signers(batch) -> list[tuple[str, str]]:
    signers = []
    if batch.pm_signed_by_id:
        signers.append((PM_FIELD, db.session.get(User, batch.pm_signed_by_id).person.id_number))
    if batch.enterprise_signed_by_id:
        signers.append((ENTERPRISE_FIELD, _gc(batch).uscc))
    return signers


def check_signatures(batch_id: int, required: int) -> signing.Report:
    """The flow's check after each signature: `required` signatures present, intact,
    trusted, by the right people, the last covering the whole file."""
    batch = db.session.get(BankBatch, batch_id)
    expected = expected_signers(batch)
    report = signing.validate(batch.document, _roots(), expected)
    if len(expected) < required or not report.ok:
        log.warning("batch %s signatures refused: %s", batch_id, report)
        raise Conflict(SIGNATURES_INVALID)
    return report


def wage_lines(person) -> list[PayrollLine]:
    """工资条: the person's own lines in summarized batches, newest month first."""
    return list(db.session.scalars(
        select(PayrollLine).join(PayrollDraft).join(BankBatch)
        .where(PayrollLine.person_id == person.id, BankBatch.status != "open")
        .order_by(BankBatch.pay_month.desc(), BankBatch.attempt.desc(), PayrollLine.id)))
