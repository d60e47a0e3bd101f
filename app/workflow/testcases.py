"""BPMN test cases: each process's cases (processes/<key>.cases.json, format in
processes/README.md) run against a diagram fully in memory — no database rows, no real
handlers: a service task returns its case's stubbed result. The diagram is parsed and
run as the runtime does it (definitions.parse, serializer.new_workflow, the sandboxed
script engine, a JSON round-trip after every step); time is virtual, so a case says
"fire the timer", never how long it waits, and survives an analyst changing 24 h to 48 h.

pytest runs every case of every file, the modeler runs them on the diagram being edited,
and deploy() refuses a diagram whose cases fail.
"""
import copy
import json
from dataclasses import dataclass, field
import logging
from datetime import datetime, timedelta, timezone

from flask_babel import gettext
from lxml import etree
from SpiffWorkflow.bpmn import BpmnEvent
from SpiffWorkflow.bpmn.specs.event_definitions.simple import TerminateEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from app.workflow import parsing
from app.workflow.files import cases_path  # noqa: F401 — isolation names it testcases.cases_path
from app.workflow.sandbox import SandboxScriptEngine
from app.workflow.serializer import deadline_of, dumps, loads, new_workflow
from app.workflow.testcase_checks import CaseFailure, check_expectations, check_format, listing, ready_ids


log = logging.getLogger(__name__)
MAX_CALL_DEPTH = 20


@dataclass
class CaseResult:
    name: str
    passed: bool
    message: str
    element_id: str | None
    path: list[str]

log = logging.getLogger(__name__)


class CaseFileError(ValueError):
    """processes/<key>.cases.json is not readable JSON or not a list of cases."""


def cases_for(key: str) -> list[dict]:
    """The cases of processes/<key>.cases.json ([] if there is no file); raises CaseFileError."""
    path = cases_path(key)
    if not path.is_file():
        return []
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise CaseFileError(gettext("用例文件 %(file)s 无法读取：%(error)s", file=path.name, error=error)) from None
    cases = document.get("cases") if isinstance(document, dict) else document
    if not isinstance(cases, list):
        raise CaseFileError(gettext("用例文件 %(file)s 应包含用例列表 \"cases\"", file=path.name))
    return cases


def run_cases(xml: bytes | str, key: str | None = None, cases: list[dict] | None = None) -> list[CaseResult]:
    """Runs `cases` (default: the process's case file) against the diagram `xml`. A diagram
    that does not validate gives one failed result per problem, without running cases."""
    try:
        parsed = parsing.parse(xml, f"{key or 'upload'}.bpmn")
    except parsing.DefinitionError as error:
        return [CaseResult(gettext("流程图校验"), False, p.message, p.element_id or None, []) for p in error.problems]
    return run_parsed(parsed, cases, key)


def run_parsed(parsed, cases: list[dict] | None = None, key: str | None = None) -> list[CaseResult]:
    if cases is None:
        try:
            cases = cases_for(key or parsed.key)
        except CaseFileError as error:
            return [CaseResult(cases_path(key or parsed.key).name, False, str(error), None, [])]
    return [run_case(parsed, case, number) for number, case in enumerate(cases, 1)]


def deploy_problems(parsed, xml: str, file_name: str, cases: list[dict] | None = None) -> list:
    """The deploy gate: one parsing.Problem per failing case of the process."""
    failed = [r for r in run_parsed(parsed, cases) if not r.passed]
    if not failed:
        return []
    tree = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))

    def line_of(element_id):
        found = tree.xpath("//*[@id=$id]", id=element_id) if element_id else []
        return found[0].sourceline if found else None

    return [parsing.Problem(file_name, r.element_id or "", line_of(r.element_id), r.message) for r in failed]


# ---- one case ---------------------------------------------------------------------------

class MissingStub(Exception):
    def __init__(self, task_id, handler):
        super().__init__(gettext("服务任务 %(task)s 调用 %(handler)s，但用例没有为它提供桩结果",
                                 task=task_id, handler=handler))
        self.task_id = task_id


class StubEngine(SandboxScriptEngine):
    """The sandboxed engine, with service tasks answered from the case's stubs (by task
    id first, then by handler name): an object is returned on every call, a list gives
    one item per call in order. Every call is recorded with its evaluated parameters."""

    def __init__(self, stubs: dict):
        super().__init__()
        self.stubs = copy.deepcopy(stubs)
        self.calls: list[dict] = []

    def call_service(self, task, operation_name=None, operation_params=None, **kwargs):
        task_id = task.task_spec.bpmn_id
        params = {name: p["value"] for name, p in (operation_params or {}).items()}
        self.calls.append({"task": task_id, "handler": operation_name, "params": params})
        key = task_id if task_id in self.stubs else operation_name
        if key not in self.stubs:
            raise MissingStub(task_id, operation_name)
        result = self.stubs[key]
        if isinstance(result, list):
            if not result:
                raise CaseFailure(gettext("服务任务 %(task)s 的桩结果已用完（调用次数多于列表项）", task=task_id),
                                  task_id)
            result = result.pop(0)
        return json.dumps(result if result is not None else {})


