"""Reading a BPMN file into a spec, and every check a definition must pass before it
may run: the BPMN schema, every script and condition (compiled by the sandbox's
policy), every handler name, form key and lane role (registered), every constant timer
expression (parsed), and call activities that would call themselves. Problems name the
file, element id and line.

Pure: no database and no Flask, so that a child process (isolation.py) can check a
diagram nobody has deployed yet without any of the server's secrets.
"""
import ast
import re
from dataclasses import dataclass

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask

from app.workflow.registry import REGISTRY
from app.workflow.sandbox import SandboxViolation, check_source

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}


@dataclass
class Problem:
    file: str
    element_id: str
    line: int | None
    message: str

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} [{self.element_id or '-'}] {self.message}"


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


@dataclass
class Parsed:
    key: str
    name: str
    spec: object
    subprocess_specs: dict


def parse(xml: bytes | str, file_name: str = "upload.bpmn") -> Parsed:
    """Parses and fully validates one diagram; raises DefinitionError."""
    data = xml.encode() if isinstance(xml, str) else xml
    try:
        tree = _tree(data)
    except etree.XMLSyntaxError as error:
        raise DefinitionError([Problem(file_name, "", error.lineno, f"XML syntax error: {error.msg}")]) from None
    processes = tree.findall(f"{{{BPMN}}}process")
    executable = _executable(processes)
    if len(executable) != 1:
        raise DefinitionError([Problem(file_name, "", None, "a file must hold exactly one executable process")])
    key = executable[0].get("id")
    cycle = _calling_itself(processes, key, file_name)
    if cycle:
        raise DefinitionError(cycle)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(tree, filename=file_name)
        spec = parser.get_spec(key)
        subprocess_specs = parser.get_subprocess_specs(key)
    except ValidationException as error:
        line = error.line_number if isinstance(error.line_number, int) else None
        raise DefinitionError([Problem(file_name, error.id or "", line, str(error).split("\n")[0])]) from None
    problems = _check_expressions(tree, file_name) + _check_registered(tree, spec, subprocess_specs, file_name)
    if problems:
        raise DefinitionError(problems)
    return Parsed(key, executable[0].get("name") or key, spec, subprocess_specs)


def _tree(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))


def _executable(processes) -> list:
    return [p for p in processes if p.get("isExecutable", "true").lower() == "true"]


def process_key(xml: bytes | str) -> str | None:
    """The id of the file's one executable process, without checking anything else
    (None if there is no such one process)."""
    try:
        executable = _executable(_tree(xml.encode() if isinstance(xml, str) else xml).findall(f"{{{BPMN}}}process"))
    except etree.XMLSyntaxError:
        return None
    return executable[0].get("id") if len(executable) == 1 else None


def _calling_itself(processes, key: str, file_name: str) -> list[Problem]:
    """A call activity that calls its own process, directly or through others, would
    nest subprocesses without end as it runs: refused before anything runs."""
    calls = {p.get("id"): list(p.iter(f"{{{BPMN}}}callActivity")) for p in processes}
    problems, path = [], [key]

    def visit(process_id):
        for activity in calls.get(process_id, []):
            called = activity.get("calledElement")
            if called in path:
                chain = " → ".join([*path[path.index(called):], called])
                problems.append(_problem(file_name, activity, f"call activity '{activity.get('id')}' calls "
                                         f"process '{called}' again ({chain}): a process may not call itself, "
                                         "directly or through others"))
            elif called in calls:
                path.append(called)
                visit(called)
                path.pop()

    visit(key)
    return problems


def _owner(element):
    """The nearest ancestor (or self) with an id: the element a problem belongs to."""
    while element is not None and element.get("id") is None:
        element = element.getparent()
    return element


def _problem(file_name, element, message) -> Problem:
    owner = _owner(element)
    return Problem(file_name, owner.get("id") if owner is not None else "", element.sourceline, message)


