"""Payroll (DOMAIN §8), first half: the settlement day, bank exchange batches, each
enterprise's draft filled from its people's sign-ins, line amounts, submission, and the
outcomes of the review flow (processes/payroll.bpmn, one instance per draft).

Who: the GC PM sets the settlement day and issues batches; the PM of the GC or of a
subcontractor drafts that enterprise's table. Four eyes: whoever drafted a table never
reviews it — the review tasks' candidate rules leave the drafter out, and a table that
only its drafter could review is not submitted. Money is integer fen throughout.
Callers commit.
"""
import calendar
import logging
import re
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import BankBatch, Enterprise, Person, PayrollDraft, PayrollLine, SignIn, User
from app.models.payroll import EDITABLE_DRAFT
from app.models.types import utcnow
from app.services import audit, roles
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_
from app.workflow import inbox, runtime
from app.workflow.registry import Candidate

log = logging.getLogger(__name__)

PROCESS = "payroll"
MONTH_END = "month_end"
MAX_FEN = 10_000_000_00  # ¥10,000,000 on one line is a typing error, not a wage
SUB_REVIEW, GC_REVIEW = "payroll_sub_review", "payroll_gc_review"  # the review lanes of processes/payroll.bpmn
_MONTH = re.compile(r"^(20\d\d)-(0[1-9]|1[0-2])$")

NOT_GC_PM = N_("只有施工总包在本项目的项目经理可以进行此操作")
NOT_A_PM = N_("只有本项目施工总包或分包单位的项目经理可以编制工资支付表")
BAD_DAY = N_("结算日须为 1 到 28 日，或“月末”")
NO_SETTLEMENT_DAY = N_("请先设置结算日")
BAD_MONTH = N_("工资月份格式应为 YYYY-MM")
BATCH_EXISTS = N_("该月份已有银行交换批次号")
BATCH_NOT_FOUND = N_("银行交换批次不存在")
BATCH_CLOSED = N_("该批次已生成汇总表，不能再编制或修改")
MONTH_MISMATCH = N_("所选批次不是该工资月份的批次")
DRAFT_EXISTS = N_("本单位在该批次已有工资支付表")
NOBODY_SIGNED_IN = N_("本单位在该结算周期内没有人员签到，无需编制")
NOT_EDITABLE = N_("工资支付表已提交审核，不能修改")
NOT_THE_DRAFTER = N_("只有本单位在本项目的项目经理可以编制和提交该工资支付表")
BAD_AMOUNT = N_("金额须为 0 到 1000 万元之间的整数分")
NEGATIVE_NET = N_("扣款不能大于应发工资")
AMOUNTS_MISSING = N_("还有人员未填写应发工资")
NO_BANK_CARD = N_("以下人员未绑定银行卡，不能提交：%(names)s")
WRONG_STATE = N_("工资支付表的状态已变化，请刷新后重试")
NO_OTHER_REVIEWER = N_("除编制人外，%(enterprise)s没有可以审核工资支付表的人员：请先为该单位添加一名人事聘用管理员，再提交审核")
LINE_NOT_FOUND = N_("明细不存在")


# --- 结算日 and periods ---------------------------------------------------------------------

def is_gc_pm(user, project) -> bool:
    return roles.has_role(user, roles.PROJECT_MANAGER, enterprise_id=project.gc_enterprise_id, project_id=project.id)


def _require_gc_pm(user, project) -> None:
    if not is_gc_pm(user, project):
        raise Forbidden(NOT_GC_PM)


def check_settlement_day(value) -> str:
    text = str(value).strip() if value is not None else ""
    if text == MONTH_END:
        return MONTH_END
    if text.isdigit() and 1 <= int(text) <= 28:
        return str(int(text))
    raise RuleViolation(BAD_DAY, field="settlement_day")


def set_settlement_day(actor, project, value) -> str:
    _require_gc_pm(actor, project)
    project.settlement_day = check_settlement_day(value)
    audit.record(actor, "payroll.settlement_day", "project", project.id, settlement_day=project.settlement_day)
    return project.settlement_day