@dataclass
class Run:
    parsed: object
    engine: StubEngine
    workflow: object = None
    path: list[str] = field(default_factory=list)
    thrown: list[str] = field(default_factory=list)
    last_task: object = None
    ended: bool = False  # the process's own End ran (not the engine's silent stop)

    def record(self, task):
        if task.workflow.depth > MAX_CALL_DEPTH:  # parsing refuses cycles; this bounds any other nesting
            raise CaseFailure(gettext("调用活动嵌套超过 %(depth)d 层", depth=MAX_CALL_DEPTH), task.task_spec.bpmn_id)
        if task.state != TaskState.COMPLETED:
            return
        if task.task_spec.bpmn_id:
            self.path.append(task.task_spec.bpmn_id)
            self.last_task = task
        if task.workflow is self.workflow and (task.task_spec.name == "End" or isinstance(
                getattr(task.task_spec, "event_definition", None), TerminateEventDefinition)):
            self.ended = True


def run_case(parsed, case, number: int) -> CaseResult:
    name = str(case.get("name") or f"#{number}") if isinstance(case, dict) else f"#{number}"
    run = None
    try:
        check_format(case)
        run = Run(parsed, StubEngine(case.get("stubs") or {}))
        _start(run, case.get("start") or {})
        for step_number, step in enumerate(case.get("steps") or [], 1):
            try:
                _do_step(run, step)
            except CaseFailure as failure:
                failure.message = gettext("第 %(step)d 步：%(problem)s", step=step_number, problem=failure.message)
                raise
        check_expectations(run, case.get("expect") or {})
    except CaseFailure as failure:
        message = gettext("用例「%(name)s」：%(problem)s", name=name, problem=failure.message)
        return CaseResult(name, False, message, failure.element_id, list(run.path) if run else [])
    return CaseResult(name, True, gettext("用例「%(name)s」通过", name=name), None, list(run.path))


def _start(run, data: dict):
    def begin(_):
        run.workflow = new_workflow(run.parsed.spec, run.parsed.subprocess_specs)
        run.workflow.script_engine = run.engine
        run.workflow.task_tree.data.update(copy.deepcopy(data))
        run.workflow.do_engine_steps(did_complete_task=run.record)

    _engine(run, begin)


def _do_step(run, step: dict):
    if "expect" in step:
        check_expectations(run, step["expect"])
    elif "complete" in step:
        _complete(run, step["complete"], step.get("data") or {})
    elif "fire_timer" in step:
        _fire_timers(run, step["fire_timer"])
    elif "fire_timers" in step:
        _fire_timers(run, None)
    elif "message" in step:
        _deliver(run, step["message"], step.get("payload"), step.get("correlations"))


def _complete(run, task_id: str, data: dict):
    ready = [t for t in run.workflow.get_tasks(state=TaskState.READY, manual=True) if t.task_spec.bpmn_id == task_id]
    if not ready:
        raise CaseFailure(gettext("用户任务 %(task)s 未就绪（就绪的有：%(ready)s）", task=task_id,
                                  ready=listing(ready_ids(run.workflow))), task_id)
    task = ready[0]

    def step(wf):
        task.data.update(copy.deepcopy(data))
        task.run()
        run.record(task)
        wf.do_engine_steps(did_complete_task=run.record)

    _engine(run, step)


def _timer_tasks(workflow) -> dict:
    """Waiting timer tasks → their deadline (UTC)."""
    found = {}
    for task in list(workflow.event_manager.tasks.values()):
        if isinstance(task.task_spec.event_definition, TimerEventDefinition):
            deadline = deadline_of(task.internal_data.get("event_value"))
            if deadline is not None:
                found[task] = deadline
    return found


