"""Payroll (API.md "Payroll"): settlement day, bank exchange batches, drafts, lines,
submission for review."""
from flask import g
from flask_babel import gettext

from app.api import bp
from app.api.lookup import visible
from app.api.problems import ApiProblem
from app.api.registry import endpoint
from app.extensions import db
from app.forms.payroll import BatchForm, DraftForm, LineForm, SettlementDayForm
from app.models import BankBatch, PayrollDraft, Project
from app.services import payroll as service
from app.services import roles


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
            "drafts": [{"id": d.id, "enterprise_id": d.enterprise_id, "status": d.status} for d in b.drafts]}


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
          responses={200: {"settlement_day": "string"}, 403: None, 404: None, 422: None})
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


@endpoint(bp, "/payroll-drafts/<int:draft_id>/submit", "POST", summary="【提交审核】 (the drafting PM)",
          tag="payroll", responses={200: {"status": "string"}, 403: None, 404: None, 409: None, 422: None})
def submit_draft(draft_id):
    draft = _visible_draft(draft_id)
    service.submit(g.api_user, draft)
    db.session.commit()
    return _draft_json(draft)
