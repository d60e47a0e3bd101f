"""bpmnlint's messages in the analyst's language, for the modeler page.

bpmn-js-bpmnlint passes every text it shows (each rule's message, its button's label)
through bpmn-js's translate service; modeler.js looks them up in this table, rendered into
the page in the page's language. Keys are bpmnlint's English exactly as its recommended
rules write them (bpmnlint 11.15); a message not listed is shown as bpmnlint wrote it.
"""
from flask_babel import gettext

from app.services.i18n import N_

MESSAGES = {
    "{errors} Errors, {warnings} Warnings": N_("规则检查：%(errors)s 个错误，%(warnings)s 个警告"),
    "No Issues": N_("规则检查：没有问题"),
    "Toggle linting overlays": N_("显示或隐藏规则检查标记"),
    "Issues for child elements": N_("子元素的问题"),
    "Sequence flow is missing condition": N_("连线缺少条件"),
    "Process is missing end event": N_("流程缺少结束事件"),
    "Sub process is missing end event": N_("子流程缺少结束事件"),
    "Process is missing start event": N_("流程缺少开始事件"),
    "Sub process is missing start event": N_("子流程缺少开始事件"),
    "Process has multiple blank start events": N_("流程有多个空白开始事件"),
    "Sub process has multiple blank start events": N_("子流程有多个空白开始事件"),
    "An <Event-based Gateway> must have at least 2 outgoing <Sequence Flows>": N_("事件网关须至少有 2 条流出连线"),
    "A <Sequence Flow> outgoing from an <Event-based Gateway> must not be conditional":
        N_("事件网关的流出连线不能带条件"),
    "A <Start Event> is not allowed in <Ad Hoc Sub Process>": N_("自由子流程中不能有开始事件"),
    "An <End Event> is not allowed in <Ad Hoc Sub Process>": N_("自由子流程中不能有结束事件"),
    "Start event is missing event definition": N_("开始事件缺少事件类型"),
    "Start event must be blank": N_("子流程的开始事件须为空白开始事件"),
    "Event has multiple event definitions": N_("事件有多个事件类型"),
    "Incoming flows do not join": N_("多条流入连线未经网关汇合"),
    "Element is missing name": N_("元素缺少名称"),
    "Element is unused": N_("元素未被使用"),
    "Element name is not unique": N_("元素名称重复"),
    "Element is missing label/name": N_("元素缺少名称"),
    "Link event is missing link name": N_("链接事件缺少链接名称"),
    "Element is missing bpmndi": N_("元素缺少图形信息（BPMN DI）"),
    "Element is not connected": N_("元素没有连线"),
    "SequenceFlow is a duplicate": N_("连线重复"),
    "Duplicate outgoing sequence flows": N_("流出连线重复"),
    "Duplicate incoming sequence flows": N_("流入连线重复"),
    "Gateway forks and joins": N_("网关同时用于分支和汇合"),
    "Flow splits implicitly": N_("多条流出连线未经网关分支"),
    "Element is an implicit end": N_("元素没有流出连线（隐式结束），请连接到结束事件"),
    "Element is an implicit start": N_("元素没有流入连线（隐式开始）"),
    "Element overlaps with other element": N_("元素与其他元素重叠"),
    "Element is outside of parent boundary": N_("元素超出了所属元素的边界"),
    "Element type <bpmn:ComplexGateway> is discouraged": N_("不建议使用复杂网关"),
    "Element type <bpmn:InclusiveGateway> is discouraged": N_("不建议使用包容网关"),
    "Gateway is superfluous. It only has one source and target.": N_("网关多余：只有一条流入和一条流出连线"),
    "Sequence flow has superfluous label": N_("连线的名称多余"),
    "Termination is superfluous.": N_("终止结束事件多余"),
}
# bpmn-js fills {name} placeholders after translating; gettext's own are %(name)s.
_PLACEHOLDERS = {"errors": "{errors}", "warnings": "{warnings}"}


def messages() -> dict[str, str]:
    """English → the page's language, {placeholders} kept for bpmn-js to fill."""
    return {english: gettext(text, **_PLACEHOLDERS) if "%(" in text else gettext(text)
            for english, text in MESSAGES.items()}
