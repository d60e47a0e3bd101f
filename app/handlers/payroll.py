"""Service-task handlers of the draft review flow (processes/payroll.bpmn). Thin: each
calls one function of app/services/payroll.py for the subject's draft."""
from app.services import payroll as service


def payroll_draft_submitted(params: dict, ctx) -> dict:
    return {"status": service.mark_submitted(ctx.subject["draft_id"]).status}


def payroll_draft_sub_approved(params: dict, ctx) -> dict:
    return {"status": service.mark_sub_approved(ctx.subject["draft_id"], ctx.actor_id).status}


def payroll_draft_returned(params: dict, ctx) -> dict:
    return {"status": service.mark_returned(ctx.subject["draft_id"], ctx.actor_id, params.get("comment")).status}


def payroll_draft_approved(params: dict, ctx) -> dict:
    return {"status": service.mark_approved(ctx.subject["draft_id"], ctx.actor_id).status}


HANDLERS: dict = {
    "payroll_draft_submitted": payroll_draft_submitted,
    "payroll_draft_sub_approved": payroll_draft_sub_approved,
    "payroll_draft_returned": payroll_draft_returned,
    "payroll_draft_approved": payroll_draft_approved,
}
