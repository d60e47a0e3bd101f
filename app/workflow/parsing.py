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
from dataclasses import dataclass, field

from flask_babel import gettext
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from app.common.i18n import N_
from app.workflow import diagram_checks, engine_errors, script_names
from app.workflow.elements import BPMN, NS, SPIFF, TIMER_EXPRESSIONS, describe, expressions, kind  # noqa: F401
from app.workflow.problems import WARNING, DefinitionError, Problem, at, drawn, errors, warnings  # noqa: F401
from app.workflow.registry import REGISTRY
from app.workflow.xml_text import NOT_BPMN
from app.workflow.sandbox import SandboxViolation, check_source


NOT_BPMN_ROOT = N_("不是BPMN XML文件：根元素是 %(root)s，BPMN 文件的根元素应为 bpmn:definitions")
XML_SYNTAX = N_("XML 格式错误：%(reason)s")
NO_PROCESS = N_("文件中没有流程（bpmn:process）：只有流程可以部署")
NONE_EXECUTABLE = N_("找到 0 个可执行流程：%(count)d 个流程都是 isExecutable=false（%(ids)s），请把要部署的流程设为可执行")
SEVERAL_EXECUTABLE = N_("找到 %(count)d 个可执行流程（%(ids)s）：一个文件只能部署一个。被调用的流程和只供阅读的泳池请设为 isExecutable=false")


@dataclass
class Parsed:
    key: str
    name: str
    spec: object
    subprocess_specs: dict
    warnings: list[Problem] = field(default_factory=list)


def parse(xml: bytes | str, file_name: str = "upload.bpmn", start_names=()) -> Parsed:
    """Parses and fully validates one diagram; raises DefinitionError with every error
    found (and the warnings beside them). A diagram that passes carries its warnings.
    `start_names`: the data the process starts with (its test cases' start data), which
    its scripts may read without setting it."""
    tree = _read(xml.encode() if isinstance(xml, str) else xml, file_name)
    processes = tree.findall(f"{{{BPMN}}}process")
    key = _the_executable(processes, file_name)
    running = diagram_checks.running_processes(tree, key)
    problems = diagram_checks.check(tree, file_name, key) + _check_expressions(running, file_name)
    problems += _check_registered(running, tree, file_name)
    spec = subprocess_specs = None
    if not errors(problems):
        try:
            parser = SpiffBpmnParser(validator=VALIDATOR)
            parser.add_bpmn_xml(tree, filename=file_name)
            spec = parser.get_spec(key)
            subprocess_specs = parser.get_subprocess_specs(key)
        except ValidationException as error:
            problems.append(engine_errors.problem(error, tree, file_name))
        except Exception as error:  # the engine's parser has internal failures for odd input
            problems.append(engine_errors.crash(error, file_name))
    if not errors(problems):
        problems += script_names.check(running, file_name, REGISTRY, start_names)
    if errors(problems):
        raise DefinitionError(sorted(errors(problems), key=_order) + sorted(warnings(problems), key=_order))
    return Parsed(key, processes_by_id(processes)[key].get("name") or key, spec, subprocess_specs,
                  sorted(problems, key=_order))


def _order(problem: Problem):
    return problem.line or 0


def processes_by_id(processes) -> dict:
    return {p.get("id"): p for p in processes}


def _read(data: bytes, file_name: str):
    """The document's tree; DefinitionError if it is not XML, or not BPMN."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head not in (b"<", b"\xff", b"\xfe", b"\0"):  # not markup (UTF-16 and UTF-32 start with a BOM or NUL)
        raise DefinitionError([Problem(file_name, "", None, gettext(NOT_BPMN))])
    try:
        tree = _tree(data)
    except etree.XMLSyntaxError as error:
        raise DefinitionError([Problem(file_name, "", error.lineno, gettext(XML_SYNTAX, reason=error.msg))]) from None
    if not isinstance(tree.tag, str) or etree.QName(tree).namespace != BPMN or etree.QName(tree).localname != "definitions":
        root = etree.QName(tree).localname if isinstance(tree.tag, str) else "-"
        raise DefinitionError([Problem(file_name, "", tree.sourceline, gettext(NOT_BPMN_ROOT, root=root))])
    return tree


def _tree(data: bytes):
    return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False))


def _executable(processes) -> list:
    return [p for p in processes if p.get("isExecutable", "true").strip().lower() == "true"]


def _the_executable(processes, file_name) -> str:
    """The id of the file's one executable process; DefinitionError saying what was found."""
    executable = _executable(processes)
    if len(executable) == 1 and executable[0].get("id"):
        return executable[0].get("id")
    if not processes:
        raise DefinitionError([Problem(file_name, "", None, gettext(NO_PROCESS))])
    shown = executable or processes
    ids = ", ".join(p.get("id") or "-" for p in shown[:5]) + ("…" if len(shown) > 5 else "")
    message = gettext(SEVERAL_EXECUTABLE, count=len(executable), ids=ids) if executable else \
        gettext(NONE_EXECUTABLE, count=len(processes), ids=ids)
    raise DefinitionError([Problem(file_name, "", shown[0].sourceline, message)])


def process_key(xml: bytes | str) -> str | None:
    """The id of the file's one executable process, without checking anything else
    (None if there is no such one process)."""
    try:
        executable = _executable(_tree(xml.encode() if isinstance(xml, str) else xml).findall(f"{{{BPMN}}}process"))
    except (etree.XMLSyntaxError, ValueError):
        return None
    return executable[0].get("id") if len(executable) == 1 else None


