"""One enterprise's 工资支付表 (DOMAIN §8, manual 四.3–4): the lines with days and the
bank-card check, 应发 and 扣款 typed in yuan while drafting or returned, 【提交审核】, and
工资支付表审核 for the reviewer whose turn it is; read-only otherwise, with the history.

Amounts are typed in yuan with at most two decimals and turned into integer fen from the
text itself (never through a float). A save is all or nothing: one bad line, and no line
changes.
"""
import re

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.forms.tasks import ApprovalForm, task_data
from app.models import AuditEntry, HumanTask, PayrollLine, Person, User
from app.models.payroll import EDITABLE_DRAFT
from app.services import payroll as service
from app.services.errors import DomainError, Forbidden
from app.web.payroll import DRAFT_BADGES, DRAFT_STATUS, draft_or_deny, masked_id, page_number, yuan
from app.workflow import inbox, runtime
from app.workflow.errors import TaskConflict, WorkflowFailure

bp = Blueprint("payroll_drafts", __name__, url_prefix="/payroll/drafts")

_YUAN = re.compile(r"^[0-9]{1,9}(\.[0-9]{1,2})?$")
REVIEW_TASKS = ("sub_review", "gc_review")
# Lines per page: two amounts each stay well under the 1,000 form fields a request may carry,
# and a table of 5,000 workers is typed in a page at a time.
LINES_PER_PAGE = 100
HISTORY_LABELS = {"payroll.draft": _l("新增编制"), "payroll.submit": _l("提交审核"),
                  "payroll.sub_approve": _l("分包单位审核通过"), "payroll.return": _l("退回"),
                  "payroll.approve": _l("施工总包审核通过")}


def parse_yuan(text: str | None) -> int | None:
    """"1,234.5" → 123450 fen; "" → None. Raises ValueError with the message to show."""
    value = (text or "").strip().replace(",", "").replace("，", "")
    if not value:
        return None
    if len(value) > 16 or not _YUAN.match(value):
        raise ValueError(gettext("请填写金额（元），不能为负数，最多两位小数"))
    whole, _, cents = value.partition(".")
    fen = int(whole) * 100 + int(cents.ljust(2, "0"))
    if fen > service.MAX_FEN:
        raise ValueError(gettext("金额不能超过1000万元"))
    return fen


# --- what the page shows --------------------------------------------------------------------

def _may_edit(draft) -> bool:
    return (draft.status in EDITABLE_DRAFT and draft.batch.status == "open"
            and draft.enterprise_id in service.pm_enterprises(current_user, draft.batch.project))


def _review_task(draft) -> HumanTask | None:
    """The open 工资支付表审核 task of this draft that the user may complete."""
    if draft.process_instance_id is None:
        return None
    rows = db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == draft.process_instance_id, HumanTask.status == "open",
        HumanTask.task_key.in_(REVIEW_TASKS))).all()
    return next((row for row in rows if inbox.is_candidate(current_user, row)
                 and row.claimed_by_id in (None, current_user.id)), None)


def _history(draft) -> list[dict]:
    rows = db.session.execute(select(AuditEntry, User.name).outerjoin(User, User.id == AuditEntry.actor_id).where(
        AuditEntry.record_type == "payroll_draft", AuditEntry.record_id == str(draft.id),
        AuditEntry.action.in_(list(HISTORY_LABELS))).order_by(AuditEntry.at, AuditEntry.id)).all()
    return [{"at": entry.at, "action": HISTORY_LABELS[entry.action], "who": name or gettext("系统"),
             "reason": entry.reason or "", "returned": entry.action == "payroll.return"} for entry, name in rows]


def _lines_page(draft):
    """One page of the draft's lines, with their people in the same round trip."""
    query = (select(PayrollLine).options(selectinload(PayrollLine.person)).where(PayrollLine.draft_id == draft.id)
             .order_by(PayrollLine.id))
    return db.paginate(query, page=page_number(), per_page=LINES_PER_PAGE, error_out=False)


