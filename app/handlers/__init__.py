"""Functions BPMN service tasks call by name, lane resolvers, and what each process's
subject becomes when an administrator terminates it. Thin: each calls one service.
`install()` hands them to the engine adapter's registry at start-up."""
from app.forms.tasks import TASK_FORMS
from app.handlers import allocation, employment, payroll, separation
from app.handlers.lanes import LANES
from app.handlers.subjects import describe
from app.handlers.terminations import TERMINATIONS
from app.workflow.registry import install as install_in_registry

# service-task name → function(params: dict, ctx: CallContext) -> dict | None
HANDLERS: dict = {**employment.HANDLERS, **allocation.HANDLERS, **separation.HANDLERS, **payroll.HANDLERS}


def install():
    install_in_registry(handlers=HANDLERS, lanes=LANES, forms=TASK_FORMS, terminations=TERMINATIONS,
                        describe_subject=describe)
