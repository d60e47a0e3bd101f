"""The script environment of every diagram: scripts and conditions are checked
before they run, and see only safe builtins, registered helpers and task data.

SpiffWorkflow eval()s conditions and exec()s scripts with full builtins; restricting
``__builtins__`` alone is not enough (``().__class__.__base__.__subclasses__()``
reaches ``Popen``), so the syntax tree is checked first: no imports, and no name or
attribute beginning with ``_``. The resources a script may use are limited by
script_limits.py: steps, and the size of what it builds.
"""
import ast
import builtins
import json
import re
from contextvars import ContextVar
from dataclasses import dataclass
from functools import lru_cache

from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.script_engine.python_environment import BasePythonScriptEngineEnvironment

from app.workflow import script_limits
from app.workflow.registry import REGISTRY

SAFE_BUILTINS = {name: getattr(builtins, name) for name in (
    "abs", "all", "any", "bool", "dict", "divmod", "enumerate", "filter", "float", "int", "isinstance",
    "len", "list", "map", "max", "min", "range", "reversed", "round", "set", "sorted", "str", "sum",
    "tuple", "zip", "True", "False", "None", "ValueError", "KeyError", "Exception",
)} | script_limits.BUILTINS
FORBIDDEN_NAMES = {"eval", "exec", "compile", "open", "globals", "locals", "vars", "getattr", "setattr",
                   "delattr", "input", "breakpoint", "help", "memoryview", "type", "object", "super"}
# str.format walks attributes and items inside the string, where the syntax check cannot
# see them: "{0.__self__.__loader__...}".format(len) reaches the app's SECRET_KEY.
# f-strings and % formatting remain (their attribute access is in the syntax tree).
# Padding methods build a string as wide as asked in one call (script_limits.py).
FORBIDDEN_ATTRIBUTES = {"format", "format_map", "ljust", "rjust", "center", "zfill", "expandtabs"}
MAX_FORMAT_WIDTH = 9999


class SandboxViolation(Exception):
    def __init__(self, message: str, line: int | None = None):
        super().__init__(message if line is None else f"{message} (line {line})")
        self.reason, self.line = message, line


def check_source(source: str, mode: str = "exec") -> ast.AST:
    """The script's syntax tree; SandboxViolation (or SyntaxError) if it may not run."""
    tree = ast.parse(source, mode=mode)
    for node in ast.walk(tree):
        line = getattr(node, "lineno", None)
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            raise SandboxViolation("imports are not allowed", line)
        if isinstance(node, ast.Name) and (node.id.startswith("_") or node.id in FORBIDDEN_NAMES):
            raise SandboxViolation(f"name '{node.id}' is not allowed", line)
        if isinstance(node, ast.Attribute) and (node.attr.startswith("_") or node.attr in FORBIDDEN_ATTRIBUTES):
            raise SandboxViolation(f"attribute '{node.attr}' is not allowed", line)
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            raise SandboxViolation("global/nonlocal are not allowed", line)
        if isinstance(node, ast.keyword) and node.arg and node.arg.startswith("_"):
            raise SandboxViolation(f"keyword '{node.arg}' is not allowed", line)
        if isinstance(node, ast.arg) and node.arg.startswith("_"):
            raise SandboxViolation(f"argument '{node.arg}' is not allowed", line)
        if isinstance(node, ast.FormattedValue) and node.format_spec is not None:
            _check_format_spec(node.format_spec, line)
    return tree


def _check_format_spec(spec: ast.JoinedStr, line) -> None:
    """f"{x:>8}" is fine; a computed spec or a width beyond MAX_FORMAT_WIDTH is not."""
    for part in spec.values:
        if not isinstance(part, ast.Constant):
            raise SandboxViolation("computed format specifications are not allowed", line)
        if any(int(n) > MAX_FORMAT_WIDTH for n in re.findall(r"\d+", str(part.value))):
            raise SandboxViolation(f"format widths above {MAX_FORMAT_WIDTH} are not allowed", line)


@lru_cache(maxsize=2048)
def _compiled(source: str, mode: str):
    tree = script_limits.guarded(check_source(source, mode))
    return compile(tree, script_limits.SCRIPT_FILE, mode)


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
        return {"__builtins__": SAFE_BUILTINS, **REGISTRY.helpers, **(external_context or {}),
                **script_limits.HELPERS}

    def evaluate(self, expression, context, external_context=None):
        scope = self._globals(external_context)
        scope.update(context)
        scope.update(script_limits.HELPERS)
        code = _compiled(expression.strip(), "eval")
        return script_limits.sized(script_limits.within_steps(lambda: eval(code, scope)))  # noqa: S307 — checked

    def execute(self, script, context, external_context=None):
        reserved = self._globals(external_context)
        scope = dict(context)
        scope.update(reserved)
        code = _compiled(script, "exec")
        script_limits.within_steps(lambda: exec(code, scope))  # noqa: S102 — checked above
        results = {key: value for key, value in scope.items() if key not in reserved and not callable(value)}
        for value in results.values():  # the task data is serialized with the instance
            script_limits.sized(value)
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
        ctx = CallContext(call.get("instance_id"), call.get("process_key", ""), call.get("subject", {}),
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
