"""BPMN elements as an analyst names them: kinds of flow node, their names in words,
and "用户任务“审核”(Task_1)" for a message about one element. lxml only."""
from flask_babel import gettext
from lxml import etree

from app.common.i18n import N_

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
NS = {"bpmn": BPMN, "spiffworkflow": SPIFF}
TIMER_EXPRESSIONS = ("timeDuration", "timeDate", "timeCycle")

TYPE_LABELS = {
    "process": N_("流程"), "lane": N_("泳道"), "userTask": N_("用户任务"), "serviceTask": N_("服务任务"),
    "scriptTask": N_("脚本任务"), "manualTask": N_("人工任务"), "task": N_("任务"), "callActivity": N_("调用活动"),
    "subProcess": N_("子流程"), "startEvent": N_("开始事件"), "endEvent": N_("结束事件"),
    "boundaryEvent": N_("边界事件"), "intermediateCatchEvent": N_("中间捕获事件"),
    "intermediateThrowEvent": N_("中间抛出事件"), "exclusiveGateway": N_("排他网关"),
    "parallelGateway": N_("并行网关"), "inclusiveGateway": N_("包容网关"), "eventBasedGateway": N_("事件网关"),
    "sequenceFlow": N_("连线"), "sendTask": N_("发送任务"), "receiveTask": N_("接收任务"),
    "businessRuleTask": N_("业务规则任务"), "transaction": N_("事务子流程"), "adHocSubProcess": N_("自由子流程"),
    "complexGateway": N_("复杂网关"), "message": N_("消息"), "participant": N_("参与者"),
}

ACTIVITIES = {"task", "userTask", "serviceTask", "scriptTask", "manualTask", "sendTask", "receiveTask",
              "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
GATEWAYS = {"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
FLOW_NODES = ACTIVITIES | GATEWAYS | EVENTS
SCOPES = {"process", "subProcess", "transaction", "adHocSubProcess"}


def kind(element) -> str:
    """The element's BPMN local name ("userTask"); "" for comments and the like."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def is_bpmn(element) -> bool:
    return isinstance(element.tag, str) and etree.QName(element).namespace == BPMN


def describe(element) -> str:
    """用户任务“审核”(Task_1): what the analyst sees on the canvas, and the id to find it by."""
    label = TYPE_LABELS.get(kind(element))
    words = gettext(label) if label else kind(element)
    name = (element.get("name") or "").strip()
    element_id = element.get("id") or ""
    if name:
        return gettext("%(kind)s“%(name)s”(%(id)s)", kind=words, name=name[:60], id=element_id)
    return gettext("%(kind)s %(id)s", kind=words, id=element_id)


def expressions(processes):
    """(element, source, mode) of every script, condition, service-task parameter and
    timer expression in `processes`, as the engine will compile them ("exec" or "eval")."""
    for process in processes:
        for el in process.iterfind(".//bpmn:script", NS):
            yield el, el.text or "", "exec"
        for tag in ("preScript", "postScript"):
            for el in process.iterfind(f".//spiffworkflow:{tag}", NS):
                yield el, el.text or "", "exec"
        for el in process.iterfind(".//bpmn:conditionExpression", NS):
            yield el, (el.text or "").strip(), "eval"
        for el in process.iterfind(".//spiffworkflow:parameter", NS):
            yield el, el.get("value") or "", "eval"
        for tag in TIMER_EXPRESSIONS:
            for el in process.iterfind(f".//bpmn:{tag}", NS):
                yield el, (el.text or "").strip(), "eval"
