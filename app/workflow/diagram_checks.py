"""The whole diagram, read before the engine sees it: what the engine would silently
skip (elements nothing leads to), crash on (references to nothing) or refuse in its own
words (a task with two outgoing flows). Every element is checked, reachable or not.

Errors where the engine cannot run it; warnings where BPMN allows it but it is likely a
slip (a branch that ends without an end event).
"""
from flask_babel import gettext
from lxml import etree

from app.common.i18n import N_
from app.workflow.elements import ACTIVITIES, BPMN, FLOW_NODES, NS, SCOPES, TYPE_LABELS, describe, is_bpmn, kind
from app.workflow.problems import WARNING, Problem, at, drawn


DISCONNECTED = N_("%(element)s 没有连接任何连线：引擎不会执行它。请把它连进流程，或删除它")
IMPLICIT_START = N_("%(element)s 没有流入连线（隐式开始）：本系统的引擎只从开始事件出发，不会执行它。请从前面的元素连一条线到它")
UNREACHABLE = N_("从开始事件无法到达 %(element)s：它只在一个没有入口的环里。请从流程中连一条线进来")
IMPLICIT_END = N_("%(element)s 没有流出连线（隐式结束）：流程会在这里结束，但没有结束事件。建议连到一个结束事件")
NO_START = N_("%(element)s 没有开始事件：请添加一个开始事件并连到第一个任务")
TWO_OUTGOING = N_("%(element)s 有 %(count)d 条流出连线：本系统的引擎只在网关处分支。请在它后面加一个排他网关或并行网关")
NO_CONDITION = N_("从%(gateway)s 出发的连线 %(flow)s 既没有条件，也不是默认连线：请给它写条件，或把它设为默认连线")
DANGLING_FLOW = N_("连线 %(flow)s 的%(end)s %(ref)s 不存在")
FLOW_SOURCE, FLOW_TARGET = N_("起点"), N_("终点")
NO_ID = N_("%(kind)s%(where)s没有 id：引擎靠 id 连接元素，没有 id 的元素会被悄悄跳过。请补上 id（或在建模工具中重新保存）")
CROSS_SCOPE_FLOW = N_("连线 %(flow)s 连接了不在同一流程或子流程中的元素")
MISSING_REF = N_("%(element)s 引用的%(what)s %(ref)s 在文件中不存在")
REF_KINDS = {"message": N_("消息"), "signal": N_("信号"), "error": N_("错误"), "escalation": N_("升级"),
             "data": N_("数据对象"), "attachedToRef": N_("附着的活动")}
NO_FORM_KEY = N_("%(element)s 须选择表单（spiffworkflow 的 formKey 属性）")
FOREIGN_FORM_KEY = N_("%(element)s 须选择表单（spiffworkflow 的 formKey 属性）；文件中的 %(found)s 是其他引擎的写法，本系统不读取")
NO_LANE = N_("%(element)s 须放在泳道中（泳道名称即办理角色）")
NO_HANDLER = N_("%(element)s 须选择处理程序（spiffworkflow 的 serviceTaskOperator）")
EMPTY_PARAMETER = N_("%(element)s 的参数 %(name)s 没有填写值：请写一个表达式，例如 person_id 或 \"文字\"")
NO_COLLECTION = N_("%(element)s 是多实例任务，须填写实例数（loopCardinality）或输入集合（loopDataInputRef）")
CALLS_ITSELF = N_("%(element)s 又调用了流程 %(called)s（%(chain)s）：流程不能直接或间接调用自己")
CALLS_NOTHING = N_("%(element)s 没有填写要调用的流程（calledElement）")
CALLS_MISSING = N_("%(element)s 调用的流程 %(called)s 不在本文件中：被调用的流程须与调用它的流程放在同一个文件里（可设为 isExecutable=false）")