def check_month(pay_month) -> str:
    text = str(pay_month or "").strip()
    if not _MONTH.match(text):
        raise RuleViolation(BAD_MONTH, field="pay_month")
    return text


def period(settlement_day: str, pay_month: str) -> tuple[date, date]:
    """With day D, pay month M covers day D+1 of M−1 through day D of M; with month end,
    the calendar month."""
    year, month = (int(x) for x in check_month(pay_month).split("-"))
    if settlement_day == MONTH_END:
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    day = int(settlement_day)
    previous = date(year, month, 1) - timedelta(days=1)
    return date(previous.year, previous.month, day) + timedelta(days=1), date(year, month, day)


# --- 新增银行交换批次号 -----------------------------------------------------------------------

def create_batch(actor, project, pay_month) -> BankBatch:
    _require_gc_pm(actor, project)
    pay_month = check_month(pay_month)
    if not project.settlement_day:
        raise RuleViolation(NO_SETTLEMENT_DAY, field="pay_month")
    start, end = period(project.settlement_day, pay_month)
    batch = BankBatch(project_id=project.id, pay_month=pay_month, attempt=1, status="open",
                      batch_no=f"P{project.id}-{pay_month.replace('-', '')}-1", period_start=start,
                      period_end=end, created_by_id=actor.id)
    db.session.add(batch)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(BATCH_EXISTS) from None
    audit.record(actor, "payroll.batch", "bank_batch", batch.id, batch_no=batch.batch_no)
    return batch


# --- 新增编制 ----------------------------------------------------------------------------------

def pm_enterprises(user, project) -> list[int]:
    """The participants for which the user is PM on this project."""
    participants = {p.enterprise_id for p in project.participants}
    return sorted({g.enterprise_id for g in user.grants if g.role == roles.PROJECT_MANAGER
                   and g.project_id == project.id and g.enterprise_id in participants})


def signed_in_days(project_id: int, enterprise_id: int, start: date, end: date) -> list[tuple[int, int]]:
    """[(person_id, days)] of the enterprise's people who signed in on the project in the period."""
    rows = db.session.execute(
        select(SignIn.person_id, func.count()).where(
            SignIn.project_id == project_id, SignIn.enterprise_id == enterprise_id,
            SignIn.work_date >= start, SignIn.work_date <= end).group_by(SignIn.person_id).order_by(SignIn.person_id))
    return [(person_id, days) for person_id, days in rows]


def create_draft(actor, project, batch_id: int, pay_month, enterprise_id: int | None = None) -> PayrollDraft:
    mine = pm_enterprises(actor, project)
    if not mine:
        raise Forbidden(NOT_A_PM)
    if enterprise_id is not None and enterprise_id not in mine:
        raise Forbidden(NOT_A_PM)
    enterprise_id = enterprise_id or mine[0]
    # locked as summarize locks it: a table is never added beside a summary being made
    batch = db.session.get(BankBatch, batch_id, with_for_update=True, populate_existing=True)
    if batch is None or batch.project_id != project.id:
        raise RuleViolation(BATCH_NOT_FOUND, field="batch_id")
    if batch.pay_month != check_month(pay_month):
        raise RuleViolation(MONTH_MISMATCH, field="batch_id")
    if batch.status != "open":
        raise Conflict(BATCH_CLOSED)
    days = signed_in_days(project.id, enterprise_id, batch.period_start, batch.period_end)
    if not days:
        raise RuleViolation(NOBODY_SIGNED_IN, field="pay_month")
    draft = PayrollDraft(batch_id=batch.id, project_id=project.id, enterprise_id=enterprise_id,
                         status="drafting", created_by_id=actor.id)
    db.session.add(draft)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(DRAFT_EXISTS) from None
    db.session.add_all(PayrollLine(draft_id=draft.id, person_id=person_id, days=n) for person_id, n in days)
    db.session.flush()
    audit.record(actor, "payroll.draft", "payroll_draft", draft.id, batch_id=batch.id, lines=len(days))
    return draft


def _drafter(actor, draft) -> None:
    if draft.enterprise_id not in pm_enterprises(actor, draft.batch.project):
        raise Forbidden(NOT_THE_DRAFTER)


