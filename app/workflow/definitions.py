"""Process definitions: validate, version, deploy, and the cache of parsed specs.

A definition is checked before it can run: the BPMN schema, every script and condition
(compiled and sandbox-checked), every handler name, form key and lane role (registered),
every constant timer expression (parsed). Problems name the file, element id and line.
"""
import ast
import hashlib
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from lxml import etree
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, OperationalError, ProgrammingError
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.defaults import ServiceTask, UserTask

from app.extensions import db
from app.models import ProcessDefinition
from app.workflow.registry import REGISTRY
from app.workflow.sandbox import SandboxViolation, check_source

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
log = logging.getLogger(__name__)
PROCESSES_DIR = Path(__file__).resolve().parent.parent.parent / "processes"


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
        tree = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise DefinitionError([Problem(file_name, "", error.lineno, f"XML syntax error: {error.msg}")]) from None
    processes = tree.findall(f"{{{BPMN}}}process")
    executable = [p for p in processes if p.get("isExecutable", "true").lower() == "true"]
    if len(executable) != 1:
        raise DefinitionError([Problem(file_name, "", None, "a file must hold exactly one executable process")])
    key = executable[0].get("id")
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


def content_hash(xml: bytes | str) -> str:
    return hashlib.sha256(xml.encode() if isinstance(xml, str) else xml).hexdigest()


def deploy(xml: bytes | str, source: str, actor=None, check_cases: bool = True) -> tuple[ProcessDefinition, bool]:
    """Validates and stores a new version; (definition, created). Identical content
    already deployed for the key returns that version unchanged. The process's BPMN test
    cases (processes/<key>.cases.json) must pass: each failing case is a Problem."""
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    parsed = parse(text.encode("utf-8"), source)
    digest = content_hash(text)
    existing = db.session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.key == parsed.key, ProcessDefinition.content_hash == digest))
    if existing is not None:
        return existing, False
    if check_cases:
        from app.workflow.testcases import deploy_problems  # it imports this module
        problems = deploy_problems(parsed, text, source)
        if problems:
            raise DefinitionError(problems)
    latest_version = db.session.scalar(
        select(func.max(ProcessDefinition.version)).where(ProcessDefinition.key == parsed.key)) or 0
    definition = ProcessDefinition(key=parsed.key, version=latest_version + 1, name=parsed.name, bpmn_xml=text,
                                   content_hash=digest, source=source, deployed_by_id=getattr(actor, "id", None))
    db.session.add(definition)
    db.session.flush()
    _SPECS[digest] = (parsed.spec, parsed.subprocess_specs)
    return definition, True


def sync_directory(directory: Path | None = None) -> list[ProcessDefinition]:
    """Loads processes/*.bpmn in the current transaction: a file whose content no
    version of its key has yet becomes a new version."""
    created = []
    for path in sorted((directory or PROCESSES_DIR).glob("*.bpmn")):
        xml = path.read_bytes()
        if db.session.scalar(select(ProcessDefinition.id).where(
                ProcessDefinition.content_hash == content_hash(xml))) is None:
            # the files' cases run in pytest (tests/workflow/test_process_cases.py), not at
            # every start: start-up stays fast, and a file on disk is what was released
            definition, new = deploy(xml, path.name, check_cases=False)
            if new:
                created.append(definition)
    return created


def sync_once(app) -> None:
    """At a process's first request or command: the files become versions. Another
    process doing the same at the same moment makes this one's insert fail; it then
    finds the versions that process wrote."""
    if app.extensions.get("workflow_synced"):
        return
    try:
        sync_directory()
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
    except (OperationalError, ProgrammingError):  # no schema yet: `flask db upgrade` first
        db.session.rollback()
        log.warning("process definitions not loaded: the database has no schema yet")
        return
    app.extensions["workflow_synced"] = True


def latest_or_sync(key: str) -> ProcessDefinition | None:
    definition = latest(key)
    if definition is None and sync_directory():
        definition = latest(key)
    return definition


def latest(key: str) -> ProcessDefinition | None:
    return db.session.scalar(select(ProcessDefinition).where(ProcessDefinition.key == key)
                             .order_by(ProcessDefinition.version.desc()).limit(1))


# Parsed specs by content hash: a version's content never changes, so neither does its spec.
_SPECS: dict[str, tuple] = {}


def specs_for(definition: ProcessDefinition) -> tuple:
    """(spec, subprocess_specs) of a stored version, parsed once per process."""
    cached = _SPECS.get(definition.content_hash)
    if cached is None:
        parsed = parse(definition.bpmn_xml.encode("utf-8"), f"{definition.key}-v{definition.version}.bpmn")
        cached = _SPECS[definition.content_hash] = (parsed.spec, parsed.subprocess_specs)
    return cached