# Events a process reaches other than by a sequence flow.
_LINK, _COMPENSATE = f"{{{BPMN}}}linkEventDefinition", f"{{{BPMN}}}compensateEventDefinition"
_FOREIGN_FORM_KEYS = ("{http://camunda.org/schema/1.0/bpmn}formKey", "{http://activiti.org/bpmn}formKey",
                      "{http://flowable.org/bpmn}formKey")


def check(tree, file_name: str, key: str) -> list[Problem]:
    """Every problem of the executable process `key` and the processes it calls, errors
    and warnings. Other processes of the file (another party's pool in a collaboration,
    drawn for the reader) never run, so they are not checked."""
    ids = {el.get("id"): el for el in tree.iter() if isinstance(el.tag, str) and el.get("id")}
    running = running_processes(tree, key)
    problems = _call_activities(tree, running, key, file_name)
    for process in running:
        for scope in process.iter(*(f"{{{BPMN}}}{name}" for name in SCOPES)):
            problems += _flows(scope, ids, file_name)
        problems += _references(process, ids, file_name)
        problems += _tasks(process, tree, file_name)
    return problems


def running_processes(tree, key) -> list:
    """The process `key` and those it calls, directly or through others, in the file."""
    processes = {p.get("id"): p for p in tree.iterfind("bpmn:process", NS)}
    found, todo = [], [key]
    while todo:
        process = processes.get(todo.pop())
        if process is None or process in found:
            continue
        found.append(process)
        todo += [(a.get("calledElement") or "").strip() for a in process.iter(f"{{{BPMN}}}callActivity")]
    return found


def _children(scope, kinds) -> list:
    return [el for el in scope if is_bpmn(el) and kind(el) in kinds]


def _has(element, tag) -> bool:
    return element.find(tag) is not None


def _flows(scope, ids, file_name) -> list[Problem]:
    """Connections within one process or subprocess: every element reached from a start
    event; gateways' branches conditioned; tasks branching only through gateways."""
    if kind(scope) == "adHocSubProcess":  # its activities run in any order, unconnected by design
        return []
    nodes = {el.get("id"): el for el in _children(scope, FLOW_NODES) if el.get("id")}
    incoming, outgoing = {i: [] for i in nodes}, {i: [] for i in nodes}
    problems = [at(file_name, el, gettext(NO_ID, kind=gettext(TYPE_LABELS[kind(el)]), where=_named(el)))
                for el in _children(scope, FLOW_NODES | {"sequenceFlow"}) if not (el.get("id") or "").strip()]
    for flow in _children(scope, {"sequenceFlow"}):
        source, target = flow.get("sourceRef"), flow.get("targetRef")
        for ref, end in ((source, FLOW_SOURCE), (target, FLOW_TARGET)):
            if ref not in ids:
                problems.append(at(file_name, flow, gettext(DANGLING_FLOW, flow=flow.get("id") or "-", end=gettext(end),
                                                            ref=ref or "-")))
        if source in ids and target in ids and (source not in nodes or target not in nodes):
            problems.append(at(file_name, flow, gettext(CROSS_SCOPE_FLOW, flow=flow.get("id") or "-")))
        if source in nodes and target in nodes:
            outgoing[source].append(flow)
            incoming[target].append(flow)
    if problems:
        return problems
    if nodes and not _children(scope, {"startEvent"}) and scope.get("triggeredByEvent") != "true":
        return [at(file_name, scope, gettext(NO_START, element=describe(scope)))]

    starts = [i for i, el in nodes.items() if _entered_otherwise(el)]
    reached = _reach(starts, outgoing, nodes)
    for node_id, el in nodes.items():
        exempt = _exempt(el)
        if not incoming[node_id] and not outgoing[node_id] and not exempt and kind(el) != "boundaryEvent":
            problems.append(at(file_name, el, gettext(DISCONNECTED, element=describe(el))))
            continue
        if not incoming[node_id] and not _entered_otherwise(el) and not exempt:
            problems.append(at(file_name, el, gettext(IMPLICIT_START, element=describe(el))))
        elif incoming[node_id] and node_id not in reached and not exempt:
            problems.append(at(file_name, el, gettext(UNREACHABLE, element=describe(el))))
        if not outgoing[node_id] and not _left_otherwise(el) and not exempt:
            problems.append(at(file_name, el, gettext(IMPLICIT_END, element=describe(el)), WARNING))
        problems += _branches(el, outgoing[node_id], file_name)
    return problems


