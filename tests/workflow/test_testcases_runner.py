"""The BPMN test-case runner (app/workflow/testcases.py) on small fixture diagrams, and
the deploy gate: a diagram whose cases fail is refused with the report."""
import json

import pytest
from sqlalchemy import func, select

from app.handlers import install
from app.models import ProcessDefinition
from app.services import roles
from app.workflow import definitions, files, testcases
from app.workflow import isolation
from app.workflow.testcases import cases_for, run_cases
from tests.support.factories import auth, token
from tests.workflow.conftest import fixture_xml

install()  # lanes, forms and handlers the diagrams name (create_app does this in the app)

RESIGNATION = (definitions.PROCESSES_DIR / "resignation.bpmn").read_text(encoding="utf-8")


def run_one(fixture: str, case: dict):
    [result] = run_cases(fixture_xml(fixture), cases=[{"name": "样例", **case}])
    return result


APPROVED = {"steps": [{"complete": "approve", "data": {"decision": "agree"}}],
            "stubs": {"record_outcome": {"recorded": True}}}


def test_a_passing_case_reports_its_path():
    result = run_one("approval_timeout", {**APPROVED, "expect": {"end": "end_approved", "ready": [], "waiting": []}})
    assert result.passed, result.message
    assert result.path == ["start", "approve", "record_decision", "decide", "end_approved"]
    assert result.element_id is None


def test_a_wrong_expected_path_fails_naming_the_case_and_where_it_turned_away():
    result = run_one("approval_timeout", {
        "steps": [{"complete": "approve", "data": {"decision": "reject", "comment": "不符合"}}],
        "stubs": {"record_outcome": {}}, "expect": {"path_includes": ["approve", "end_approved"]}})
    assert not result.passed
    assert result.message == ("用例「样例」：期望到达 end_approved，实际 "
                              "start → approve → record_decision → decide → end_rejected")
    assert result.element_id == "decide"  # the gateway that went the other way
    assert result.path[-1] == "end_rejected"


def test_an_exact_path_and_the_end_event_are_checked():
    wrong_path = run_one("approval_timeout", {**APPROVED, "expect": {"path": ["start", "approve", "decide"]}})
    assert not wrong_path.passed and "期望路径 start → approve → decide" in wrong_path.message
    wrong_end = run_one("approval_timeout", {**APPROVED, "expect": {"end": "end_rejected"}})
    assert not wrong_end.passed and "期望到达 end_rejected" in wrong_end.message


def test_a_service_task_without_a_stub_fails_naming_the_task():
    result = run_one("approval_timeout", {"steps": [{"complete": "approve", "data": {"decision": "agree"}}]})
    assert not result.passed
    assert result.element_id == "record_decision"
    assert "record_decision" in result.message and "record_outcome" in result.message and "第 1 步" in result.message


def test_stubs_by_task_id_win_and_a_list_answers_call_by_call():
    case = {"stubs": {"record_outcome": [{"n": 1}, {"n": 2}], "record_decision": {"by": "task id"}},
            "steps": [{"fire_timers": True}, {"fire_timers": True}],
            "expect": {"end": "end_timeout", "completed": True,
                       "calls": [{"task": "record_reminder", "params": {"outcome": "reminded"}},
                                 {"task": "record_timeout", "handler": "record_outcome"}]}}
    result = run_one("reminder_and_timeout", case)
    assert result.passed, result.message
    decided = run_one("reminder_and_timeout", {"stubs": case["stubs"], "steps": APPROVED["steps"],
                                               "expect": {"data": {"recorded": {"by": "task id"}}}})
    assert decided.passed, decided.message
    too_few = run_one("reminder_and_timeout", {**case, "stubs": {"record_outcome": [{"n": 1}]}})
    assert not too_few.passed and too_few.element_id == "record_timeout" and "桩结果已用完" in too_few.message


def test_timers_fire_in_deadline_order_without_the_case_naming_a_duration():
    stubs = {"record_outcome": {}}
    first = run_one("reminder_and_timeout", {"stubs": stubs, "steps": [{"fire_timers": True}], "expect": {
        "path_includes": ["remind_after", "record_reminder", "end_reminded"], "path_excludes": ["give_up"],
        "ready": ["approve"], "waiting": ["give_up"], "completed": False}})
    assert first.passed, first.message
    # The analyst swaps the durations: the same step now fires the time-out first.
    swapped = fixture_xml("reminder_and_timeout").replace('"PT1H"', '"P5D"')
    [result] = run_cases(swapped, cases=[{"name": "提醒改为5天", "stubs": stubs, "steps": [{"fire_timers": True}],
                                          "expect": {"end": "end_timeout", "path_excludes": ["remind_after"]}}])
    assert result.passed, result.message


