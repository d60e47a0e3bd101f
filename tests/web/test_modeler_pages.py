"""The modeler's pages (issue 9 A): who may see and deploy, validation that names the
elements without deploying, deploying a new version, download, and version comparison."""
import re
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, ProcessDefinition
from app.services import roles
from app.workflow import definitions
from tests.support.factories import csrf_from, log_in
from tests.support.staffing import employee

RESIGNATION = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_text("utf-8")
SCRIPTED = RESIGNATION.replace(
    '<bpmn:sequenceFlow id="flow_agreed" sourceRef="enterprise_agree" targetRef="complete_by_enterprise" />',
    '<bpmn:sequenceFlow id="flow_agreed" sourceRef="enterprise_agree" targetRef="note_agreement" />\n'
    '<bpmn:scriptTask id="note_agreement" name="记录"><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>\n'
    '<bpmn:sequenceFlow id="flow_noted" sourceRef="note_agreement" targetRef="complete_by_enterprise" />')


@pytest.fixture
def analyst(world, client):
    user = world.user("analyst_li", name="李分析", platform_role=roles.ANALYST)
    log_in(client, user)
    return user


def versions_of(key) -> list[int]:
    db.session.expire_all()
    return db.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                              .order_by(ProcessDefinition.version)).all()


def editor_csrf(client, key="resignation") -> str:
    return csrf_from(client.get(f"/modeler/{key}/edit").get_data(as_text=True))


def post_xml(client, path, xml, csrf):
    return client.post(path, data=xml.encode("utf-8") if isinstance(xml, str) else xml,
                       content_type="application/xml", headers={"X-CSRFToken": csrf})


def test_the_analyst_sees_every_process_with_its_latest_version(client, analyst):
    html = client.get("/modeler/").get_data(as_text=True)
    assert "流程建模" in html  # the navigation offers it
    for key in ("hire_consent", "resignation", "dismissal", "payroll"):
        assert f'data-testid="process-{key}"' in html
    row = re.search(r'data-testid="process-resignation">(.*?)</tr>', html, re.S).group(1)
    assert "离职" in row and "v1" in row and "系统（流程文件）" in row


def test_admins_may_look_but_not_deploy(client, world):
    log_in(client, world.admin())
    assert client.get("/modeler/").status_code == 200
    html = client.get("/modeler/resignation/edit").get_data(as_text=True)
    assert 'data-action="publish"' not in html and "只有业务分析员可以校验、运行测试用例和发布新版本" in html
    assert 'data-action="validate"' not in html and 'data-action="tests"' not in html
    response = post_xml(client, "/modeler/resignation/deploy", RESIGNATION.replace('"PT24H"', '"PT48H"'),
                        csrf_from(html))
    assert response.status_code == 403
    assert versions_of("resignation") == [1]


@pytest.mark.parametrize("who", ["worker", "hr", "pm", "anonymous"])
def test_other_roles_are_refused(client, world, who):
    enterprise = world.enterprise()
    if who == "worker":
        log_in(client, employee(world, enterprise).user)
    elif who == "hr":
        log_in(client, world.hr_admin(enterprise))
    elif who == "pm":
        log_in(client, world.project_manager(world.project(enterprise), enterprise))
    for path in ("/modeler/", "/modeler/resignation/", "/modeler/resignation/edit",
                 "/modeler/resignation/v1.bpmn", "/modeler/resignation/compare?a=1&b=1"):
        response = client.get(path)
        assert response.status_code in (302, 403), path
        if who != "anonymous":
            assert response.status_code == 403
    if who != "anonymous":
        assert "流程建模" not in client.get("/").get_data(as_text=True)
        csrf = csrf_from(client.get("/").get_data(as_text=True))
        for action in ("validate", "deploy", "test-cases"):
            assert post_xml(client, f"/modeler/resignation/{action}", RESIGNATION, csrf).status_code == 403
    assert versions_of("resignation") == [1]


def test_validate_names_the_elements_and_deploys_nothing(client, analyst):
    csrf = editor_csrf(client)
    bad = (RESIGNATION.replace('serviceTaskOperator id="resignation_completed" resultVariable="completed">\n'
                               '          <spiffworkflow:parameters>\n'
                               '            <spiffworkflow:parameter id="by" type="str" value="\'person\'" />',
                               'serviceTaskOperator id="send_flowers" resultVariable="completed">\n'
                               '          <spiffworkflow:parameters>\n'
                               '            <spiffworkflow:parameter id="by" type="str" value="\'person\'" />')
           .replace('"PT24H"', '"24 hours"'))
    reply = post_xml(client, "/modeler/resignation/validate", bad, csrf)
    assert reply.status_code == 200
    body = reply.get_json()
    assert body["ok"] is False
    found = {p["element_id"]: p["message"] for p in body["problems"]}
    assert found["complete_by_person"] == "服务任务“本人立即离职”(complete_by_person) 的处理程序“send_flowers”未注册"
    assert "waiting_period" in found and "ISO 8601" in found["waiting_period"]  # the timer's event, as drawn
    assert all(p["line"] for p in body["problems"])
    assert versions_of("resignation") == [1]


