"""Service-task handlers of the payroll flows: the draft review (processes/payroll.bpmn)
and the signing and push of a batch (processes/payroll_batch.bpmn). Thin: each calls
one function of app/services/payroll.py, payroll_batch.py or bank_push.py for the subject."""
from app.services import bank_push, payroll_batch
from app.services import payroll as service


def payroll_draft_submitted(params: dict, ctx) -> dict:
    return {"status": service.mark_submitted(ctx.subject["draft_id"], ctx.actor_id).status}


def payroll_draft_sub_approved(params: dict, ctx) -> dict:
    return {"status": service.mark_sub_approved(ctx.subject["draft_id"], ctx.actor_id).status}


def payroll_draft_returned(params: dict, ctx) -> dict:
    return {"status": service.mark_returned(ctx.subject["draft_id"], ctx.actor_id, params.get("comment")).status}


def payroll_draft_approved(params: dict, ctx) -> dict:
    return {"status": service.mark_approved(ctx.subject["draft_id"], ctx.actor_id).status}


def payroll_summary_file(params: dict, ctx) -> dict:
    """生成汇总文件: the PDF of every line, before anyone signs."""
    return {"bytes": len(payroll_batch.make_summary_file(ctx.subject["batch_id"]).document)}


def payroll_signatures_valid(params: dict, ctx) -> dict:
    """After each 去签署: the signatures so far are intact, trusted and the right people's."""
    payroll_batch.check_signatures(ctx.subject["batch_id"], int(params.get("required") or 1))
    return {"ok": True}


def payroll_queue_bank_push(params: dict, ctx) -> dict:
    """排队推送银行: the transfer file and the signed PDF's reference into the outbox, in
    the flow's transaction; the scheduler delivers it (app/services/outbox.py)."""
    return {"message_id": bank_push.enqueue(ctx.subject["batch_id"]).message_id}


HANDLERS: dict = {
    "payroll_draft_submitted": payroll_draft_submitted,
    "payroll_draft_sub_approved": payroll_draft_sub_approved,
    "payroll_draft_returned": payroll_draft_returned,
    "payroll_draft_approved": payroll_draft_approved,
    "payroll_summary_file": payroll_summary_file,
    "payroll_signatures_valid": payroll_signatures_valid,
    "payroll_queue_bank_push": payroll_queue_bank_push,
    # the step's name before the outbox: instances started on an older version of the
    # diagram reach it under this name, and queue the push the same way
    "payroll_push_to_bank": payroll_queue_bank_push,
}
