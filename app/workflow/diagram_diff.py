"""What changed between two versions of a diagram, in the terms the runtime uses.

Each element of the process (task, event, gateway, flow, lane) is reduced to the facts
that change behaviour: its type, name, form key, handler and parameters, timer, lane,
flows, conditions and scripts. Moving a shape on the canvas changes none of them, so
layout alone is never a difference. Pure: two XML documents in, a Diff out.
"""
from dataclasses import dataclass, field

from lxml import etree

from app.workflow.elements import BPMN, NS
# Children of an element that are facts of their own, not separate elements to compare.
_PARTS = {"extensionElements", "documentation", "timerEventDefinition", "messageEventDefinition",
          "signalEventDefinition", "errorEventDefinition", "terminateEventDefinition",
          "conditionalEventDefinition", "escalationEventDefinition", "conditionExpression", "script",
          "incoming", "outgoing", "flowNodeRef", "multiInstanceLoopCharacteristics",
          "standardLoopCharacteristics", "laneSet", "childLaneSet"}
# The order facts are listed in when an element changed.
FIELDS = ("type", "name", "role", "lane", "form_key", "handler", "parameters", "timer", "attached_to",
          "source", "target", "condition", "outgoing", "script", "pre_script", "post_script")


@dataclass
class Element:
    id: str
    type: str
    name: str


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Changed:
    element: Element
    changes: list[Change]


@dataclass
class Diff:
    added: list[Element] = field(default_factory=list)
    removed: list[Element] = field(default_factory=list)
    changed: list[Changed] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


class DiagramUnreadable(ValueError):
    """The XML could not be read at all."""


def _local(el) -> str:
    return etree.QName(el).localname


def _text(el) -> str:
    return (el.text or "").strip() if el is not None else ""


def _read(xml: bytes | str):
    data = xml.encode("utf-8") if isinstance(xml, str) else xml
    try:
        return etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as error:
        raise DiagramUnreadable(str(error)) from None


def _lanes_by_node(process) -> dict[str, str]:
    return {_text(ref): lane.get("name") or lane.get("id")
            for lane in process.iterfind(".//bpmn:lane", NS)
            for ref in lane.iterfind("bpmn:flowNodeRef", NS)}


def _handler(el) -> tuple[str, str]:
    operator = el.find("bpmn:extensionElements/spiffworkflow:serviceTaskOperator", NS)
    if operator is None:
        return "", ""
    params = ", ".join(f"{p.get('id')}={p.get('value')}"
                       for p in operator.iterfind("spiffworkflow:parameters/spiffworkflow:parameter", NS))
    result = operator.get("resultVariable")
    return operator.get("id") or "", params + (f" → {result}" if result else "")


def _timer(el) -> str:
    definition = el.find("bpmn:timerEventDefinition", NS)
    if definition is None:
        return ""
    return "; ".join(f"{_local(part)} {_text(part)}" for part in definition)


def _facts(el, lanes: dict[str, str], outgoing: dict[str, list[str]]) -> dict[str, str]:
    kind = _local(el)
    facts = {"type": kind}
    if kind == "lane":
        facts["role"] = el.get("name") or ""
    else:
        facts["name"] = el.get("name") or ""
    if el.get("id") in lanes:
        facts["lane"] = lanes[el.get("id")]
    form_key = el.find("bpmn:extensionElements/spiffworkflow:properties/spiffworkflow:property[@name='formKey']", NS)
    if form_key is not None:
        facts["form_key"] = form_key.get("value") or ""
    handler, params = _handler(el)
    if handler:
        facts["handler"], facts["parameters"] = handler, params
    facts["timer"] = _timer(el)
    facts["attached_to"] = el.get("attachedToRef") or ""
    if kind == "sequenceFlow":
        facts["source"], facts["target"] = el.get("sourceRef") or "", el.get("targetRef") or ""
        facts["condition"] = _text(el.find("bpmn:conditionExpression", NS))
    elif el.get("id") in outgoing:
        facts["outgoing"] = ", ".join(sorted(outgoing[el.get("id")]))
    facts["script"] = _text(el.find("bpmn:script", NS))
    facts["pre_script"] = _text(el.find("bpmn:extensionElements/spiffworkflow:preScript", NS))
    facts["post_script"] = _text(el.find("bpmn:extensionElements/spiffworkflow:postScript", NS))
    return {k: v for k, v in facts.items() if v}


def elements(xml: bytes | str) -> dict[str, tuple[Element, dict[str, str]]]:
    """Every element with an id inside the diagram's processes: id → (element, facts)."""
    tree = _read(xml)
    found = {}
    for process in tree.iterfind("bpmn:process", NS):
        lanes = _lanes_by_node(process)
        outgoing: dict[str, list[str]] = {}
        for flow in process.iterfind(".//bpmn:sequenceFlow", NS):
            outgoing.setdefault(flow.get("sourceRef"), []).append(flow.get("targetRef") or "")
        candidates = [process] + [el for el in process.iter() if isinstance(el.tag, str)
                                  and el.get("id") and el.getparent() is not None
                                  and _local(el) not in _PARTS and el.tag.startswith(f"{{{BPMN}}}")]
        for el in candidates:
            facts = _facts(el, lanes, outgoing)
            found[el.get("id")] = (Element(el.get("id"), facts["type"], el.get("name") or ""), facts)
    return found


def diff(old_xml: bytes | str, new_xml: bytes | str) -> Diff:
    """Added, removed and changed elements from the old version to the new one."""
    old, new = elements(old_xml), elements(new_xml)
    result = Diff()
    for element_id, (element, facts) in new.items():
        if element_id not in old:
            result.added.append(element)
            continue
        before = old[element_id][1]
        changes = [Change(name, before.get(name, ""), facts.get(name, ""))
                   for name in FIELDS if before.get(name, "") != facts.get(name, "")]
        if changes:
            result.changed.append(Changed(element, changes))
    result.removed = [element for element_id, (element, _) in old.items() if element_id not in new]
    return result
