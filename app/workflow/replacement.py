"""Is a diagram deployed under a key the same process as that key's latest version?
The modeler asks the analyst to confirm; the API names it in its warnings.

An analyst who opens a new bpmn.io diagram (its process is always "Process_1") or imports
another team's file may deploy it under a key that already holds a different process; the
deploy would quietly make it the next version. The test is structural: the flow nodes
(tasks, events, gateways, sub-processes) the two versions share by id. Less than half of
the latest version's nodes kept means a different process, so the deploy asks first.
Half, not "none": bpmn.io names every new start event "StartEvent_1", so two unrelated
diagrams often share one id; a real revision keeps most of its nodes.
"""
from app.common.i18n import N_
from app.workflow import diagram_diff

CONFIRM_REPLACE_PROCESS = "replace-process"  # ?confirm= on a deploy that replaces the process
REPLACES_PROCESS = N_("流程图与“%(key)s”的当前版本（v%(version)d）几乎没有相同的元素（共有 %(shared)d 个，"
                      "原有 %(total)d 个），发布将以另一个流程替换“%(key)s”。请确认后再发布。")
_CONTAINERS = {"subProcess", "callActivity", "transaction", "adHocSubProcess"}


def flow_node_ids(xml: bytes | str) -> set[str]:
    """The ids of the tasks, events, gateways and sub-processes in the diagram's processes."""
    return {element_id for element_id, (element, _) in diagram_diff.elements(xml).items()
            if element.type in _CONTAINERS or element.type.lower().endswith(("task", "event", "gateway"))}


def shared_nodes(old_xml: bytes | str, new_xml: bytes | str) -> tuple[int, int]:
    """(flow nodes of the old version kept in the new one, flow nodes of the old version)."""
    old = flow_node_ids(old_xml)
    return len(old & flow_node_ids(new_xml)), len(old)



def replaces(shared: int, total: int) -> bool:
    """Fewer than half of the latest version's flow nodes kept: another process."""
    return total > 0 and shared * 2 < total
