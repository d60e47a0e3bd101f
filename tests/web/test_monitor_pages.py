"""流程监控 pages: administrators only; the dashboard's counts, failures, overdue tasks
and task durations; the instance list's filters and pages; one instance's page and its
confirmed actions (retry after the cause is fixed, terminate, reassign, migrate)."""
import re
from datetime import datetime, timedelta, timezone

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, HumanTask, ProcessInstance
from app.services import roles
from app.workflow import runtime
from app.workflow.errors import WorkflowFailure
from tests.support.factories import csrf_from, log_in, submit
from tests.workflow.conftest import FAILING, deploy, parties  # noqa: F401  (pytest fixtures)


def start(key, subject, **data):
    instance = runtime.start(key, subject, data=data or None)
    db.session.commit()
    return instance


def open_row(instance):
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                     HumanTask.status == "open"))


def cell(html, process, status) -> str:
    row = re.search(rf'<tr data-process="{process}">(.*?)</tr>', html, re.S).group(1)
    return re.sub(r"<[^>]+>", "", re.search(rf'data-status="{status}">(.*?)</td>', row, re.S).group(1)).strip()


def listed(html) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-instance-id="(\d+)"', html)]


def post_action(client, instance, action, data=None):
    page = f"/admin/monitor/instances/{instance.id}"
    return submit(client, f"{page}/{action}", data or {}, page=page)


def test_only_administrators_see_the_monitor(app, client, deploy, parties, world):
    deploy("simple_approval")
    instance = start("simple_approval", parties["subject"])
    definition_id = instance.definition_id
    assert client.get("/admin/monitor/").status_code == 302  # to the login page
    project = world.project(parties["enterprise"])
    refused = [world.user(platform_role=roles.ANALYST), parties["hr"], parties["person_user"],
               world.project_manager(project, parties["enterprise"])]
    urls = ["/admin/monitor/", "/admin/monitor/instances", f"/admin/monitor/instances/{instance.id}",
            f"/admin/monitor/definitions/{definition_id}/diagram.bpmn",
            "/admin/monitor/processes/simple_approval/migrate"]
    for user in refused:
        client = app.test_client()  # the `client` fixture has set the isolating client class
        log_in(client, user)
        for url in urls:
            assert client.get(url).status_code == 403, (user.username, url)
        home = client.get("/").get_data(as_text=True)
        token = csrf_from(home)
        for action in ("suspend", "terminate", "migrate", "retry"):
            response = client.post(f"/admin/monitor/instances/{instance.id}/{action}",
                                   data={"csrf_token": token, "reason": "x"})
            assert response.status_code == 403
        assert client.post(f"/admin/monitor/tasks/{open_row(instance).id}/reassign",
                           data={"csrf_token": token, "username": user.username}).status_code == 403
        assert "monitor-link" not in home
    assert db.session.get(ProcessInstance, instance.id).status == "running"
    assert open_row(instance).candidate_role == "enterprise_hr"
    client = app.test_client()
    log_in(client, world.admin())
    assert 'data-testid="monitor-link"' in client.get("/").get_data(as_text=True)
    for url in urls:
        assert client.get(url).status_code == 200, url


def test_dashboard_counts_failures_and_retry_after_the_cause_is_fixed(client, deploy, parties, world):
    deploy("simple_approval")
    deploy("flaky_after_approval")
    running = [start("simple_approval", parties["subject"]) for _ in range(3)]
    runtime.suspend(running[0], world.admin())
    db.session.commit()
    runtime.complete(open_row(running[1]), parties["hr"], {"decision": "agree"})
    flaky = start("flaky_after_approval", parties["subject"])
    FAILING["on"] = True
    try:
        runtime.complete(open_row(flaky), parties["hr"], {"decision": "agree"})
    except WorkflowFailure:
        pass
    admin = world.admin()
    log_in(client, admin)
    html = client.get("/admin/monitor/").get_data(as_text=True)
    assert cell(html, "simple_approval", "running") == "2" and cell(html, "simple_approval", "suspended") == "1"
    assert cell(html, "simple_approval", "error") == "0" and cell(html, "flaky_after_approval", "error") == "1"
    failed = re.search(r'data-testid="failed">(.*?)</ul>', html, re.S).group(1)
    assert f'data-instance-id="{flaky.id}"' in failed and "the bank gateway is down" in failed
    assert 'data-task="approve"' in html  # 审批申请 has a measured duration

    page = client.get(f"/admin/monitor/instances/{flaky.id}").get_data(as_text=True)
    assert 'data-status="error"' in page and "the bank gateway is down" in page
    still_down = post_action(client, flaky, "retry")
    assert "重试仍然失败" in client.get(still_down.location).get_data(as_text=True)
    FAILING["on"] = False
    retried = post_action(client, flaky, "retry")
    assert retried.status_code == 302
    assert "已重试" in client.get(retried.location).get_data(as_text=True)
    db.session.refresh(flaky)
    assert flaky.status == "running" and open_row(flaky).task_key == "acknowledge"
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.retry",
                                                      AuditEntry.actor_id == admin.id)) is not None
    html = client.get("/admin/monitor/").get_data(as_text=True)
    assert 'data-testid="no-failed"' in html


