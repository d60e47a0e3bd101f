"""Payroll (API.md "Payroll"): settlement day, bank exchange batches, drafts, lines,
submission for review."""
from flask import Response, current_app, g, request
from flask_babel import gettext

from app.api import bp
from app.api.lookup import visible
from app.api.problems import ApiProblem
from app.api.registry import endpoint
from app.extensions import db
from app.forms.payroll import BatchForm, DraftForm, LineForm, SettlementDayForm, SummaryForm
from app.forms.tasks import SignatureForm
from app.models import BankBatch, PayrollDraft, Project
from app.services import audit, bank, bank_push, bank_receipts, bank_settlement, bank_status_report, roles
from app.services import payroll as service
from app.services import payroll_batch as batch_service
from app.workflow.errors import WorkflowFailure

XML_TYPES = ("application/xml", "text/xml")  # a receipt as ISO 20022 pain.002


def _project(pid: int) -> Project:
    return visible(Project, pid, "project.view")


def _line_json(line) -> dict:
    return {"id": line.id, "person_id": line.person_id, "name": line.person.name, "days": line.days,
            "gross_fen": line.gross_fen, "deductions_fen": line.deductions_fen, "net_fen": line.net_fen,
            "has_bank_card": bool(line.person.bank_card_number), "pay_status": line.pay_status}


def _draft_json(d: PayrollDraft) -> dict:
    return {"id": d.id, "batch_id": d.batch_id, "project_id": d.project_id, "enterprise_id": d.enterprise_id,
            "status": d.status, "review_comment": d.review_comment,
            "lines": [_line_json(line) for line in d.lines],
            "total_net_fen": sum(line.net_fen or 0 for line in d.lines)}


def _batch_json(b: BankBatch) -> dict:
    return {"id": b.id, "batch_no": b.batch_no, "project_id": b.project_id, "pay_month": b.pay_month,
            "status": b.status, "period_start": b.period_start.isoformat(), "period_end": b.period_end.isoformat(),
            "pay_date": b.pay_date.isoformat() if b.pay_date else None,
            "drafts": [{"id": d.id, "enterprise_id": d.enterprise_id, "status": d.status} for d in b.drafts],
            "left_out": b.left_out or [], "delivery": _delivery_json(bank_push.message_of(b.id))}


def _delivery_json(message) -> dict | None:
    """The push through the outbox: pending (待推送), delivered (已推送) or failed (推送失败)."""
    if message is None:
        return None
    error = gettext(message.last_error, **(message.last_error_params or {})) if message.last_error else None
    return {"message_id": message.message_id, "state": message.state, "attempts": message.attempts,
            "last_error": error, "next_attempt_at": _iso(message.next_attempt_at),
            "delivered_at": _iso(message.delivered_at)}


def _iso(moment) -> str | None:
    return moment.isoformat() if moment else None


def _visible_draft(draft_id: int) -> PayrollDraft:
    """The drafting enterprise's staff and PM, and the GC side of the project."""
    draft = db.session.get(PayrollDraft, draft_id)
    if draft is None:
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    project = draft.batch.project
    user = g.api_user
    mine = {g_.enterprise_id for g_ in user.grants
            if (g_.role in roles.ENTERPRISE_ROLES and g_.project_id is None)
            or (g_.role == roles.PROJECT_MANAGER and g_.project_id == project.id)}
    if not ({draft.enterprise_id, project.gc_enterprise_id} & mine) and not roles.has_role(user, roles.ADMIN):
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return draft


@endpoint(bp, "/projects/<int:pid>/payroll-settings", "PUT", summary="The settlement day (GC PM)",
          tag="payroll", form=SettlementDayForm,
          responses={200: {"settlement_day": "integer|string"}, 403: None, 404: None, 422: None})
def payroll_settings(pid, form):
    project = _project(pid)
    day = service.set_settlement_day(g.api_user, project, form.settlement_day.data)
    db.session.commit()
    return {"settlement_day": int(day) if day.isdigit() else day}