def _fire_timers(run, timer_id: str | None):
    """Moves virtual time to the earliest waiting deadline (or `timer_id`'s): every
    waiting deadline moves back by the same amount, so timers due by then fire and the
    rest keep their order; a timer armed later counts from the new "now"."""
    timers = _timer_tasks(run.workflow)
    if not timers:
        raise CaseFailure(gettext("没有等待中的定时器"), run.path[-1] if run.path else None)
    chosen = [d for t, d in timers.items() if timer_id is None or t.task_spec.bpmn_id == timer_id]
    if not chosen:
        raise CaseFailure(gettext("定时器 %(timer)s 未在等待（等待中的有：%(waiting)s）", timer=timer_id,
                                  waiting=listing(t.task_spec.bpmn_id for t in timers)), timer_id)
    shift = max(min(chosen) - datetime.now(timezone.utc), timedelta(0)) + timedelta(milliseconds=1)
    for task, deadline in timers.items():
        moved = (deadline - shift).isoformat()
        value = task.internal_data["event_value"]
        if isinstance(value, dict):
            value["next"] = moved
        else:
            task.internal_data["event_value"] = moved

    def step(wf):
        wf.refresh_timers()
        wf.do_engine_steps(did_complete_task=run.record)

    _engine(run, step)


def _deliver(run, name: str, payload, correlations):
    waiting = [e for e in run.workflow.waiting_events() if e.event_type == "MessageEventDefinition"]
    if name not in {e.name for e in waiting}:
        raise CaseFailure(gettext("流程没有在等待消息 %(message)s（等待中的消息：%(waiting)s）", message=name,
                                  waiting=listing(e.name for e in waiting)), run.path[-1] if run.path else None)
    bpmn_event = BpmnEvent(MessageEventDefinition(name), copy.deepcopy(payload), correlations or {})

    def step(wf):
        wf.catch(bpmn_event)
        wf.do_engine_steps(did_complete_task=run.record)

    _engine(run, step)


def _engine(run, step):
    """Runs an engine step, then saves and reloads the state as the runtime does."""
    try:
        step(run.workflow)
    except CaseFailure:
        raise
    except Exception as error:  # a stub missing, or a script or condition failing
        missing = _find(error, MissingStub)
        if missing is not None:
            raise CaseFailure(str(missing), missing.task_id) from None
        stub_failure = _find(error, CaseFailure)
        if stub_failure is not None:
            raise stub_failure from None
        task = getattr(error, "task", None)
        element = task.task_spec.bpmn_id if task is not None else None
        if _find(error, RecursionError) is not None:  # SpiffWorkflow unfolds a loop with no way out without end
            raise CaseFailure(gettext("流程无法展开：有首尾相连、没有出口的循环（如脚本任务互相连接）"), element) from None
        if element is None:  # the engine's own internals failed, not the diagram's script: logged, not shown
            log.warning("a case stopped inside the engine", exc_info=error)
            if not run.path:
                raise CaseFailure(gettext("流程引擎无法启动这个流程：这种写法本系统不支持（已记录）"), None) from None
            raise CaseFailure(gettext("流程引擎在 %(element)s 之后无法继续：这种写法本系统不支持（已记录）",
                                      element=run.path[-1]), run.path[-1]) from None
        raise CaseFailure(gettext("在 %(element)s 执行出错：%(error)s", element=element,
                                  error=str(error).split("\n")[0] or error.__class__.__name__), element) from None
    if run.workflow.is_completed() and not run.ended:
        last = run.path[-1] if run.path else None
        if last is not None and _ends_without_end_event(run.parsed, last):
            raise CaseFailure(gettext("在 %(element)s 处结束（没有结束事件）", element=last), last)
        # SpiffWorkflow's task iterator stops at depth 1000 (a loop of ~330 rounds) and
        # then reports the workflow completed although no end event ran.
        raise CaseFailure(gettext("流程在循环约330次后被引擎静默停止，未到达结束事件：逐人或逐行的循环应放在服务处理程序中"),
                          run.path[-1] if run.path else None)
    run.thrown += [e.event_definition.name for e in run.workflow.get_events()]
    try:
        state = dumps(run.workflow)
    except Exception as error:  # e.g. a script put a date or a set into task data
        raise CaseFailure(gettext("任务数据无法保存：%(error)s", error=str(error).split("\n")[0]),
                          run.path[-1] if run.path else None) from None
    run.workflow = loads(state, run.parsed.spec, run.parsed.subprocess_specs)
    run.workflow.script_engine = run.engine
    run.last_task = run.workflow.get_task_from_id(run.last_task.id) if run.last_task is not None else None


def _ends_without_end_event(parsed, bpmn_id) -> bool:
    """The element has nowhere to go: a branch that ends where BPMN allows an implicit end."""
    for process_spec in [parsed.spec, *parsed.subprocess_specs.values()]:
        spec = process_spec.task_specs.get(bpmn_id)
        if spec is not None:
            return not spec.outputs and type(spec).__name__ != "EndEvent"
    return False


def _find(error, kind):
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, kind):
            return error
        seen.add(id(error))
        inner = getattr(error, "error", None)
        error = inner if isinstance(inner, BaseException) else error.__cause__ or error.__context__
    return None