def test_validate_refuses_a_forbidden_script(client, analyst):
    reply = post_xml(client, "/modeler/resignation/validate", SCRIPTED.format(script="__import__('os').system('id')"),
                     editor_csrf(client)).get_json()
    assert reply["ok"] is False
    [problem] = reply["problems"]
    assert problem["element_id"] == "note_agreement"
    assert problem["message"].startswith("脚本任务“记录”(note_agreement) 的脚本或条件不安全，已拒绝")
    assert versions_of("resignation") == [1]


def test_validate_accepts_a_good_diagram_and_refuses_garbage_clearly(client, analyst):
    csrf = editor_csrf(client)
    assert post_xml(client, "/modeler/resignation/validate", RESIGNATION, csrf).get_json() == {
        "ok": True, "problems": [], "warnings": []}
    broken = post_xml(client, "/modeler/resignation/validate", "<bpmn:definitions", csrf).get_json()
    assert broken["ok"] is False and broken["problems"][0]["message"].startswith("XML 格式错误")
    assert post_xml(client, "/modeler/resignation/validate", b"\xff\xfe<x/>", csrf).status_code == 422
    empty = post_xml(client, "/modeler/resignation/validate", "", csrf)
    assert empty.status_code == 422 and empty.get_json()["problems"][0]["message"] == "没有收到流程图内容。"
    assert client.post("/modeler/resignation/validate", data=RESIGNATION,
                       content_type="application/xml").status_code == 400  # no CSRF token
    assert client.post("/modeler/nothing_here/validate", data=RESIGNATION, content_type="application/xml",
                       headers={"X-CSRFToken": csrf}).status_code == 404


def test_deploy_creates_a_new_version_and_audits_it(client, analyst):
    csrf = editor_csrf(client)
    renamed = RESIGNATION.replace('name="解聘待确认"', 'name="离职待同意"')
    reply = post_xml(client, "/modeler/resignation/deploy", renamed, csrf)
    assert reply.status_code == 200
    assert reply.get_json()["version"] == 2 and reply.get_json()["message"] == "已发布为第 2 版。"
    assert versions_of("resignation") == [1, 2]
    assert definitions.latest("resignation").source == "modeler"
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.deploy"))
    assert entry.actor_id == analyst.id and entry.details == {"key": "resignation", "version": 2}
    # the same content again is no new version
    again = post_xml(client, "/modeler/resignation/deploy", renamed, csrf)
    assert again.get_json()["created"] is False and versions_of("resignation") == [1, 2]
    html = client.get("/modeler/resignation/").get_data(as_text=True)
    assert 'data-testid="version-2"' in html and "李分析" in html


def test_a_rule_period_change_is_warned_and_published_only_when_confirmed(client, analyst):
    csrf = editor_csrf(client)
    longer = RESIGNATION.replace('"PT24H"', '"PT48H"')
    checked = post_xml(client, "/modeler/resignation/validate", longer, csrf).get_json()
    assert checked["ok"] is True and checked["problems"] == []
    [warning] = checked["warnings"]
    assert (warning["element_id"], warning["old"], warning["new"]) == ("waiting_period", '"PT24H"', '"PT48H"')
    assert "离职等待期" in warning["message"] and "由 24小时 改为 48小时" in warning["message"]
    assert post_xml(client, "/modeler/resignation/validate", RESIGNATION, csrf).get_json()["warnings"] == []

    unconfirmed = post_xml(client, "/modeler/resignation/deploy", longer, csrf)
    assert unconfirmed.status_code == 409
    body = unconfirmed.get_json()
    assert body["ok"] is False and body["confirm"] == "rule-change" and body["warnings"] == [warning]
    assert versions_of("resignation") == [1]  # answered with the warning, not deployed
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "process.deploy")) == 0

    confirmed = post_xml(client, "/modeler/resignation/deploy?confirm=rule-change", longer, csrf)
    assert confirmed.status_code == 200 and confirmed.get_json()["version"] == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.deploy"))
    assert entry.details["rule_changes"] == [{"timer": "waiting_period", "old": '"PT24H"', "new": '"PT48H"'}]
    html = client.get("/modeler/resignation/edit").get_data(as_text=True)
    assert 'data-testid="rule-warnings"' in html and "我已核实，确认修改上述规则时限" in html


