"""The script environment of every diagram: scripts and conditions are compiled by the
policy of script_policy.py (RestrictedPython's, stricter), so every attribute, item,
call and operator they use passes a guard of script_guards.py, which allows only named
attributes of plain types; they see only the builtins below, the registered helpers
and task data; and each evaluation runs within the limits of script_limits.py.

SpiffWorkflow eval()s conditions and exec()s scripts with full builtins, and a check of
names alone was escaped (`gi_frame.f_back.f_globals`): here nothing reaches a frame.
"""
import builtins
import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.workflow import script_limits
from app.workflow.registry import REGISTRY
from app.workflow.script_guards import GUARDS
from app.workflow.script_errors import SandboxViolation
from app.workflow.script_policy import check_source, compiled

__all__ = ["SandboxViolation", "check_source", "SandboxEnvironment", "SandboxScriptEngine", "ENGINE",
           "CallContext", "CURRENT_CALL", "SAFE_BUILTINS"]

SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "frozenset", "int",
    "isinstance", "len", "list", "map", "max", "min", "reversed", "round", "set", "sorted", "str", "tuple",
    "zip", "True", "False", "None", "ValueError", "KeyError", "Exception",
)} | {"range": script_limits.bounded_range, "sum": script_limits.numeric_sum,
      "Decimal": Decimal, "ROUND_HALF_UP": ROUND_HALF_UP, "date": date, "datetime": datetime,
      "timedelta": timedelta}


@dataclass(frozen=True)
class CallContext:
    """What a service-task handler learns about the instance calling it."""

    instance_id: int | None
    process_key: str
    subject: dict
    actor_id: int | None
    task_key: str


CURRENT_CALL: ContextVar[dict] = ContextVar("workflow_call")


class SandboxEnvironment(BasePythonScriptEngineEnvironment):
    def _globals(self, external_context) -> dict:
        # the guards last: neither task data nor a helper can replace them
        return {"__builtins__": SAFE_BUILTINS, **REGISTRY.helpers, **(external_context or {}), **GUARDS}

    def evaluate(self, expression, context, external_context=None):
        scope = {**context, **self._globals(external_context)}
        code = compiled(expression.strip(), "eval")
        return script_limits.within_limits(lambda: script_limits.sized(eval(code, scope)))  # noqa: S307 — guarded

    def execute(self, script, context, external_context=None):
        reserved = self._globals(external_context)
        scope = {**context, **reserved}
        code = compiled(script, "exec")

        def run():
            exec(code, scope)  # noqa: S102 — guarded
            found = {key: value for key, value in scope.items() if key not in reserved and not callable(value)}
            for value in found.values():  # the task data is serialized with the instance
                script_limits.sized(value)
            return found

        results = script_limits.within_limits(run)
        for key in list(context):
            if key not in scope:
                del context[key]
        context.update(results)
        return True

    def call_service(self, context, operation_name=None, operation_params=None, **kwargs):
        handler = REGISTRY.handlers.get(operation_name)
        if handler is None:
            raise SandboxViolation(f"no service handler named '{operation_name}'")
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        call = CURRENT_CALL.get({})
        instance_id = call.get("instance_id")
        if callable(instance_id):  # a new instance gets its row only when a handler needs its id
            instance_id = instance_id()
        ctx = CallContext(instance_id, call.get("process_key", ""), call.get("subject", {}),
                          call.get("actor_id"), call.get("task_key", ""))
        return json.dumps(handler(params, ctx) or {})


class SandboxScriptEngine(PythonScriptEngine):
    def __init__(self):
        super().__init__(environment=SandboxEnvironment())

    def validate(self, expression):
        check_source(expression)

    def call_service(self, task, **kwargs):
        # SpiffWorkflow 3.2.0's own call_service fails with NameError on handler errors.
        token = CURRENT_CALL.get({})
        CURRENT_CALL.set({**token, "task_key": task.task_spec.bpmn_id})
        return self.environment.call_service(task.data, **kwargs)


ENGINE = SandboxScriptEngine()
