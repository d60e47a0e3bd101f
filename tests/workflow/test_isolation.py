"""A diagram nobody has deployed yet runs in a child process: past its wall-clock, CPU
or memory limit the child is stopped and the report names the case that was running;
a call activity that calls its own process is refused before anything runs; and only
analysts may have the modeler run or check a diagram."""
import pytest

from app.services import roles
from app.workflow import definitions, isolation
from tests.support.factories import auth, csrf_from, log_in, token
from tests.web.test_modeler_pages import SCRIPTED

AGREED = "企业在等待期内同意，离职成功"  # the resignation case that reaches note_agreement
SPIN = "big = [0] * 1000000\nfor i in range(1000000):\n    big.count(1)"  # seconds of work within the sandbox
HOG = "a = list(range(1000000))\nb = list(range(1000000))\nc = list(range(1000000))"


def refused(xml: str) -> list:
    with pytest.raises(definitions.DefinitionError) as raised:
        isolation.deploy(xml, "deploy")
    return raised.value.problems


def test_past_the_wall_clock_the_child_is_stopped_naming_the_case(app, monkeypatch):
    monkeypatch.setattr(isolation, "WALL_SECONDS", 1)
    [problem] = refused(SCRIPTED.format(script=SPIN))
    assert f"用例「{AGREED}」运行超过 1 秒" in problem.message


def test_past_its_cpu_time_the_child_is_stopped_naming_the_case(app, monkeypatch):
    monkeypatch.setattr(isolation, "CPU_SECONDS", 1)
    [problem] = refused(SCRIPTED.format(script=SPIN))
    assert f"用例「{AGREED}」超出 CPU 时间（1 秒）或内存" in problem.message


def test_past_its_memory_the_case_fails_and_nothing_is_deployed(app, monkeypatch):
    monkeypatch.setattr(isolation, "MEMORY_BYTES", 120 * 2**20)
    problems = refused(SCRIPTED.format(script=HOG))
    assert any(AGREED in p.message and "MemoryError" in p.message for p in problems) or \
        any(f"用例「{AGREED}」超出" in p.message for p in problems)
    assert isolation.validate(SCRIPTED.format(script="noted = True"), "deploy") == []  # a diagram's own work fits


def calling_itself() -> str:
    """A process whose call activity calls the process itself."""
    return """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="resignation" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="again" />
    <bpmn:callActivity id="again" name="再来一次" calledElement="resignation" />
    <bpmn:sequenceFlow id="f2" sourceRef="again" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_process_calling_itself_is_refused_before_anything_runs(app):
    """Deployed under a key with test cases, it used to nest subprocesses until restart."""
    [problem] = refused(calling_itself())
    assert problem.element_id == "again" and problem.line == 6
    assert "不能直接或间接调用自己" in problem.message and "resignation → resignation" in problem.message


@pytest.mark.parametrize("route", ["validate", "test-cases"])
def test_only_analysts_have_the_modeler_run_or_check_a_diagram(app, client, world, route):
    client.get("/api/v1/openapi.json")  # processes/ loaded
    diagram = SCRIPTED.format(script="noted = True").encode()
    answers = {}
    for who, user in (("admin", world.admin()), ("analyst", world.user("analyst_iso", platform_role=roles.ANALYST))):
        client = app.test_client()  # the `client` fixture's class: each request in its own context
        log_in(client, user)
        csrf = csrf_from(client.get("/modeler/resignation/edit").get_data(as_text=True))
        answers[who] = client.post(f"/modeler/resignation/{route}", data=diagram, content_type="application/xml",
                                   headers={"X-CSRFToken": csrf}).status_code
    assert answers == {"admin": 403, "analyst": 200}


SCRIPT_CYCLE = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="resignation" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="a" />
    <bpmn:scriptTask id="a"><bpmn:script>n = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="b" />
    <bpmn:scriptTask id="b"><bpmn:script>m = 2</bpmn:script></bpmn:scriptTask>
    <bpmn:sequenceFlow id="f3" sourceRef="b" targetRef="a" />
  </bpmn:process>
</bpmn:definitions>"""


def test_a_cycle_of_script_tasks_is_refused_with_its_reason(client, world):
    """It used to end the deploy in a RecursionError 500."""
    client.get("/api/v1/openapi.json")
    tok = token(client, world.user("analyst_cycle", platform_role=roles.ANALYST))
    response = client.post("/api/v1/process-definitions", data=SCRIPT_CYCLE.encode(), content_type="application/xml",
                           headers=auth(tok))
    assert response.status_code == 422
    assert "没有出口的循环" in response.get_json()["detail"]