def _check_source(file_name, element, source, mode) -> list[Problem]:
    try:
        check_source(source, mode)
        compile(source, "<string>", mode)
    except SandboxViolation as error:
        return [_problem(file_name, element, f"refused by the sandbox: {error.reason}")]
    except SyntaxError as error:
        return [_problem(file_name, element, f"Python syntax error: {error.msg}")]
    return []


def _check_expressions(tree, file_name) -> list[Problem]:
    problems = []
    for el in tree.iterfind(".//bpmn:script", NS):
        problems += _check_source(file_name, el, el.text or "", "exec")
    for tag in ("preScript", "postScript"):
        for el in tree.iterfind(f".//spiffworkflow:{tag}", NS):
            problems += _check_source(file_name, el, el.text or "", "exec")
    for el in tree.iterfind(".//bpmn:conditionExpression", NS):
        problems += _check_source(file_name, el, (el.text or "").strip(), "eval")
    for el in tree.iterfind(".//spiffworkflow:parameter", NS):
        problems += _check_source(file_name, el, el.get("value", ""), "eval")
    for tag in ("timeDuration", "timeDate", "timeCycle"):
        for el in tree.iterfind(f".//bpmn:{tag}", NS):
            source = (el.text or "").strip()
            found = _check_source(file_name, el, source, "eval")
            problems += found or _check_timer(file_name, el, tag, source)
    return problems


# A bare PT24H is read as a variable name and fails only when the timer is reached.
_ISO_LIKE = re.compile(r"P(\d+[YMWD])*(T(\d+[HMS])+)?|R\d*/.*")


def _check_timer(file_name, element, tag, source) -> list[Problem]:
    """A constant timer expression must parse now, not when the timer is reached."""
    node = ast.parse(source, mode="eval").body
    if isinstance(node, ast.Name) and _ISO_LIKE.fullmatch(node.id):
        return [_problem(file_name, element, f"timer expression {node.id} must be quoted: \"{node.id}\"")]
    if not isinstance(node, ast.Constant):
        return []  # computed from task data at run time
    if not isinstance(node.value, str):
        return [_problem(file_name, element, "a timer expression must be a quoted string such as \"PT24H\"")]
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(node.value)
        elif tag == "timeDate":
            TimerEventDefinition.get_datetime(node.value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(node.value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad durations
        return [_problem(file_name, element, f"timer expression {node.value!r} is not valid ISO 8601")]
    return []


def _check_registered(tree, spec, subprocess_specs, file_name) -> list[Problem]:
    problems = []

    def at(bpmn_id, message):
        found = tree.xpath("//*[@id=$id]", id=bpmn_id)
        element = found[0] if found else tree
        problems.append(Problem(file_name, bpmn_id, element.sourceline, message))

    for process_spec in [spec, *subprocess_specs.values()]:
        for task_spec in process_spec.task_specs.values():
            if isinstance(task_spec, UserTask):
                form_key = (getattr(task_spec, "extensions", {}) or {}).get("properties", {}).get("formKey")
                if not form_key:
                    at(task_spec.bpmn_id, "a user task needs a formKey property")
                elif form_key not in REGISTRY.forms:
                    at(task_spec.bpmn_id, f"form key '{form_key}' is not registered")
                if not task_spec.lane:
                    at(task_spec.bpmn_id, "a user task must be in a lane (the lane name is its role)")
                elif task_spec.lane not in REGISTRY.lanes:
                    at(task_spec.bpmn_id, f"lane role '{task_spec.lane}' is not registered")
            elif isinstance(task_spec, ServiceTask) and task_spec.operation_name not in REGISTRY.handlers:
                at(task_spec.bpmn_id, f"service handler '{task_spec.operation_name}' is not registered")
    return problems


def validate(xml: bytes | str, file_name: str = "upload.bpmn") -> list[Problem]:
    """The problems deploy would refuse, without deploying; [] when the diagram is valid."""
    try:
        parse(xml, file_name)
    except DefinitionError as error:
        return error.problems
    return []