def test_firing_a_named_timer_moves_time_past_the_earlier_ones_too():
    result = run_one("reminder_and_timeout", {"stubs": {"record_outcome": {}}, "steps": [{"fire_timer": "give_up"}],
                                              "expect": {"path_includes": ["remind_after", "give_up"],
                                                         "end": "end_timeout", "completed": True}})
    assert result.passed, result.message
    nothing_waits = run_one("approval_timeout", {**APPROVED, "steps": [*APPROVED["steps"], {"fire_timers": True}]})
    assert not nothing_waits.passed and "第 2 步：没有等待中的定时器" in nothing_waits.message
    unknown = run_one("approval_timeout", {"steps": [{"fire_timer": "reminder"}]})
    assert not unknown.passed and "定时器 reminder 未在等待（等待中的有：timeout）" in unknown.message


def test_a_user_task_that_is_not_ready_fails_listing_the_ready_ones():
    result = run_one("simple_approval", {"steps": [{"complete": "acknowledge", "data": {"confirm": True}}]})
    assert not result.passed
    assert result.message == "用例「样例」：第 1 步：用户任务 acknowledge 未就绪（就绪的有：approve）"
    assert result.element_id == "acknowledge"
    both = run_one("simple_approval", {"steps": [{"complete": "approve", "data": {"decision": "agree"}},
                                                 {"expect": {"ready": ["acknowledge"]}},
                                                 {"complete": "acknowledge", "data": {"confirm": True}}],
                                       "expect": {"end": "end", "data": {"decision": "agree", "confirm": True}}})
    assert both.passed, both.message


def test_a_message_is_delivered_only_when_the_flow_waits_for_it():
    delivered = run_one("message_receiver", {"steps": [{"expect": {"waiting": ["wait"]}},
                                                       {"message": "wage_paid", "payload": {"amount_fen": 100}}],
                                             "expect": {"end": "end"}})
    assert delivered.passed, delivered.message
    wrong = run_one("message_receiver", {"steps": [{"message": "wage_unpaid"}]})
    assert not wrong.passed and "流程没有在等待消息 wage_unpaid（等待中的消息：wage_paid）" in wrong.message


def test_thrown_messages_can_be_expected():
    sent = run_one("message_sender", {"stubs": {"record_outcome": {}}, "expect": {"thrown": ["wage_paid"]}})
    assert sent.passed, sent.message
    other = run_one("message_sender", {"stubs": {"record_outcome": {}}, "expect": {"thrown": ["wage_unpaid"]}})
    assert not other.passed and "期望抛出消息 wage_unpaid" in other.message


def test_the_engines_silent_loop_limit_is_a_failure_not_a_pass():
    short = run_one("counting_loop", {"start": {"rounds": 10}, "expect": {"end": "end", "data": {"done": 10}}})
    assert short.passed, short.message
    # Past ~330 rounds SpiffWorkflow stops and says "completed" although no end event ran.
    long = run_one("counting_loop", {"start": {"rounds": 400}, "expect": {"completed": True}})
    assert not long.passed and "静默停止" in long.message
    assert long.element_id in ("merge", "count", "more") and "end" not in long.path


def test_a_mistyped_case_is_reported_as_a_format_error():
    typo = run_one("simple_approval", {"steps": [{"complet": "approve"}]})
    assert not typo.passed and "格式错误" in typo.message and "第 1 步应有且只有一个动作" in typo.message
    unknown = run_one("simple_approval", {"expect": {"ended": True}})
    assert not unknown.passed and "未知的键 ended" in unknown.message
    not_fired = run_one("simple_approval", {"steps": [{"fire_timers": False}]})
    assert not not_fired.passed and "\"fire_timers\" 应为true" in not_fired.message
    [nameless] = run_cases(fixture_xml("simple_approval"), cases=[{"steps": []}])
    assert not nameless.passed and "\"name\" 应为非空文本" in nameless.message


def test_an_invalid_diagram_gives_its_problems_as_failed_results():
    broken = fixture_xml("simple_approval").replace('value="approval"', 'value="no_such_form"')
    [result] = run_cases(broken, cases=[{"name": "样例"}])
    assert not result.passed and result.element_id == "approve" and "no_such_form" in result.message


