"""Service-task handlers of the hire consent flow (processes/hire_consent.bpmn).
Thin: each calls one function of app/services/employment.py for the subject's
employment; the flow's run is the transaction."""
from app.services import employment as service


def _employment_id(ctx) -> int:
    return ctx.subject["employment_id"]


def employment_consented(params: dict, ctx) -> dict:
    """The person agreed: now the enterprise's 聘用登记."""
    return {"status": service.consent_given(_employment_id(ctx), ctx.actor_id).status}


def employment_declined(params: dict, ctx) -> dict:
    """The person declined (拒绝); an optional `comment` parameter is kept as the reason."""
    return {"status": service.consent_declined(_employment_id(ctx), ctx.actor_id, params.get("comment")).status}


def employment_expired(params: dict, ctx) -> dict:
    """Nobody answered in time (the boundary timer); the flow acts, no user."""
    employment = service.consent_expired(_employment_id(ctx))
    return {"status": employment.status if employment is not None else None}


def employment_registered(params: dict, ctx) -> dict:
    """聘用登记 done: the terms come from the task's form data, passed as parameters."""
    employment = service.register(_employment_id(ctx), ctx.actor_id, params.get("identity"), params.get("job_type"),
                                  params.get("contract_start"), params.get("wage_standard_fen"))
    return {"status": employment.status}


HANDLERS: dict = {
    "employment_consented": employment_consented,
    "employment_declined": employment_declined,
    "employment_expired": employment_expired,
    "employment_registered": employment_registered,
}
