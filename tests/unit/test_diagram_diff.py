"""The version comparison: what was added, removed and changed between two diagrams,
in the runtime's terms (name, form key, handler, timer, lane, flows), never layout."""
from pathlib import Path

import pytest

from app.workflow.diagram_diff import DiagramUnreadable, diff

RESIGNATION = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_text("utf-8")


def changes_of(result, element_id) -> dict:
    [changed] = [c for c in result.changed if c.element.id == element_id]
    return {c.field: (c.old, c.new) for c in changed.changes}


def test_the_same_diagram_has_no_differences():
    assert diff(RESIGNATION, RESIGNATION).empty


def test_moving_shapes_is_not_a_difference():
    moved = RESIGNATION.replace('<dc:Bounds x="170" y="50"', '<dc:Bounds x="190" y="60"')
    assert moved != RESIGNATION
    assert diff(RESIGNATION, moved).empty


def test_a_changed_timer_is_reported_with_both_values():
    longer = RESIGNATION.replace('"PT24H"', '"PT48H"').replace("24小时未同意", "48小时未同意")
    result = diff(RESIGNATION, longer)
    assert not result.added and not result.removed
    assert [c.element.id for c in result.changed] == ["waiting_period"]
    assert changes_of(result, "waiting_period") == {
        "name": ("24小时未同意", "48小时未同意"),
        "timer": ('timeDuration "PT24H"', 'timeDuration "PT48H"'),
    }


def test_form_key_handler_and_lane_changes_are_named():
    changed = (RESIGNATION.replace('value="confirm"', 'value="approval"')
               .replace('<spiffworkflow:serviceTaskOperator id="resignation_completed" resultVariable="completed">\n'
                        '          <spiffworkflow:parameters>\n'
                        '            <spiffworkflow:parameter id="by" type="str" value="\'person\'" />',
                        '<spiffworkflow:serviceTaskOperator id="resignation_finished" resultVariable="completed">\n'
                        '          <spiffworkflow:parameters>\n'
                        '            <spiffworkflow:parameter id="by" type="str" value="\'person\'" />')
               .replace('name="enterprise_hr"', 'name="enterprise_legal_rep"'))
    result = diff(RESIGNATION, changed)
    assert changes_of(result, "immediate_resignation") == {"form_key": ("confirm", "approval")}
    assert changes_of(result, "complete_by_person") == {"handler": ("resignation_completed", "resignation_finished")}
    assert changes_of(result, "Lane_enterprise_hr") == {"role": ("enterprise_hr", "enterprise_legal_rep")}
    # every task in the renamed lane now belongs to another role
    assert changes_of(result, "enterprise_agree") == {"lane": ("enterprise_hr", "enterprise_legal_rep")}


def test_an_added_task_with_its_flows_and_a_removed_flow():
    added = RESIGNATION.replace(
        '<bpmn:sequenceFlow id="flow_agreed_end" sourceRef="complete_by_enterprise" targetRef="end_agreed" />',
        '<bpmn:sequenceFlow id="flow_to_notify" sourceRef="complete_by_enterprise" targetRef="notify" />\n'
        '<bpmn:serviceTask id="notify" name="通知本人"><bpmn:extensionElements>'
        '<spiffworkflow:serviceTaskOperator id="notify_person" /></bpmn:extensionElements></bpmn:serviceTask>\n'
        '<bpmn:sequenceFlow id="flow_notified" sourceRef="notify" targetRef="end_agreed" />')
    result = diff(RESIGNATION, added)
    assert sorted(e.id for e in result.added) == ["flow_notified", "flow_to_notify", "notify"]
    assert [(e.id, e.type) for e in result.removed] == [("flow_agreed_end", "sequenceFlow")]
    assert changes_of(result, "complete_by_enterprise") == {"outgoing": ("end_agreed", "notify")}
    notify = next(e for e in result.added if e.id == "notify")
    assert (notify.type, notify.name) == ("serviceTask", "通知本人")


def test_a_changed_condition_and_flow_target():
    old = RESIGNATION.replace('<bpmn:sequenceFlow id="flow_agreed" sourceRef="enterprise_agree" targetRef="complete_by_enterprise" />',
                              '<bpmn:sequenceFlow id="flow_agreed" sourceRef="enterprise_agree" targetRef="complete_by_enterprise">'
                              '<bpmn:conditionExpression>decision == "agree"</bpmn:conditionExpression></bpmn:sequenceFlow>')
    new = old.replace('decision == "agree"', 'decision != "reject"').replace(
        'id="flow_agreed" sourceRef="enterprise_agree" targetRef="complete_by_enterprise"',
        'id="flow_agreed" sourceRef="enterprise_agree" targetRef="end_agreed"')
    result = diff(old, new)
    assert changes_of(result, "flow_agreed") == {"target": ("complete_by_enterprise", "end_agreed"),
                                                 "condition": ('decision == "agree"', 'decision != "reject"')}


def test_unreadable_xml_is_refused():
    with pytest.raises(DiagramUnreadable):
        diff(RESIGNATION, "<bpmn:definitions")