def _fen(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_FEN:
        raise RuleViolation(BAD_AMOUNT, field=field)
    return value


def set_line(actor, draft, line_id: int, gross_fen, deductions_fen) -> PayrollLine:
    """应发 and 扣款 of one line; 实发 = 应发 − 扣款, never negative."""
    _drafter(actor, draft)
    if draft.status not in EDITABLE_DRAFT or draft.batch.status != "open":
        raise Conflict(NOT_EDITABLE)
    line = db.session.get(PayrollLine, line_id)
    if line is None or line.draft_id != draft.id:
        raise NotFound(LINE_NOT_FOUND)
    gross, deductions = _fen(gross_fen, "gross_fen"), _fen(deductions_fen or 0, "deductions_fen")
    if deductions > gross:
        raise RuleViolation(NEGATIVE_NET, field="deductions_fen")
    if (line.gross_fen, line.deductions_fen) != (gross, deductions):  # wages: every change on record
        audit.record(actor, "payroll.line", "payroll_line", line.id, draft_id=draft.id,
                     gross_fen=gross, deductions_fen=deductions, was=[line.gross_fen, line.deductions_fen])
    line.gross_fen, line.deductions_fen, line.net_fen = gross, deductions, gross - deductions
    return line


def missing_cards(draft) -> list[Person]:
    """The draft's people without a bank card: wages can only go to the person's own card."""
    return [line.person for line in draft.lines if not line.person.bank_card_number]


# --- four eyes: who reviews --------------------------------------------------------------------

def drafter_id(draft) -> int | None:
    """Who drafted the table now under review: whoever last 【提交审核】 it (a PM who took
    over submits it as theirs), or, before that, whoever created it."""
    return draft.submitted_by_id or draft.created_by_id


def review_rule(draft, lane: str, drafter: int | None) -> Candidate:
    """A review lane's candidates: the legal rep, HR or a PM on the project of the unit
    that reviews (the drafting subcontractor, or the GC), except the drafter."""
    unit = draft.enterprise_id if lane == SUB_REVIEW else draft.batch.project.gc_enterprise_id
    return Candidate(role=lane, enterprise_id=unit, project_id=draft.project_id, excluded_user_id=drafter)


def reviewer_of(draft_id: int, lane: str) -> Candidate:
    """The lane resolvers' entry (app/handlers/lanes.py): the rule as the review task opens."""
    draft = db.session.get(PayrollDraft, draft_id)
    return review_rule(draft, lane, drafter_id(draft))


def review_lanes(draft) -> tuple[str, ...]:
    """A subcontractor's table is reviewed by the subcontractor, then by the GC; the GC's by the GC."""
    return (GC_REVIEW,) if draft.enterprise_id == draft.batch.project.gc_enterprise_id else (SUB_REVIEW, GC_REVIEW)


def _check_reviewers(draft, submitter_id: int | None) -> None:
    """Someone besides the drafter may review at every level; else the submission would
    make a task only the drafter could see — and no one could complete."""
    for lane in review_lanes(draft):
        rule = review_rule(draft, lane, submitter_id or draft.created_by_id)
        if not inbox.anyone_else(rule):
            raise RuleViolation(NO_OTHER_REVIEWER, enterprise=db.session.get(Enterprise, rule.enterprise_id).name)


# --- 提交审核 ----------------------------------------------------------------------------------

def _check_submittable(draft, submitter_id: int | None) -> None:
    """Checked on 【提交审核】 and again by the flow's own step, so a resubmission by any
    route (the generic task API included) meets the same rules."""
    if draft.status not in EDITABLE_DRAFT or draft.batch.status != "open":
        raise Conflict(NOT_EDITABLE)
    if any(line.gross_fen is None for line in draft.lines):
        raise RuleViolation(AMOUNTS_MISSING)
    without_card = missing_cards(draft)
    if without_card:
        raise RuleViolation(NO_BANK_CARD, names="、".join(p.name for p in without_card[:20]))
    _check_reviewers(draft, submitter_id)


def submit(actor, draft) -> PayrollDraft:
    """【提交审核】: starts the review, or resubmits a returned draft."""
    _drafter(actor, draft)
    _check_submittable(draft, actor.id)
    draft.submitted_at = utcnow()
    if draft.status == "drafting":
        gc = draft.batch.project.gc_enterprise_id
        subject = {"draft_id": draft.id, "batch_id": draft.batch_id, "project_id": draft.project_id,
                   "enterprise_id": draft.enterprise_id}
        draft.process_instance_id = runtime.start(PROCESS, subject, actor,
                                                  data={"needs_sub_review": draft.enterprise_id != gc}).id
    else:  # returned: the flow waits on the drafter's 修改后重新提交 task
        from app.models import HumanTask
        task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == draft.process_instance_id,
                                                         HumanTask.task_key == "revise", HumanTask.status == "open"))
        if task is None:
            raise Conflict(WRONG_STATE)
        runtime.complete(task, actor, {"confirm": True})
    return draft