@endpoint(bp, "/projects/<int:pid>/bank-batches", "POST", summary="【新增银行交换批次号】 (GC PM)",
          tag="payroll", form=BatchForm,
          responses={201: {"id": "integer", "batch_no": "string"}, 403: None, 404: None, 409: None, 422: None})
def create_batch(pid, form):
    project = _project(pid)
    batch = service.create_batch(g.api_user, project, form.pay_month.data)
    db.session.commit()
    return _batch_json(batch), 201


@endpoint(bp, "/bank-batches/<int:batch_id>", "GET", summary="A bank exchange batch (GC staff)",
          tag="payroll", responses={200: {"status": "string", "batch_no": "string"}, 404: None})
def get_batch(batch_id):
    batch = db.session.get(BankBatch, batch_id)
    if batch is None or not service.may_see_batch(g.api_user, batch):
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return _batch_json(batch)


@endpoint(bp, "/projects/<int:pid>/payroll-drafts", "POST",
          summary="【新增编制】: a draft filled from the enterprise's sign-ins (PM of the GC or a subcontractor)",
          tag="payroll", form=DraftForm,
          responses={201: {"id": "integer", "lines": "array"}, 403: None, 404: None, 409: None, 422: None})
def create_draft(pid, form):
    project = _project(pid)
    draft = service.create_draft(g.api_user, project, form.batch_id.data, form.pay_month.data,
                                 form.enterprise_id.data)
    db.session.commit()
    return _draft_json(draft), 201


@endpoint(bp, "/payroll-drafts/<int:draft_id>", "GET", summary="A draft with its lines",
          tag="payroll", responses={200: {"id": "integer", "status": "string", "lines": "array"}, 404: None})
def get_draft(draft_id):
    return _draft_json(_visible_draft(draft_id))


@endpoint(bp, "/payroll-drafts/<int:draft_id>/lines/<int:line_id>", "PUT",
          summary="应发 and 扣款 of one line, in fen (the drafting PM, while drafting)", tag="payroll", form=LineForm,
          responses={200: {"net_fen": "integer"}, 403: None, 404: None, 409: None, 422: None})
def set_line(draft_id, line_id, form):
    draft = _visible_draft(draft_id)
    line = service.set_line(g.api_user, draft, line_id, form.gross_fen.data, form.deductions_fen.data or 0)
    db.session.commit()
    return _line_json(line)


@endpoint(bp, "/payroll-drafts/<int:draft_id>/submit", "POST",
          summary="【提交审核】 (the drafting PM). Four eyes: 422 naming the unit when nobody but the drafter "
                  "could review it there (an HR administrator must be added first)",
          tag="payroll", responses={200: {"status": "string"}, 403: None, 404: None, 409: None, 422: None})
def submit_draft(draft_id):
    draft = _visible_draft(draft_id)
    service.submit(g.api_user, draft)
    db.session.commit()
    return _draft_json(draft)


# --- the second half: summary, signatures, the bank -------------------------------------------

def _batch_for_gc(batch_id: int) -> BankBatch:
    batch = db.session.get(BankBatch, batch_id)
    if batch is None or not service.may_see_batch(g.api_user, batch):
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return batch


@endpoint(bp, "/bank-batches/<int:batch_id>/summary", "POST",
          summary="【生成汇总表】 and the summary file (GC PM only; every draft GC-approved, else 409). A unit whose "
                  "workers signed in during the pay period but that has no table in the batch → 409 naming it, "
                  "unless its id is in `without` (then recorded, audited and printed as 本期未纳入); an id in "
                  "`without` that is no such unit → 422",
          tag="payroll", form=SummaryForm,
          responses={201: {"status": "string", "left_out": "array"}, 403: None, 404: None, 409: None, 422: None})
def summarize(batch_id, form):
    batch = _batch_for_gc(batch_id)
    batch_service.summarize(g.api_user, batch, form.pay_date.data, form.without.data)
    db.session.commit()
    return _batch_json(batch), 201


@endpoint(bp, "/bank-batches/<int:batch_id>/summary.pdf", "GET",
          summary="The summary PDF as signed so far (GC PM, GC legal rep / HR)", tag="payroll",
          responses={200: None, 404: None})