def test_overdue_tasks_are_on_the_dashboard(client, deploy, parties, world):
    deploy("approval_timeout")
    late = start("approval_timeout", parties["subject"])
    log_in(client, world.admin())
    assert 'data-testid="no-overdue"' in client.get("/admin/monitor/").get_data(as_text=True)
    with time_machine.travel(datetime.now(timezone.utc) + timedelta(hours=25)):
        html = client.get("/admin/monitor/").get_data(as_text=True)
    overdue = re.search(r'data-testid="overdue">(.*?)</ul>', html, re.S).group(1)
    assert f'data-task-id="{open_row(late).id}"' in overdue and "审批" in overdue


def test_instance_list_filters_and_pages(app, client, deploy, parties, world):
    deploy("simple_approval")
    deploy("approval_timeout")
    mine = [start("simple_approval", parties["subject"]) for _ in range(5)]
    other = world.enterprise(name="浦江另一建设有限公司")
    theirs = start("approval_timeout", {**parties["subject"], "enterprise_id": other.id})
    old = db.session.get(ProcessInstance, mine[0].id)
    old.created_at = datetime(2024, 3, 1, 2, 0, tzinfo=timezone.utc)
    runtime.terminate(mine[1], None, "重复")
    db.session.commit()
    log_in(client, world.admin())
    app.config["PAGE_SIZE"] = 4

    first = client.get("/admin/monitor/instances").get_data(as_text=True)
    assert len(listed(first)) == 4 and "共 6 个" in first and "第 1 / 2 页" in first
    second = client.get("/admin/monitor/instances?page=2").get_data(as_text=True)
    assert set(listed(first)) | set(listed(second)) == {i.id for i in mine} | {theirs.id}
    by_process = client.get("/admin/monitor/instances?process=approval_timeout").get_data(as_text=True)
    assert listed(by_process) == [theirs.id]
    assert listed(client.get("/admin/monitor/instances?status=terminated").get_data(as_text=True)) == [mine[1].id]
    by_text = client.get("/admin/monitor/instances", query_string={"q": "浦江另一"}).get_data(as_text=True)
    assert listed(by_text) == [theirs.id]
    dated = client.get("/admin/monitor/instances?started_from=2024-03-01&started_to=2024-03-01")
    assert listed(dated.get_data(as_text=True)) == [mine[0].id]
    paged = client.get("/admin/monitor/instances?process=simple_approval&page=2").get_data(as_text=True)
    assert "process=simple_approval" in paged and len(listed(paged)) == 1
    bad = client.get("/admin/monitor/instances?started_from=2024-13-45&status=bogus")
    assert bad.status_code == 200 and "日期格式不正确" in bad.get_data(as_text=True)
    assert len(listed(bad.get_data(as_text=True))) == 4  # the bad filters are ignored
    empty = client.get("/admin/monitor/instances", query_string={"q": "没有这个"}).get_data(as_text=True)
    assert 'data-testid="empty"' in empty


def test_instance_page_masks_id_numbers_and_shows_history(client, deploy, parties, world):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"], note="身份证 310101199001011234 已核对",
                     id_number="310101199001011234")
    log_in(client, world.admin())
    html = client.get(f"/admin/monitor/instances/{instance.id}").get_data(as_text=True)
    assert "310101199001011234" not in html and "3101**********1234" in html
    assert 'data-kind="started"' in html and 'data-testid="timers"' in html and "24小时" in html
    assert 'data-testid="no-diagram"' in html  # the fixture has no diagram information
    deploy("with_diagram")
    drawn = start("with_diagram", parties["subject"])
    html = client.get(f"/admin/monitor/instances/{drawn.id}").get_data(as_text=True)
    assert f'data-monitor-diagram="/admin/monitor/definitions/{drawn.definition_id}/diagram.bpmn"' in html
    assert re.search(r'data-active="\[(&#34;|&quot;)approve(&#34;|&quot;)\]"', html)  # the current task
    assert re.search(r'data-done="\[(&#34;|&quot;)start(&#34;|&quot;)\]"', html)