def _named(el) -> str:
    """How to find an element that has no id: its name, or a flow's ends."""
    if el.get("sourceRef") or el.get("targetRef"):
        return f" ({el.get('sourceRef') or '?'} → {el.get('targetRef') or '?'})"
    return f" “{el.get('name')}”" if el.get("name") else ""


def _entered_otherwise(el) -> bool:
    """Started without an incoming flow: start events, boundary events, link targets."""
    return kind(el) in ("startEvent", "boundaryEvent") or (
        kind(el) == "intermediateCatchEvent" and _has(el, _LINK))


def _left_otherwise(el) -> bool:
    """Done without an outgoing flow: end events, link sources, compensation boundaries."""
    return kind(el) == "endEvent" or (kind(el) == "intermediateThrowEvent" and _has(el, _LINK)) or (
        kind(el) == "boundaryEvent" and _has(el, _COMPENSATE))


def _exempt(el) -> bool:
    """Connected otherwise than by sequence flows: compensation handlers (by association)
    and event subprocesses (by their start event's trigger)."""
    return el.get("isForCompensation") == "true" or el.get("triggeredByEvent") == "true"


def _reach(starts, outgoing, nodes) -> set:
    attached = {}
    for node_id, el in nodes.items():
        if kind(el) == "boundaryEvent" and el.get("attachedToRef"):
            attached.setdefault(el.get("attachedToRef"), []).append(node_id)
    seen, todo = set(), [s for s in starts if kind(nodes[s]) != "boundaryEvent"]
    while todo:
        node_id = todo.pop()
        if node_id in seen:
            continue
        seen.add(node_id)
        todo += [f.get("targetRef") for f in outgoing.get(node_id, [])] + attached.get(node_id, [])
    return seen


def _branches(el, flows, file_name) -> list[Problem]:
    if len(flows) < 2:
        return []
    if kind(el) in ACTIVITIES or kind(el) in ("startEvent", "intermediateCatchEvent", "intermediateThrowEvent",
                                               "boundaryEvent"):
        return [at(file_name, el, gettext(TWO_OUTGOING, element=describe(el), count=len(flows)))]
    if kind(el) not in ("exclusiveGateway", "inclusiveGateway"):
        return []
    return [at(file_name, flow, gettext(NO_CONDITION, gateway=describe(el), flow=flow.get("id") or "-"))
            for flow in flows if flow.get("id") != el.get("default")
            and not (flow.findtext(f"{{{BPMN}}}conditionExpression") or "").strip()]


def _references(tree, ids, file_name) -> list[Problem]:
    """References to messages, signals, errors, data objects and activities that are not
    in the file (the engine would fail on them with its own internals)."""
    problems = []

    def refers(element, ref, what, expected_kinds):
        target = ids.get(ref)
        if ref and (target is None or kind(target) not in expected_kinds):
            problems.append(at(file_name, element, gettext(MISSING_REF, element=describe(drawn(element)),
                                                           what=gettext(REF_KINDS[what]), ref=ref)))

    for what, tag, attribute in (("message", "messageEventDefinition", "messageRef"),
                                 ("signal", "signalEventDefinition", "signalRef"),
                                 ("error", "errorEventDefinition", "errorRef"),
                                 ("escalation", "escalationEventDefinition", "escalationRef")):
        for el in tree.iter(f"{{{BPMN}}}{tag}"):
            refers(el, el.get(attribute), what, {what})
    for tag in ("receiveTask", "sendTask"):
        for el in tree.iter(f"{{{BPMN}}}{tag}"):
            refers(el, el.get("messageRef"), "message", {"message"})
    data_kinds = {"dataObjectReference", "dataStoreReference", "dataObject", "dataInput", "dataOutput",
                  "property"}
    for path in ("dataInputAssociation/bpmn:sourceRef", "dataOutputAssociation/bpmn:targetRef"):
        for ref in tree.iterfind(f".//bpmn:{path}", NS):
            refers(ref, (ref.text or "").strip(), "data", data_kinds)
    for el in tree.iter(f"{{{BPMN}}}boundaryEvent"):
        refers(el, el.get("attachedToRef"), "attachedToRef", ACTIVITIES)
    return problems