def _rows(page, typed: dict | None = None, errors: dict | None = None) -> list[dict]:
    typed, errors = typed or {}, errors or {}
    rows = []
    for n, line in enumerate(page.items, (page.page - 1) * LINES_PER_PAGE + 1):
        person = line.person
        rows.append({
            "n": n, "id": line.id, "name": person.name, "id_number": masked_id(person.id_number),
            "days": line.days, "gross": yuan(line.gross_fen), "deductions": yuan(line.deductions_fen),
            "net": yuan(line.net_fen), "has_card": bool(person.bank_card_number),
            "gross_input": typed.get(("gross", line.id), _input(line.gross_fen)),
            "deductions_input": typed.get(("deductions", line.id), _input(line.deductions_fen)),
            "gross_error": errors.get(("gross", line.id)), "deductions_error": errors.get(("deductions", line.id))})
    return rows


def _input(fen) -> str:
    return "" if fen is None else f"{fen // 100}.{fen % 100:02d}"


def _totals(draft) -> dict:
    people, days, gross, deductions, net, unfilled = db.session.execute(select(
        func.count(PayrollLine.id), func.sum(PayrollLine.days), func.sum(PayrollLine.gross_fen),
        func.sum(PayrollLine.deductions_fen), func.sum(PayrollLine.net_fen),
        func.count(PayrollLine.id).filter(PayrollLine.gross_fen.is_(None)))
        .where(PayrollLine.draft_id == draft.id)).one()
    return {"people": people, "days": days or 0, "gross": yuan(gross or 0), "deductions": yuan(deductions or 0),
            "net": yuan(net or 0), "unfilled": unfilled}


def _without_card(draft) -> list[str]:
    """Who has no bank card (service.missing_cards, as one query): the first 20 names."""
    return list(db.session.scalars(select(Person.name).join(PayrollLine, PayrollLine.person_id == Person.id).where(
        PayrollLine.draft_id == draft.id, or_(Person.bank_card_number.is_(None), Person.bank_card_number == ""))
        .order_by(PayrollLine.id).limit(20)))


def _render(draft, typed=None, errors=None, review_form=None, status=200):
    editable = _may_edit(draft)
    task = _review_task(draft)
    page = _lines_page(draft)
    return render_template(
        "payroll/draft.html", draft=draft, batch=draft.batch, project=draft.batch.project, page=page,
        rows=_rows(page, typed, errors), totals=_totals(draft), editable=editable,
        status_label=DRAFT_STATUS.get(draft.status, draft.status), badge=DRAFT_BADGES.get(draft.status, ""),
        missing=_without_card(draft), history=_history(draft),
        review_task=task, review_form=review_form or (ApprovalForm(formdata=None) if task else None)), status


@bp.route("/<int:draft_id>")
@login_required
def draft(draft_id: int):
    return _render(draft_or_deny(draft_id))


# --- 保存 and 【提交审核】 ------------------------------------------------------------------------

def _read_lines(draft) -> tuple[dict, dict, dict]:
    """The typed amounts per line: (typed text, fen to set, errors), keyed by (kind, line id)."""
    typed, wanted, errors = {}, {}, {}
    for line in draft.lines:
        gross_text = request.form.get(f"gross-{line.id}")
        deductions_text = request.form.get(f"deductions-{line.id}")
        if gross_text is None and deductions_text is None:
            continue  # not on the page that was posted
        typed[("gross", line.id)], typed[("deductions", line.id)] = gross_text or "", deductions_text or ""
        amounts = {}
        for kind, text in (("gross", gross_text), ("deductions", deductions_text)):
            try:
                amounts[kind] = parse_yuan(text)
            except ValueError as error:
                errors[(kind, line.id)] = str(error)
        if errors.get(("gross", line.id)) or errors.get(("deductions", line.id)):
            continue
        gross, deductions = amounts["gross"], amounts["deductions"] or 0
        if gross is None:
            if line.gross_fen is not None:
                errors[("gross", line.id)] = gettext("请填写应发工资")
            elif deductions:
                errors[("gross", line.id)] = gettext("请先填写应发工资")
            continue
        if deductions > gross:
            errors[("deductions", line.id)] = gettext(service.NEGATIVE_NET)
        elif (gross, deductions) != (line.gross_fen, line.deductions_fen or 0):
            wanted[line.id] = (gross, deductions)
    return typed, wanted, errors


