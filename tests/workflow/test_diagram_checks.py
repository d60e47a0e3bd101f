"""The whole diagram is read before the engine sees it, and every problem says where
(element and line) and what to do, in the analyst's words — never the engine's internals."""
import pytest

from app.workflow import parsing, testcases

HEAD = ('<?xml version="1.0" encoding="UTF-8"?>\n'
        '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"'
        ' xmlns:spiffworkflow="http://spiffworkflow.org/bpmn/schema/1.0/core" id="d" targetNamespace="t">\n')
FORM = ('<bpmn:extensionElements><spiffworkflow:properties>'
        '<spiffworkflow:property name="formKey" value="approval" /></spiffworkflow:properties></bpmn:extensionElements>')


def diagram(body: str, executable="true", lanes="", extra="") -> str:
    return (HEAD + extra + f'<bpmn:process id="p" isExecutable="{executable}">\n' + lanes + body
            + '\n</bpmn:process>\n</bpmn:definitions>\n')


def lane(*ids) -> str:
    refs = "".join(f"<bpmn:flowNodeRef>{i}</bpmn:flowNodeRef>" for i in ids)
    return f'<bpmn:laneSet id="ls"><bpmn:lane id="l1" name="enterprise_hr">{refs}</bpmn:lane></bpmn:laneSet>\n'


def flow(fid, source, target, condition=None) -> str:
    inner = f'<bpmn:conditionExpression>{condition}</bpmn:conditionExpression>' if condition else ""
    return f'<bpmn:sequenceFlow id="{fid}" sourceRef="{source}" targetRef="{target}">{inner}</bpmn:sequenceFlow>\n'


SIMPLE = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "approve")
          + f'<bpmn:userTask id="approve" name="审批">{FORM}</bpmn:userTask>\n' + flow("f2", "approve", "end")
          + '<bpmn:endEvent id="end" />\n')


def problems(xml, **kwargs):
    return parsing.validate(xml.encode("utf-8") if isinstance(xml, str) else xml, "upload.bpmn", **kwargs)


def line_of(xml: str, element_id: str) -> int:
    return next(n for n, text in enumerate(xml.splitlines(), 1) if f'id="{element_id}"' in text)


def named(found, element_id):
    return [p for p in found if p.element_id == element_id]


def assert_readable(found):
    """Every problem about an element names its line; no Python internals reach the analyst."""
    for p in found:
        if p.element_id:
            assert isinstance(p.line, int), p
        for internal in ("<Element", " at 0x", "Traceback", "TypeError", "NoneType", "KeyError"):
            assert internal not in p.message, p


def test_a_valid_diagram_has_nothing_to_say(app):
    assert problems(diagram(SIMPLE, lanes=lane("approve"))) == []


@pytest.mark.parametrize("data, says", [
    (b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", "不是BPMN XML文件"),
    (b"just some words", "不是BPMN XML文件"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><rect/></svg>', "根元素是 svg"),
])
def test_what_is_not_bpmn_says_so(app, data, says):
    found = problems(data)
    assert len(found) == 1 and says in found[0].message


def test_no_executable_process_says_what_was_found(app):
    two = HEAD + ('<bpmn:process id="Process_1" isExecutable="false"><bpmn:startEvent id="s1"/></bpmn:process>\n'
                  '<bpmn:process id="Process_2" isExecutable="false"><bpmn:startEvent id="s2"/></bpmn:process>\n'
                  '</bpmn:definitions>')
    [found] = problems(two)
    assert "找到 0 个可执行流程" in found.message and "2 个流程都是 isExecutable=false" in found.message
    assert "Process_1" in found.message and found.line == 3


def test_the_whole_diagram_is_checked_not_only_what_is_reachable(app):
    body = SIMPLE + '<bpmn:userTask id="forgotten" name="遗忘的任务" />\n'
    xml = diagram(body, lanes=lane("approve"))
    found = named(problems(xml), "forgotten")
    messages = " ".join(p.message for p in found)
    assert "没有连接任何连线" in messages and "须选择表单" in messages and "须放在泳道中" in messages
    assert {p.line for p in found} == {line_of(xml, "forgotten")}


def test_an_element_only_in_a_loop_nothing_enters_is_unreachable(app):
    body = SIMPLE + ('<bpmn:scriptTask id="a"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n'
                     '<bpmn:scriptTask id="b"><bpmn:script>x = 2</bpmn:script></bpmn:scriptTask>\n'
                     + flow("fa", "a", "b") + flow("fb", "b", "a"))
    found = problems(diagram(body, lanes=lane("approve")))
    assert {p.element_id for p in found if "无法到达" in p.message} == {"a", "b"}


def test_a_task_nothing_leads_to_is_an_implicit_start(app):
    body = SIMPLE + '<bpmn:scriptTask id="orphan"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n' + \
        flow("fo", "orphan", "end")
    [found] = named(problems(diagram(body, lanes=lane("approve"))), "orphan")
    assert "隐式开始" in found.message and found.severity == "error"


def test_a_gateway_branch_without_condition_is_named_on_its_flow(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "gw")
            + '<bpmn:exclusiveGateway id="gw" name="是否通过" />\n'
            + flow("yes", "gw", "end", "approved == True") + flow("no", "gw", "end")
            + '<bpmn:endEvent id="end" />\n')
    xml = diagram(body)
    [found] = problems(xml, start_names={"approved"})
    assert found.element_id == "no" and found.line == line_of(xml, "no")
    assert "是否通过" in found.message and "默认连线" in found.message


def test_a_task_with_two_outgoing_flows_is_told_to_use_a_gateway(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "calc")
            + '<bpmn:scriptTask id="calc"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n'
            + flow("f2", "calc", "end") + flow("f3", "calc", "end") + '<bpmn:endEvent id="end" />\n')
    [found] = problems(diagram(body))
    assert found.element_id == "calc" and "2 条流出连线" in found.message and "网关" in found.message