def summary_pdf(batch_id):
    batch = _batch_for_gc(batch_id)
    if batch.document is None:
        raise ApiProblem(404, gettext("该批次尚未生成汇总文件"))
    audit.record(g.api_user, "payroll.download", "bank_batch", batch.id)  # ID numbers inside: access is audited
    db.session.commit()
    return Response(batch.document, mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="{batch.batch_no}.pdf"'})


@endpoint(bp, "/bank-batches/<int:batch_id>/signatures", "POST",
          summary="【去签署】: GC PM first, then the GC legal rep; multipart certificate (PKCS#12) + password. "
                  "The second signature queues the push: the batch is `signed` with `delivery.state` pending "
                  "until the outbox delivers it (then `pushed`); a bank that is down never fails this call",
          tag="payroll", form=SignatureForm, body="multipart",
          responses={201: {"status": "string"}, 404: None, 409: None, 422: None, 503: None})
def sign(batch_id, form):
    batch = _batch_for_gc(batch_id)
    try:
        batch_service.sign(g.api_user, batch, form.certificate.data.read(), form.password.data)
    except WorkflowFailure:  # a step after the signature (not the bank: it is not called here); kept for retry
        raise ApiProblem(503, gettext("签署已完成，但推送银行时出错，管理员将尽快处理")) from None
    db.session.refresh(batch)
    return _batch_json(batch), 201


@endpoint(bp, "/bank-batches/<int:batch_id>/follow-up", "POST",
          summary="【重新发送】: a follow-up batch of the lines the bank last said failed and no batch re-sent "
                  "(GC PM); none → 409", tag="payroll",
          responses={201: {"id": "integer", "batch_no": "string"}, 403: None, 404: None, 409: None})
def follow_up(batch_id):
    batch = _batch_for_gc(batch_id)
    follow = bank_settlement.follow_up(g.api_user, batch)
    db.session.commit()
    return _batch_json(follow), 201


@endpoint(bp, "/bank/receipts", "POST", auth=False,
          summary="The bank's receipt, JSON or ISO 20022 pain.002 (application/xml), HMAC-SHA256 of the body in "
                  "X-Bank-Signature: lines paid or failed. A receipt_id seen before changes nothing (200); "
                  "a paid line is final (409)",
          tag="payroll", responses={200: {"batch_no": "string", "status": "string"}, 400: None, 401: None,
                                    404: None, 409: None, 422: None})
def bank_receipt():
    body = request.get_data(cache=False)
    key = current_app.config.get("BANK_HMAC_KEY") or ""
    if not bank.verify_receipt_signature(body, request.headers.get(bank.SIGNATURE_HEADER), key.encode()):
        raise ApiProblem(401, gettext("回执签名无效"))
    parse = bank_status_report.parse_status_report if request.mimetype in XML_TYPES else bank_receipts.parse_receipt
    try:
        receipt = parse(body)
    except bank_receipts.InvalidReceipt as error:
        if error.field == "body":
            raise ApiProblem(400, gettext("回执格式错误"), errors={"body": str(error)}) from None
        raise ApiProblem(422, gettext("回执缺少字段或字段无效：%(field)s", field=error.field),
                         errors={error.field: str(error)}) from None
    batch = bank_settlement.record_receipt(receipt)
    db.session.commit()
    return {"batch_no": batch.batch_no, "status": batch.status}


@endpoint(bp, "/me/wages", "GET", summary="工资条: the caller's own payroll lines, newest month first",
          tag="payroll", responses={200: {"items": "array"}})
def my_wages():
    person = g.api_user.person
    lines = batch_service.wage_lines(person) if person is not None else []
    return {"items": [{"pay_month": line.draft.batch.pay_month, "batch_no": line.draft.batch.batch_no,
                       "project": line.draft.batch.project.name, "enterprise": line.draft.enterprise.name,
                       "days": line.days, "gross_fen": line.gross_fen, "deductions_fen": line.deductions_fen,
                       "net_fen": line.net_fen, "pay_status": line.pay_status} for line in lines]}
