"""A diagram's problems: each names the file, the element and its line, and says in the
analyst's language what is wrong and what to do. Errors refuse the diagram; warnings
(what BPMN allows but is likely a slip) are shown and let it through."""
from dataclasses import dataclass

from app.workflow.elements import BPMN

ERROR, WARNING = "error", "warning"


@dataclass
class Problem:
    file: str
    element_id: str
    line: int | None
    message: str
    severity: str = ERROR

    def __str__(self):
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where} [{self.element_id or '-'}] {self.message}"

    def as_json(self) -> dict:
        return {"element_id": self.element_id or None, "line": self.line, "message": self.message}


class DefinitionError(Exception):
    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


# What a modeler draws: a problem about anything else (an event's timer definition, a
# flow's condition, a task's parameter or data association) is marked on the drawn
# element that holds it.
DRAWN = {"process", "subProcess", "transaction", "adHocSubProcess", "lane", "participant", "sequenceFlow",
         "messageFlow", "dataObjectReference", "dataStoreReference", "textAnnotation",
         "task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
         "businessRuleTask", "callActivity", "startEvent", "endEvent", "intermediateCatchEvent",
         "intermediateThrowEvent", "boundaryEvent", "exclusiveGateway", "inclusiveGateway", "parallelGateway",
         "eventBasedGateway", "complexGateway"}
_BPMN = f"{{{BPMN}}}"


def drawn(element):
    """The element itself if a modeler draws it (and it has an id), else the nearest such ancestor."""
    while element is not None and not (isinstance(element.tag, str) and element.tag.startswith(_BPMN)
                                       and element.tag[len(_BPMN):] in DRAWN and element.get("id")):
        element = element.getparent()
    return element


def at(file_name: str, element, message: str, severity: str = ERROR) -> Problem:
    """A problem about `element` (an lxml element), named by the drawn element that holds
    it — the one the analyst can find on the canvas — at the element's own line."""
    owner = drawn(element)
    return Problem(file_name, owner.get("id") if owner is not None else "", element.sourceline, message, severity)


def errors(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == ERROR]


def warnings(problems: list[Problem]) -> list[Problem]:
    return [p for p in problems if p.severity == WARNING]
