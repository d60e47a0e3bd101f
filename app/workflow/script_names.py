"""A static name check of a diagram's scripts and conditions: a name that is neither a
helper nor a builtin the sandbox offers, nor set anywhere in the diagram (a script's
assignment, a service task's result, a form's field, a message's variable), nor data the
process starts with (as its test cases start it), is most likely a typo that would stop
the instance as a NameError when it is reached.

A warning, not a refusal: data may come from elsewhere (a message's payload), and
"set anywhere" is not "set earlier on every path" — a first approximation that never
refuses a diagram that runs.
"""
import ast

from flask_babel import gettext

from app.common.i18n import N_
from app.workflow.elements import BPMN, SPIFF, describe, expressions
from app.workflow.problems import WARNING, Problem, at, drawn
from app.workflow.sandbox import SAFE_BUILTINS

UNKNOWN_NAME = N_("%(element)s 用到的名称 %(name)s 既不是辅助函数，也没有在流程中赋值、由表单填写或由服务任务返回："
                  "可能是笔误，运行到这里时流程会出错（若它来自流程的启动数据，可忽略此提示）")
# attributes of the engine's extensions that name a variable the process then holds
_VARIABLE_ATTRIBUTES = ("resultVariable", "messageVariable", "variable", "variableName", "name")


def check(running, file_name: str, registry, start_names=()) -> list[Problem]:
    sources = list(expressions(running))
    known = set(SAFE_BUILTINS) | set(registry.helpers) | set(start_names) | _set_in_diagram(running, registry)
    for _element, source, mode in sources:
        known |= _assigned(source, mode)
    problems, seen = [], set()
    for element, source, mode in sources:
        owner = drawn(element)
        for name in sorted(_read(source, mode) - known):
            if (owner.get("id"), name) not in seen:
                seen.add((owner.get("id"), name))
                problems.append(at(file_name, element, gettext(UNKNOWN_NAME, element=describe(owner), name=name),
                                   WARNING))
    return problems


def _tree(source, mode):
    try:
        return ast.parse(source, mode=mode) if source else None
    except SyntaxError:  # reported by parsing._check_source
        return None


def _assigned(source, mode) -> set[str]:
    tree = _tree(source, mode)
    if tree is None:
        return set()
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del))}
    names |= {a.arg for n in ast.walk(tree) if isinstance(n, ast.arguments)
              for a in [*n.posonlyargs, *n.args, *n.kwonlyargs, n.vararg, n.kwarg] if a is not None}
    names |= {n.name for n in ast.walk(tree) if isinstance(n, ast.ExceptHandler) and n.name}
    return names


def _read(source, mode) -> set[str]:
    tree = _tree(source, mode)
    if tree is None:
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def _set_in_diagram(running, registry) -> set[str]:
    """Names the diagram gives data otherwise than by a script: forms' fields, service
    tasks' results, messages' and events' variables, data objects, loop variables."""
    names = set()
    for process in running:
        for el in process.iter():
            if not isinstance(el.tag, str):
                continue
            if el.tag.startswith(f"{{{SPIFF}}}"):
                names |= {el.get(a) for a in _VARIABLE_ATTRIBUTES if el.get(a)}
                if el.tag == f"{{{SPIFF}}}property" and el.get("name") == "formKey":
                    names |= form_fields(registry.forms.get(el.get("value")))
            elif el.tag in (f"{{{BPMN}}}dataObject", f"{{{BPMN}}}dataObjectReference", f"{{{BPMN}}}dataInput",
                            f"{{{BPMN}}}dataOutput"):
                names |= {v for v in (el.get("id"), el.get("name")) if v}
            elif el.tag in (f"{{{BPMN}}}loopDataInputRef", f"{{{BPMN}}}loopDataOutputRef"):
                names.add((el.text or "").strip())
            elif el.tag in (f"{{{BPMN}}}inputDataItem", f"{{{BPMN}}}outputDataItem"):
                names |= {v for v in (el.get("id"), el.get("name")) if v}
    return names


def form_fields(form) -> set[str]:
    """A registered form's field names: a WTForms class's fields, or the FIELD_NAMES the
    checking child process is given (it imports no form)."""
    if form is None:
        return set()
    declared = getattr(form, "FIELD_NAMES", None)
    if declared is not None:
        return set(declared)
    return {name for name in dir(form) if not name.startswith("_")
            and hasattr(getattr(form, name, None), "field_class")}
