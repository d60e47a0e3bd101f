"""Service-task handlers of the resignation and dismissal flows. Thin: each calls one
function of app/services/separation.py for the subject's separation."""
from app.services import separation as service


def resignation_completed(params: dict, ctx) -> dict:
    """Ends the resignation: `by` is "enterprise" (it agreed) or "person" (【立即离职】)."""
    return {"status": service.complete_resignation(ctx.subject["separation_id"], ctx.actor_id,
                                                   params.get("by")).status}


def dismissal_completed(params: dict, ctx) -> dict:
    return {"status": service.complete_dismissal(ctx.subject["separation_id"], ctx.actor_id).status}


def dismissal_declined(params: dict, ctx) -> dict:
    return {"status": service.decline_dismissal(ctx.subject["separation_id"], ctx.actor_id,
                                                params.get("comment")).status}


HANDLERS: dict = {
    "resignation_completed": resignation_completed,
    "dismissal_completed": dismissal_completed,
    "dismissal_declined": dismissal_declined,
}