def test_an_implicit_end_is_a_warning_and_the_case_runner_names_it(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "calc")
            + '<bpmn:scriptTask id="calc" name="计算"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n')
    xml = diagram(body)
    [found] = problems(xml)
    assert found.severity == "warning" and "隐式结束" in found.message and found.line == line_of(xml, "calc")
    [result] = testcases.run_cases(xml, "p", [{"name": "走到头", "steps": []}])
    assert not result.passed and "在 calc 处结束（没有结束事件）" in result.message


@pytest.mark.parametrize("inner, ref", [
    ('<bpmn:messageEventDefinition id="m" messageRef="NoSuchMessage" />', "NoSuchMessage"),
    ('<bpmn:signalEventDefinition id="s" signalRef="NoSuchSignal" />', "NoSuchSignal"),
])
def test_references_to_nothing_are_named_on_their_event(app, inner, ref):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "wait")
            + f'<bpmn:intermediateCatchEvent id="wait" name="等回复">{inner}</bpmn:intermediateCatchEvent>\n'
            + flow("f2", "wait", "end") + '<bpmn:endEvent id="end" />\n')
    xml = diagram(body)
    found = problems(xml)
    assert_readable(found)
    [missing] = [p for p in found if ref in p.message]
    assert missing.element_id == "wait" and "不存在" in missing.message and missing.line == line_of(xml, "wait")


def test_a_data_association_to_nothing_is_named_on_its_task(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "calc")
            + '<bpmn:scriptTask id="calc"><bpmn:dataOutputAssociation id="doa">'
              '<bpmn:targetRef>Missing_Object</bpmn:targetRef></bpmn:dataOutputAssociation>'
              '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>\n'
            + flow("f2", "calc", "end") + '<bpmn:endEvent id="end" />\n')
    found = problems(diagram(body))
    assert_readable(found)
    # the association is not drawn when its target is missing: the task holding it is
    assert any("Missing_Object" in p.message and p.element_id == "calc" for p in found), found


def test_a_call_activity_names_the_process_it_cannot_find(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "call")
            + '<bpmn:callActivity id="call" name="复核" calledElement="review_process" />\n'
            + flow("f2", "call", "end") + '<bpmn:endEvent id="end" />\n')
    xml = diagram(body)
    [found] = problems(xml)
    assert found.element_id == "call" and "review_process" in found.message and found.line == line_of(xml, "call")


def test_an_empty_service_parameter_is_not_called_a_syntax_error(app):
    body = ('<bpmn:startEvent id="start" />\n' + flow("f1", "start", "record")
            + '<bpmn:serviceTask id="record" name="记录"><bpmn:extensionElements>'
              '<spiffworkflow:serviceTaskOperator id="record_outcome" resultVariable="recorded">'
              '<spiffworkflow:parameters><spiffworkflow:parameter id="outcome" type="str" value="" />'
              '</spiffworkflow:parameters></spiffworkflow:serviceTaskOperator></bpmn:extensionElements>'
              '</bpmn:serviceTask>\n' + flow("f2", "record", "end") + '<bpmn:endEvent id="end" />\n')
    [found] = problems(diagram(body))
    assert "参数 outcome 没有填写值" in found.message and "语法" not in found.message


def test_a_name_no_one_sets_is_a_warning_and_form_fields_count_as_set(app):
    body = SIMPLE.replace(flow("f2", "approve", "end"), flow("f2", "approve", "calc")) + (
        '<bpmn:scriptTask id="calc"><bpmn:script>total = decision + amuont</bpmn:script></bpmn:scriptTask>\n'
        + flow("f3", "calc", "end"))
    found = problems(diagram(body, lanes=lane("approve")))
    assert [(p.element_id, p.severity) for p in found] == [("calc", "warning")]
    assert "amuont" in found[0].message and "decision" not in found[0].message  # a field of the approval form


def test_the_engines_own_refusals_are_named_on_their_element_with_a_line(app):
    body = SIMPLE.replace(f'<bpmn:userTask id="approve" name="审批">{FORM}',
                          f'<bpmn:userTask id="approve" name="审批">{FORM}<bpmn:standardLoopCharacteristics />')
    xml = diagram(body, lanes=lane("approve"))
    [found] = problems(xml)
    assert found.element_id == "approve" and found.line == line_of(xml, "approve")
    assert "循环任务" in found.message and "loopMaximum" not in found.message


def test_a_schema_error_names_the_line(app):
    xml = diagram(SIMPLE.replace('<bpmn:endEvent id="end" />', '<bpmn:endEvent id="end" /><bpmn:oops id="x" />'),
                  lanes=lane("approve"))
    found = problems(xml)
    assert_readable(found)
    assert found and found[0].line == line_of(xml, "x") and "BPMN 2.0" in found[0].message


def test_another_partys_pool_is_not_checked(app):
    """A collaboration's second pool, drawn for the reader, never runs."""
    other = ('<bpmn:process id="customer" isExecutable="false">'
             '<bpmn:task id="drawn_only" /></bpmn:process>\n')
    assert problems(diagram(SIMPLE, lanes=lane("approve"), extra=other)) == []