def test_terminate_needs_a_reason_and_reassign_a_known_user(client, deploy, parties, world):
    deploy("simple_approval")
    instance = start("simple_approval", parties["subject"])
    row = open_row(instance)
    log_in(client, world.admin())
    refused = post_action(client, instance, "terminate", {"reason": "  "})
    assert "请填写终止原因" in client.get(refused.location).get_data(as_text=True)
    assert db.session.get(ProcessInstance, instance.id).status == "running"
    page = f"/admin/monitor/instances/{instance.id}"
    unknown = submit(client, f"/admin/monitor/tasks/{row.id}/reassign", {"username": "nobody"}, page=page)
    assert "该用户不存在或已停用" in client.get(unknown.location).get_data(as_text=True)
    helper = world.user()
    done = submit(client, f"/admin/monitor/tasks/{row.id}/reassign", {"username": helper.username}, page=page)
    assert "已改派给" in client.get(done.location).get_data(as_text=True)
    db.session.refresh(row)
    assert row.candidate_user_id == helper.id and row.candidate_role is None
    ended = post_action(client, instance, "terminate", {"reason": "重复发起"})
    assert "流程已终止" in client.get(ended.location).get_data(as_text=True)
    assert db.session.get(ProcessInstance, instance.id).status == "terminated"
    again = post_action(client, instance, "suspend")
    assert "只有运行中或等待中的流程可以挂起" in client.get(again.location).get_data(as_text=True)
    assert client.post(f"/admin/monitor/instances/{instance.id}/resume", data={}).status_code == 400  # no token
    assert db.session.get(ProcessInstance, instance.id).status == "terminated"


def test_bulk_migration_page_dry_run_then_run(client, deploy, parties, world):
    deploy("migration_review")
    movable = start("migration_review", parties["subject"])
    stuck = start("migration_review", parties["subject"])
    runtime.complete(open_row(stuck), parties["hr"], {"decision": "agree"})
    deploy("migration_review_v2")
    log_in(client, world.admin())
    url = "/admin/monitor/processes/migration_review/migrate"
    html = client.get(url).get_data(as_text=True)
    assert f'data-instance-id="{movable.id}" data-can-move="yes"' in html
    assert f'data-instance-id="{stuck.id}" data-can-move="no"' in html and "在新版本中已删除" in html
    nothing = submit(client, url, {})
    assert "请至少选择一个流程实例" in nothing.get_data(as_text=True)
    html = client.post(url, data={"csrf_token": csrf_from(html), "instance_id": [movable.id, stuck.id]})
    text = html.get_data(as_text=True)
    assert f'data-instance-id="{movable.id}" data-moved="yes"' in text
    assert f'data-instance-id="{stuck.id}" data-moved="no"' in text and "已迁移 1 个，未迁移 1 个" in text
    assert db.session.get(ProcessInstance, movable.id).definition.version == 2
    assert db.session.get(ProcessInstance, stuck.id).definition.version == 1
    page = client.get(f"/admin/monitor/instances/{movable.id}").get_data(as_text=True)
    assert 'data-kind="migrated"' in page and "第 1 版 → 第 2 版" in page
    assert 'data-testid="verdict"' not in page  # on the latest version: nothing to offer
    page = client.get(f"/admin/monitor/instances/{stuck.id}").get_data(as_text=True)
    verdict = re.search(r'data-testid="verdict">(.*?)</ul>', page, re.S).group(1)
    assert "当前任务「确认结果」在新版本中已删除" in verdict and "不能迁移" in page
    refused = post_action(client, stuck, "migrate")
    assert "当前任务「确认结果」在新版本中已删除" in client.get(refused.location).get_data(as_text=True)
    assert db.session.get(ProcessInstance, stuck.id).definition.version == 1


def test_one_instance_migrated_from_its_page(client, deploy, parties, world):
    deploy("migration_review")
    instance = start("migration_review", parties["subject"])
    deploy("migration_review_v2")
    admin = world.admin()
    log_in(client, admin)
    page = client.get(f"/admin/monitor/instances/{instance.id}").get_data(as_text=True)
    assert "可以迁移" in page and "最新为第 2 版" in page
    moved = post_action(client, instance, "migrate")
    assert "已迁移到第 2 版" in client.get(moved.location).get_data(as_text=True)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.migrate"))
    assert entry.actor_id == admin.id and entry.details == {"from_version": 1, "to_version": 2}