def _tasks(process, tree, file_name) -> list[Problem]:
    """User tasks need a form and a lane, service tasks a handler, and parameters a value —
    in every part of the diagram, reached yet or not. (Whether the names are registered is
    checked with the engine's reading: parsing._check_registered.)"""
    problems = []
    in_lane = {(ref.text or "").strip() for ref in tree.iterfind(".//bpmn:lane/bpmn:flowNodeRef", NS)}
    for el in process.iter(f"{{{BPMN}}}userTask"):
        form_key = el.find("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='formKey']",
                           NS)
        if form_key is None or not (form_key.get("value") or "").strip():
            foreign = next((f'{etree.QName(a).localname}="{el.get(a)}"' for a in _FOREIGN_FORM_KEYS if el.get(a)), None)
            problems.append(at(file_name, el, gettext(FOREIGN_FORM_KEY, element=describe(el), found=foreign)
                               if foreign else gettext(NO_FORM_KEY, element=describe(el))))
        if el.get("id") not in in_lane:
            problems.append(at(file_name, el, gettext(NO_LANE, element=describe(el))))
    for loop in process.iter(f"{{{BPMN}}}multiInstanceLoopCharacteristics"):
        if not any((loop.findtext(f"{{{BPMN}}}{tag}") or "").strip() for tag in ("loopCardinality", "loopDataInputRef")):
            problems.append(at(file_name, loop, gettext(NO_COLLECTION, element=describe(drawn(loop)))))
    for el in process.iter(f"{{{BPMN}}}serviceTask"):
        operator = el.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
        if operator is None or not (operator.get("id") or "").strip():
            problems.append(at(file_name, el, gettext(NO_HANDLER, element=describe(el))))
            continue
        for parameter in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS):
            if not (parameter.get("value") or "").strip():
                problems.append(at(file_name, parameter, gettext(EMPTY_PARAMETER, element=describe(el),
                                                                 name=parameter.get("id") or "-")))
    return problems


def _call_activities(tree, running, key, file_name) -> list[Problem]:
    """A call activity calls a process of the same file (the engine reads no other), and
    never its own process, directly or through others: that would nest without end."""
    processes = {p.get("id"): p for p in tree.iterfind("bpmn:process", NS)}
    problems = []
    for activity in (a for process in running for a in process.iter(f"{{{BPMN}}}callActivity")):
        called = (activity.get("calledElement") or "").strip()
        if not called:
            problems.append(at(file_name, activity, gettext(CALLS_NOTHING, element=describe(activity))))
        elif called not in processes:
            problems.append(at(file_name, activity, gettext(CALLS_MISSING, element=describe(activity), called=called)))
    calls = {pid: [a for a in p.iter(f"{{{BPMN}}}callActivity")] for pid, p in processes.items()}
    path = [key]

    def visit(process_id):
        for activity in calls.get(process_id, []):
            called = activity.get("calledElement")
            if called in path:
                chain = " → ".join([*path[path.index(called):], called])
                problems.append(at(file_name, activity, gettext(CALLS_ITSELF, element=describe(activity),
                                                                called=called, chain=chain)))
            elif called in calls:
                path.append(called)
                visit(called)
                path.pop()

    visit(key)
    return problems
