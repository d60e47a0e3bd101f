"""Service-task handlers of processes/allocation_confirmation.bpmn. Thin: each calls one
function of app/services/allocation.py for the subject's allocation; the flow's run is
the transaction. After a user task, ctx.actor_id is the user who completed it; at the
start it is the allocator."""
from app.services import allocation as service


def _allocation_id(ctx) -> int:
    return ctx.subject["allocation_id"]


def allocation_plan(params: dict, ctx) -> dict:
    """{"level1_auto", "gc_auto", "needs_gc"}: the gateways route on it."""
    return service.plan(_allocation_id(ctx))


def allocation_level1_passed(params: dict, ctx) -> dict:
    """项目人员接收 done, or satisfied at once (`auto`: the allocator is the approver)."""
    allocation = service.record_level(_allocation_id(ctx), "level1", ctx.actor_id, bool(params.get("auto")))
    return {"status": allocation.status}


def allocation_gc_passed(params: dict, ctx) -> dict:
    """The GC's PM confirmed, or satisfied at once (`auto`)."""
    allocation = service.record_level(_allocation_id(ctx), "gc", ctx.actor_id, bool(params.get("auto")))
    return {"status": allocation.status}


def allocation_confirmed(params: dict, ctx) -> dict:
    return {"status": service.confirm(_allocation_id(ctx)).status}


def allocation_rejected(params: dict, ctx) -> dict:
    """Refused at either level; the `comment` parameter is the reason."""
    return {"status": service.reject(_allocation_id(ctx), ctx.actor_id, params.get("comment")).status}


HANDLERS: dict = {
    "allocation_plan": allocation_plan,
    "allocation_level1_passed": allocation_level1_passed,
    "allocation_gc_passed": allocation_gc_passed,
    "allocation_confirmed": allocation_confirmed,
    "allocation_rejected": allocation_rejected,
}