# --- the review flow's steps (app/handlers/payroll.py) -----------------------------------------

def _draft_in(draft_id: int, *expected) -> PayrollDraft:
    draft = db.session.get(PayrollDraft, draft_id)
    if draft is None or (expected and draft.status not in expected):
        raise Conflict(WRONG_STATE)
    return draft


def mark_submitted(draft_id: int, actor_id) -> PayrollDraft:
    """待审核: the submitter is recorded here, on every route, so the review task opening
    next in this transaction leaves them out (drafter_id)."""
    draft = _draft_in(draft_id, "drafting", "returned")
    _check_submittable(draft, actor_id)
    draft.status = "gc_review" if draft.enterprise_id == draft.batch.project.gc_enterprise_id else "sub_review"
    draft.review_comment, draft.submitted_by_id = None, actor_id
    audit.record(db.session.get(User, actor_id) if actor_id else None, "payroll.submit", "payroll_draft", draft.id)
    return draft


def mark_sub_approved(draft_id: int, actor_id) -> PayrollDraft:
    draft = _draft_in(draft_id, "sub_review")
    draft.status = "gc_review"
    audit.record(db.session.get(User, actor_id) if actor_id else None, "payroll.sub_approve", "payroll_draft", draft.id)
    return draft


def mark_returned(draft_id: int, actor_id, comment: str | None) -> PayrollDraft:
    draft = _draft_in(draft_id, "sub_review", "gc_review")
    draft.status, draft.review_comment = "returned", (comment or "").strip()[:500] or None
    audit.record(db.session.get(User, actor_id) if actor_id else None, "payroll.return", "payroll_draft", draft.id,
                 reason=draft.review_comment)
    return draft


def mark_approved(draft_id: int, actor_id) -> PayrollDraft:
    draft = _draft_in(draft_id, "gc_review")
    draft.status, draft.approved_at = "approved", utcnow()
    audit.record(db.session.get(User, actor_id) if actor_id else None, "payroll.approve", "payroll_draft", draft.id)
    return draft


# --- an administrator terminates the review (app/handlers/terminations.py) --------------

def reopen_draft(draft_id: int, actor, reason: str) -> PayrollDraft | None:
    """A draft under review or returned goes back to drafting: editable, and 【提交审核】
    starts a new review. An approved draft is left as it is — its review is over, and
    the batch's summary may already rest on it."""
    draft = db.session.get(PayrollDraft, draft_id)
    if draft is None or draft.status not in ("sub_review", "gc_review", "returned"):
        log.info("payroll draft %s not under review at termination; left as it is", draft_id)
        return draft
    draft.status, draft.submitted_at = "drafting", None
    audit.record(actor, "payroll.reopen", "payroll_draft", draft.id, reason=reason)
    return draft


def is_gc_side(user, project) -> bool:
    """GC staff of the project — its legal rep / HR, its PM — and administrators: they see
    every batch and every enterprise's draft."""
    gc = project.gc_enterprise_id
    return (roles.has_role(user, roles.ADMIN) or is_gc_pm(user, project)
            or any(roles.has_role(user, r, enterprise_id=gc) for r in roles.ENTERPRISE_ROLES))


def may_see_batch(user, batch) -> bool:
    return is_gc_side(user, batch.project)
