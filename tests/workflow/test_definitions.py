"""Deploy validation, versions, and the sandbox at deploy time and at run time."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.services import roles
from app.workflow import definitions, runtime
from tests.support.factories import auth, token
from tests.workflow.conftest import fixture_xml

SCRIPT_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="D" targetNamespace="t">
  <bpmn:process id="scripted" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="calc" />
    <bpmn:scriptTask id="calc" name="计算">
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:sequenceFlow id="f2" sourceRef="calc" targetRef="gate" />
    <bpmn:exclusiveGateway id="gate" default="f_no" />
    <bpmn:sequenceFlow id="f_yes" sourceRef="gate" targetRef="end">
      <bpmn:conditionExpression>{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f_no" sourceRef="gate" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>
"""
HOSTILE = ["import os", "__import__('os').system('id')", "open('/etc/passwd').read()",
           "().__class__.__base__.__subclasses__()", "from subprocess import run", "x = getattr(1, 'real')"]


def scripted(script="total = 1 + 1", condition="total == 2") -> str:
    return SCRIPT_PROCESS.format(script=script.replace("'", "&apos;"), condition=condition.replace("'", "&apos;"))


@pytest.fixture
def analyst(client, world):
    return token(client, world.user("analyst_a", platform_role=roles.ANALYST))


def post_xml(client, tok, xml):
    return client.post("/api/v1/process-definitions", data=xml.encode(), content_type="application/xml",
                       headers=auth(tok))


def test_deploy_creates_versions_and_identical_content_is_not_a_new_one(client, analyst):
    first = post_xml(client, analyst, fixture_xml("simple_approval"))
    assert first.status_code == 201 and first.get_json() == {"key": "simple_approval", "version": 1}
    same = post_xml(client, analyst, fixture_xml("simple_approval"))
    assert same.status_code == 200 and same.get_json()["version"] == 1
    changed = post_xml(client, analyst, fixture_xml("simple_approval").replace("确认结果", "确认审批结果"))
    assert changed.status_code == 201 and changed.get_json()["version"] == 2
    listing = client.get("/api/v1/process-definitions", headers=auth(analyst)).get_json()["items"]
    versions = {i["key"]: [v["version"] for v in i["versions"]] for i in listing}
    assert versions["simple_approval"] == [2, 1]


def test_another_process_deployed_under_an_existing_key_is_named_in_the_warnings(client, analyst):
    assert post_xml(client, analyst, fixture_xml("simple_approval")).status_code == 201
    revised = post_xml(client, analyst, fixture_xml("simple_approval").replace("确认结果", "确认审批结果"))
    assert revised.status_code == 201 and "warnings" not in revised.get_json()
    other = fixture_xml("wait_an_hour").replace('id="wait_an_hour"', 'id="simple_approval"').replace(
        'processRef="wait_an_hour"', 'processRef="simple_approval"').replace('"start"', '"begin"')
    response = post_xml(client, analyst, other)
    assert response.status_code == 201 and response.get_json()["version"] == 3
    assert any("simple_approval" in w and "替换" in w for w in response.get_json()["warnings"])


def test_only_analysts_deploy(client, world):
    tok = token(client, world.admin())
    assert post_xml(client, tok, fixture_xml("simple_approval")).status_code == 403
    assert client.get("/api/v1/process-definitions", headers=auth(tok)).status_code == 200
    plain = token(client, world.user())
    assert client.get("/api/v1/process-definitions", headers=auth(plain)).status_code == 403


@pytest.mark.parametrize("hostile", HOSTILE)
def test_hostile_scripts_are_refused_at_deploy_naming_the_element(client, analyst, hostile):
    response = post_xml(client, analyst, scripted(script=hostile))
    assert response.status_code == 422
    body = response.get_json()
    assert "calc" in body["errors"] and body["errors"]["calc"].startswith("第 ")
    calc = [p for p in body["problems"] if p["element_id"] == "calc"]
    assert calc and isinstance(calc[0]["line"], int) and "脚本任务" in calc[0]["message"]
    assert db.session.scalar(select(ProcessDefinition.id).where(ProcessDefinition.key == "scripted")) is None