def _apply(draft, wanted: dict, errors: dict) -> bool:
    """set_line for every changed line; any refusal is placed on its line and nothing stays."""
    for line_id, (gross, deductions) in wanted.items():
        try:
            service.set_line(current_user, draft, line_id, gross, deductions)
        except Forbidden:
            db.session.rollback()
            abort(403)
        except DomainError as error:
            kind = "deductions" if error.field == "deductions_fen" else "gross"
            if error.field in ("gross_fen", "deductions_fen"):
                errors[(kind, line_id)] = gettext(error.message, **error.params)
            else:
                db.session.rollback()
                flash(gettext(error.message, **error.params), "danger")
                return False
    if errors:
        db.session.rollback()
        return False
    return True


@bp.route("/<int:draft_id>", methods=["POST"])
@login_required
def save(draft_id: int):
    """【保存】 the typed amounts; with action=submit, then 【提交审核】 in the same transaction."""
    draft = draft_or_deny(draft_id)
    if draft.enterprise_id not in service.pm_enterprises(current_user, draft.batch.project):
        abort(403)
    if not _may_edit(draft):
        flash(gettext(service.NOT_EDITABLE), "warning")
        return redirect(url_for(".draft", draft_id=draft.id))
    typed, wanted, errors = _read_lines(draft)
    if errors or not _apply(draft, wanted, errors):
        if errors:
            flash(gettext("有%(num)d处金额填写有误，请修改后重新保存；本次未保存任何修改。", num=len(errors)), "danger")
        return _render(draft, typed, errors, status=422)
    if request.form.get("action") == "submit":
        return _submit(draft, typed)
    db.session.commit()
    flash(gettext("已保存") if wanted else gettext("没有需要保存的修改"), "success" if wanted else "info")
    return redirect(url_for(".draft", draft_id=draft.id, page=page_number() if page_number() > 1 else None))


def _submit(draft, typed: dict):
    returned = draft.status == "returned"
    try:
        service.submit(current_user, draft)
        db.session.commit()
    except TaskConflict:
        db.session.rollback()
        flash(gettext(service.WRONG_STATE), "warning")
        return redirect(url_for(".draft", draft_id=draft.id))
    except WorkflowFailure:
        flash(gettext("已提交，但后续流程处理出错，管理员将尽快处理"), "warning")
        return redirect(url_for(".draft", draft_id=draft.id))
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return _render(draft, typed, status=422)
    flash(gettext("已重新提交审核") if returned else gettext("已提交审核"), "success")
    return redirect(url_for(".draft", draft_id=draft.id))


# --- 工资支付表审核 ------------------------------------------------------------------------------

@bp.route("/<int:draft_id>/review", methods=["POST"])
@login_required
def review(draft_id: int):
    """The reviewer's 同意 / 不同意 (退回, with the reason) on the open review task."""
    draft = draft_or_deny(draft_id)
    task = _review_task(draft)
    if task is None:
        flash(gettext("该工资支付表当前没有待您审核的步骤"), "warning")
        return redirect(url_for(".draft", draft_id=draft.id))
    form = ApprovalForm()
    if not form.validate_on_submit():
        return _render(draft, review_form=form, status=422)
    data = task_data(form)
    try:
        runtime.complete(task, current_user, data)
    except TaskConflict:
        db.session.rollback()
        flash(gettext("该待办已被处理或撤回"), "warning")
    except WorkflowFailure:
        flash(gettext("已提交，但后续流程处理出错，管理员将尽快处理"), "warning")
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
    else:
        flash(gettext("已审核通过") if data["decision"] == "agree" else gettext("已退回编制单位"), "success")
    return redirect(url_for(".draft", draft_id=draft.id))