def test_an_invalid_deploy_marks_the_problems_and_changes_nothing(client, analyst):
    bad = RESIGNATION.replace('value="confirm"', 'value="no_such_form"')
    reply = post_xml(client, "/modeler/resignation/deploy", bad, editor_csrf(client))
    assert reply.status_code == 422
    [problem] = reply.get_json()["problems"]
    assert problem["line"] and problem == {"element_id": "immediate_resignation", "line": problem["line"],
                                           "message": "用户任务“立即离职”(immediate_resignation) 的表单“no_such_form”未注册",
                                           "severity": "error"}
    assert versions_of("resignation") == [1]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "process.deploy")) == 0


def test_the_editor_deploys_only_its_own_process(client, analyst):
    other = (Path(__file__).resolve().parents[2] / "processes" / "dismissal.bpmn").read_text("utf-8")
    reply = post_xml(client, "/modeler/resignation/deploy", other.replace("</bpmn:process>", "</bpmn:process>\n"),
                     editor_csrf(client))
    assert reply.status_code == 422 and "流程标识须保持为 resignation" in reply.get_json()["problems"][0]["message"]
    assert versions_of("dismissal") == [1]


def test_download_gives_the_stored_version(client, analyst):
    response = client.get("/modeler/resignation/v1.bpmn")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'attachment; filename="resignation-v1.bpmn"'
    assert response.get_data(as_text=True) == RESIGNATION
    assert client.get("/modeler/resignation/v9.bpmn").status_code == 404


def test_compare_lists_what_changed_between_two_versions(client, analyst):
    csrf = editor_csrf(client)
    post_xml(client, "/modeler/resignation/deploy?confirm=rule-change",
             RESIGNATION.replace('"PT24H"', '"PT48H"').replace("24小时未同意", "48小时未同意"), csrf)
    html = client.get("/modeler/resignation/").get_data(as_text=True)
    assert 'data-testid="compare-form"' in html
    html = client.get("/modeler/resignation/compare?a=2&b=1").get_data(as_text=True)
    assert "v1 与 v2 的差异" in html
    timer = re.search(r'data-testid="change-waiting_period-timer">(.*?)</tr>', html, re.S).group(1)
    assert "定时器" in timer and "&#34;PT24H&#34;" in timer and "&#34;PT48H&#34;" in timer
    assert 'data-testid="change-waiting_period-name"' in html
    same = client.get("/modeler/resignation/compare?a=1&b=1")
    assert same.status_code == 302
    assert "请选择两个不同的版本进行比较" in client.get(same.headers["Location"]).get_data(as_text=True)
    assert client.get("/modeler/resignation/compare?a=1&b=7").status_code == 404


def test_test_cases_run_on_the_diagram_being_edited(client, analyst):
    csrf = editor_csrf(client)
    body = post_xml(client, "/modeler/resignation/test-cases", RESIGNATION, csrf).get_json()
    assert body["available"] is True and body["results"]
    assert all(r["passed"] for r in body["results"])
    assert set(body["results"][0]) == {"name", "passed", "message", "element_id"}
    # Paying the person's resignation out as the enterprise's breaks a case; nothing is deployed.
    wrong = RESIGNATION.replace("value=\"'person'\"", "value=\"'enterprise'\"")
    body = post_xml(client, "/modeler/resignation/test-cases", wrong, csrf).get_json()
    failed = [r for r in body["results"] if not r["passed"]]
    assert failed and all(r["message"] for r in failed)
    assert versions_of("resignation") == [1]
    # A diagram that does not validate is reported as problems, like 【校验】.
    broken = post_xml(client, "/modeler/resignation/test-cases", RESIGNATION.replace('"PT24H"', '"soon"'), csrf).get_json()
    assert [p["element_id"] for p in broken["problems"]] == ["waiting_period"] and broken["results"] == []


def test_the_version_list_is_paged(client, analyst, app):
    for n in range(app.config["PAGE_SIZE"] + 2):
        definitions.deploy(RESIGNATION.replace("24小时未同意", f"24小时未同意{n}"), "test")
    db.session.commit()
    html = client.get("/modeler/resignation/").get_data(as_text=True)
    assert html.count('data-testid="version-') == app.config["PAGE_SIZE"] and "第 1 / 2 页" in html
    assert 'data-testid="version-1"' in client.get("/modeler/resignation/?page=2").get_data(as_text=True)


def test_the_lane_choices_are_named_in_the_reader_s_language(client, analyst):
    chinese = client.get("/modeler/resignation/edit").get_data(as_text=True)
    assert "施工总包项目经理" in chinese and "General contractor" not in chinese
    client.post("/lang/en", data={"csrf_token": editor_csrf(client), "next": "/"})
    english = client.get("/modeler/resignation/edit").get_data(as_text=True)
    assert "General contractor&#39;s project manager" in english or "General contractor's project manager" in english
    assert "施工总包项目经理" not in english