SCRIPT_REFUSED = N_("%(element)s 的脚本或条件不安全，已拒绝：%(reason)s")
FOREIGN_EXPRESSION = N_("%(element)s 的条件 %(source)s 是其他引擎的表达式写法（${…}）：本系统的条件用 Python 写，例如 approved == True")
SCRIPT_SYNTAX = N_("%(element)s 的脚本或条件有语法错误：%(reason)s")
TIMER_UNQUOTED = N_("%(element)s 的定时器时长 %(value)s 须写成带引号的表达式：\"%(value)s\"")
TIMER_NOT_STRING = N_("%(element)s 的定时器时长须是带引号的字符串，例如 \"PT24H\"")
TIMER_INVALID = N_("%(element)s 的定时器时长 %(value)s 不是有效的 ISO 8601 时长（例如 \"PT48H\"）")
FORM_UNKNOWN = N_("%(element)s 的表单“%(name)s”未注册")
LANE_UNKNOWN = N_("%(element)s 所在泳道的角色“%(name)s”未注册")
HANDLER_UNKNOWN = N_("%(element)s 的处理程序“%(name)s”未注册")


def _check_source(file_name, element, source, mode) -> list[Problem]:
    owner = drawn(element)
    try:
        check_source(source, mode)
        compile(source, "<string>", mode)
    except SandboxViolation as error:
        found = at(file_name, element, gettext(SCRIPT_REFUSED, element=describe(owner), reason=error.reason))
        found.line = _script_line(element, error.line)
        return [found]
    except SyntaxError as error:
        if source.strip().startswith(("${", "#{")):  # Camunda's, Activiti's and Flowable's JUEL
            return [at(file_name, element, gettext(FOREIGN_EXPRESSION, element=describe(owner),
                                                   source=source.strip()[:80]))]
        found = at(file_name, element, gettext(SCRIPT_SYNTAX, element=describe(owner), reason=error.msg))
        found.line = _script_line(element, error.lineno)
        return [found]
    return []


def _script_line(element, line_in_script) -> int | None:
    """The file's line of a script's line: the script's text starts on its element's line."""
    if element.sourceline is None:
        return None
    return element.sourceline + max((line_in_script or 1) - 1, 0)


def _check_expressions(running, file_name) -> list[Problem]:
    problems = []
    for el, source, mode in expressions(running):
        if kind(el) == "parameter" and not source.strip():
            continue  # an empty one is diagram_checks' EMPTY_PARAMETER
        found = _check_source(file_name, el, source, mode)
        if not found and kind(el) in TIMER_EXPRESSIONS:
            found = _check_timer(file_name, el, kind(el), source)
        problems += found
    return problems


# A bare PT24H is read as a variable name and fails only when the timer is reached.
_ISO_LIKE = re.compile(r"P(\d+[YMWD])*(T(\d+[HMS])+)?|R\d*/.*")


def _check_timer(file_name, element, tag, source) -> list[Problem]:
    """A constant timer expression must parse now, not when the timer is reached."""
    event = describe(drawn(element))
    node = ast.parse(source, mode="eval").body
    if isinstance(node, ast.Name) and _ISO_LIKE.fullmatch(node.id):
        return [at(file_name, element, gettext(TIMER_UNQUOTED, element=event, value=node.id))]
    if not isinstance(node, ast.Constant):
        return []  # computed from task data at run time
    if not isinstance(node.value, str):
        return [at(file_name, element, gettext(TIMER_NOT_STRING, element=event))]
    try:
        if tag == "timeDuration":
            TimerEventDefinition.parse_iso_duration(node.value)
        elif tag == "timeDate":
            TimerEventDefinition.get_datetime(node.value)
        else:
            TimerEventDefinition.parse_iso_recurring_interval(node.value)
    except Exception:  # SpiffWorkflow raises bare Exception for bad durations
        return [at(file_name, element, gettext(TIMER_INVALID, element=event, value=repr(node.value)))]
    return []


def _check_registered(running, tree, file_name) -> list[Problem]:
    """The names a diagram gives must be ones the code registered: forms, lane roles and
    service handlers (whether they are given at all is diagram_checks')."""
    lanes = {(ref.text or "").strip(): (lane.get("name") or "").strip()
             for lane in tree.iterfind(".//bpmn:lane", NS) for ref in lane.iterfind("bpmn:flowNodeRef", NS)}
    problems = []
    for process in running:
        for el in process.iter(f"{{{BPMN}}}userTask"):
            form_key = el.find("bpmn:extensionElements/spiffworkflow:properties/"
                               "spiffworkflow:property[@name='formKey']", NS)
            name = (form_key.get("value") or "").strip() if form_key is not None else ""
            if name and name not in REGISTRY.forms:
                problems.append(at(file_name, el, gettext(FORM_UNKNOWN, element=describe(el), name=name)))
            lane = lanes.get(el.get("id"))
            if lane is not None and lane not in REGISTRY.lanes:
                problems.append(at(file_name, el, gettext(LANE_UNKNOWN, element=describe(el), name=lane)))
        for el in process.iter(f"{{{BPMN}}}serviceTask"):
            operator = el.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
            name = (operator.get("id") or "").strip() if operator is not None else ""
            if name and name not in REGISTRY.handlers:
                problems.append(at(file_name, el, gettext(HANDLER_UNKNOWN, element=describe(el), name=name)))
    return problems


def validate(xml: bytes | str, file_name: str = "upload.bpmn", start_names=()) -> list[Problem]:
    """Every problem of the diagram, without deploying: errors (deploy refuses them) and
    warnings; [] when there is nothing to say."""
    try:
        return parse(xml, file_name, start_names).warnings
    except DefinitionError as error:
        return error.problems