def test_cases_are_read_from_the_file_next_to_the_process(tmp_path, monkeypatch):
    monkeypatch.setattr(files, "PROCESSES_DIR", tmp_path)  # where cases are looked for
    assert cases_for("simple_approval") == []
    (tmp_path / "simple_approval.cases.json").write_text(json.dumps({"about": "x", "cases": [
        {"name": "审批后确认", "steps": [{"complete": "approve", "data": {"decision": "agree"}},
                                         {"complete": "acknowledge", "data": {"confirm": True}}],
         "expect": {"end": "end"}}]}), encoding="utf-8")
    [result] = run_cases(fixture_xml("simple_approval"))
    assert result.passed and result.name == "审批后确认"
    (tmp_path / "simple_approval.cases.json").write_text("{not json", encoding="utf-8")
    [unreadable] = run_cases(fixture_xml("simple_approval"), "simple_approval")
    assert not unreadable.passed and "simple_approval.cases.json 无法读取" in unreadable.message


# ---- the deploy gate ----------------------------------------------------------------------

@pytest.fixture
def analyst(client, world):
    client.get("/api/v1/openapi.json")  # the first request loads processes/ as version 1
    return token(client, world.user("analyst_cases", platform_role=roles.ANALYST))


def versions(key: str) -> int:
    from app.extensions import db
    return db.session.scalar(select(func.count()).select_from(ProcessDefinition).where(ProcessDefinition.key == key))


def post_xml(client, tok, xml: str):
    return client.post("/api/v1/process-definitions", data=xml.encode("utf-8"), content_type="application/xml",
                       headers=auth(tok))


def test_a_failing_case_blocks_deploy_with_the_report(client, analyst):
    before = versions("resignation")
    assert before == 1
    # 【立即离职】 now records the enterprise as the one who ended it: a case expects "person".
    changed = RESIGNATION.replace("value=\"'person'\"", "value=\"'enterprise'\"")
    response = post_xml(client, analyst, changed)
    assert response.status_code == 422
    body = response.get_json()
    assert "企业未在等待期内同意，本人立即离职" in body["detail"]
    report = body["errors"]["complete_by_person"]
    assert report.startswith("第 ") and "期望调用" in report and '"by": "person"' in report
    assert versions("resignation") == before


def test_a_changed_waiting_period_still_deploys(client, analyst):
    # the cases say "fire the timer", not how long it waits (the answer names the rule change)
    response = client.post("/api/v1/process-definitions",
                           data=RESIGNATION.replace('"PT24H"', '"PT48H"').encode("utf-8"),
                           content_type="application/xml", headers=auth(analyst))
    assert response.status_code == 201, response.get_json()
    assert (response.get_json()["key"], response.get_json()["version"]) == ("resignation", 2)


def test_deploy_raises_one_problem_per_failing_case(app):
    changed = RESIGNATION.replace('cancelActivity="false"', 'cancelActivity="true"')  # the timer withdraws 解聘待确认
    with pytest.raises(definitions.DefinitionError) as raised:
        isolation.deploy(changed, "deploy")
    problems = raised.value.problems
    assert len(problems) == 2
    assert all(p.file == "deploy" and p.element_id == "enterprise_agree" and p.line for p in problems)
    assert "本人立即离职" in problems[0].message and "撤回" in problems[1].message
    assert versions("resignation") == 0


def test_loading_the_processes_folder_at_start_does_not_run_cases(app, tmp_path):
    # pytest runs the files' cases; start-up only loads what was released.
    (tmp_path / "resignation.bpmn").write_text(RESIGNATION.replace("value=\"'person'\"", "value=\"'enterprise'\""),
                                               encoding="utf-8")
    assert not all(r.passed for r in testcases.run_cases((tmp_path / "resignation.bpmn").read_text(), "resignation"))
    created = definitions.sync_directory(tmp_path)
    assert [d.key for d in created] == ["resignation"]



def test_the_api_reports_every_failing_case_at_one_element(client, analyst):
    changed = RESIGNATION.replace('cancelActivity="false"', 'cancelActivity="true"')
    response = post_xml(client, analyst, changed)
    assert response.status_code == 422
    report = response.get_json()["errors"]["enterprise_agree"].split("\n")
    assert len(report) == 2 and "本人立即离职" in report[0] and "撤回" in report[1]