@pytest.mark.parametrize("hostile", ["__import__('os')", "open('/etc/passwd')", "().__class__.__base__"])
def test_hostile_conditions_are_refused_at_deploy(client, analyst, hostile):
    response = post_xml(client, analyst, scripted(condition=hostile))
    assert response.status_code == 422 and "f_yes" in response.get_json()["errors"]


def test_unregistered_names_and_bad_timers_are_named_with_lines(client, analyst):
    xml = fixture_xml("approval_timeout")
    cases = {
        "表单“no_such_form”未注册": xml.replace('value="approval"', 'value="no_such_form"'),
        "角色“nobody”未注册": xml.replace('name="enterprise_hr"', 'name="nobody"'),
        "处理程序“no_handler”未注册": xml.replace('id="record_outcome" resultVariable="recorded">\n          <spiffworkflow:parameters>\n            <spiffworkflow:parameter id="outcome" type="str" value="decision" />',
                                                    'id="no_handler" resultVariable="recorded">\n          <spiffworkflow:parameters>\n            <spiffworkflow:parameter id="outcome" type="str" value="decision" />'),
        "不是有效的 ISO 8601": xml.replace('"PT24H"', '"PT24X"'),
        "须写成带引号的表达式": xml.replace('"PT24H"', 'PT24H'),
        "语法错误": xml.replace('"PT24H"', '"PT24H" +'),
    }
    lines = xml.splitlines()
    for expected, bad in cases.items():
        response = post_xml(client, analyst, bad)
        assert response.status_code == 422, expected
        body = response.get_json()
        assert any(expected in message and message.startswith("第 ") for message in body["errors"].values()), body
        problem = next(p for p in body["problems"] if expected in p["message"])
        # the line is the element's own (or its child's, for a timer's expression)
        assert f'id="{problem["element_id"]}"' in "\n".join(lines[problem["line"] - 4:problem["line"]]), problem


def test_malformed_xml_and_schema_errors_are_422(client, analyst):
    broken = post_xml(client, analyst, "<bpmn:definitions><oops></bpmn:definitions>")
    assert broken.status_code == 422 and broken.get_json()["problems"][0]["line"] == 1
    invalid = fixture_xml("simple_approval").replace("<bpmn:startEvent id=\"start\" />",
                                                     "<bpmn:startEvent id=\"start\" /><bpmn:notAnElement id=\"x\"/>")
    assert post_xml(client, analyst, invalid).status_code == 422
    assert post_xml(client, analyst, "").status_code == 422
    wrong_type = client.post("/api/v1/process-definitions", json={"xml": "x"}, headers=auth(analyst))
    assert wrong_type.status_code == 415


def test_xml_entities_are_not_expanded(client, analyst):
    bomb = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&b;</bpmn:definitions>')
    assert post_xml(client, analyst, bomb).status_code == 422


def test_a_hostile_script_that_got_in_another_way_is_refused_at_run_time(app):
    """A row written straight into the table, bypassing deploy, still cannot run."""
    db.session.add(ProcessDefinition(key="scripted", version=1, bpmn_xml=scripted(script="import os"),
                                     content_hash="f" * 64, source="sql", name="scripted"))
    db.session.commit()
    with pytest.raises(definitions.DefinitionError, match="不安全，已拒绝"):
        runtime.start("scripted", {})
    db.session.rollback()
    assert db.session.scalar(select(ProcessInstance.id)) is None


@pytest.mark.parametrize("hostile", HOSTILE)
def test_the_script_environment_itself_refuses_hostile_code(hostile):
    """The last line of defence: every script and condition is checked again as it runs."""
    from app.workflow.sandbox import SandboxEnvironment, SandboxViolation
    with pytest.raises(SandboxViolation):
        SandboxEnvironment().execute(hostile, {})


def test_script_data_flows_and_builtins_are_limited(app):
    from app.workflow.sandbox import SandboxEnvironment
    env = SandboxEnvironment()
    context = {"days": [1, 2, 3]}
    env.execute("total = sum(d * 2 for d in days)\nbig = [d for d in days if d > 1]", context)
    assert context == {"days": [1, 2, 3], "total": 12, "big": [2, 3]}
    with pytest.raises(NameError):
        env.execute("print('x')", {})
