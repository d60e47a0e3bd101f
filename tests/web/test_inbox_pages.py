"""The inbox pages: 消息通知 / 待办事项, a task's page, claiming and bulk approval."""
import re
from datetime import timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.models.types import utcnow
from app.workflow import runtime
from tests.support.factories import csrf_from, log_in, submit
from tests.workflow.conftest import FAILING, RECORDED, deploy, parties  # noqa: F401  (pytest fixtures)


def start(key, subject):
    instance = runtime.start(key, subject)
    db.session.commit()
    return instance


def task_of(instance) -> HumanTask:
    [row] = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.status == "open")).all()
    return row


def listed_ids(html: str) -> set[int]:
    return {int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', html)}


def listed_in_order(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr data-task-id="(\d+)"', html)]


def pill_counts(html: str) -> dict[str, int]:
    found = re.findall(r'data-process="([^"]+)"[^>]*>[^<]*<span class="badge[^"]*">(\d+)</span>', html)
    return {key: int(n) for key, n in found}


def other_client(app):
    return app.test_client()  # the `client` fixture has set the isolating client class


def test_inbox_lists_only_my_tasks_with_counts_per_process(client, deploy, parties, world):
    deploy("approval_timeout")
    deploy("simple_approval")
    mine = [task_of(start("approval_timeout", parties["subject"])) for _ in range(2)]
    mine.append(task_of(start("simple_approval", parties["subject"])))
    elsewhere = world.enterprise()
    theirs = task_of(start("approval_timeout", {**parties["subject"], "enterprise_id": elsewhere.id}))

    log_in(client, parties["hr"])
    html = client.get("/inbox/").get_data(as_text=True)
    assert "消息通知" in html and "待办事项" not in html  # the enterprise side's word (manual 000)
    assert listed_ids(html) == {t.id for t in mine} and theirs.id not in listed_ids(html)
    assert pill_counts(html) == {"approval_timeout": 2, "simple_approval": 1}
    assert "审批（24小时超时）" in html and "简单审批" in html  # process names, not keys
    assert parties["enterprise"].name in html and "审批申请" in html
    assert re.search(r'data-testid="inbox-count">3<', html)
    assert html.count('name="task_ids"') == 2 * 3  # all three are approvals: table and card
    assert 'data-testid="bulk-bar"' in html

    worker = other_client(client.application)
    log_in(worker, parties["person_user"])
    page = worker.get("/inbox/").get_data(as_text=True)
    assert "消息通知" in page and "待办事项" not in page
    assert listed_ids(page) == set() and 'data-testid="empty"' in page and "暂无待处理事项" in page
    assert 'data-testid="inbox-count"' not in page


def test_worker_sees_the_task_meant_for_them_under_messages(client, deploy, parties):
    deploy("simple_approval")
    instance = start("simple_approval", parties["subject"])
    runtime.complete(task_of(instance), parties["hr"], {"decision": "agree", "comment": ""})
    ack = task_of(instance)
    log_in(client, parties["person_user"])
    html = client.get("/inbox/").get_data(as_text=True)
    assert "消息通知" in html and listed_ids(html) == {ack.id}
    assert re.search(r'data-testid="inbox-count">1<', html)
    assert 'name="task_ids"' not in html  # a confirmation, not an approval: no bulk actions
    page = client.get(f"/inbox/{ack.id}").get_data(as_text=True)
    assert 'name="confirm"' in page and "我确认" in page
    assert "/claim" not in page and "claim-status" not in page  # one person's own task: nothing to claim
    refused = submit(client, f"/inbox/{ack.id}", {})
    assert refused.status_code == 200 and "请勾选确认" in refused.get_data(as_text=True)
    done = submit(client, f"/inbox/{ack.id}", {"confirm": "y"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/inbox/")
    db.session.refresh(instance)
    assert instance.status == "completed"


def test_filters_and_pagination(app, client, deploy, parties, world):
    deploy("approval_timeout")
    deploy("simple_approval")
    other_person = world.user(name="赵铁柱")
    zhao = task_of(start("approval_timeout", {**parties["subject"], "person_id": other_person.person.id}))
    timed = [task_of(start("approval_timeout", parties["subject"])) for _ in range(2)]
    untimed = task_of(start("simple_approval", parties["subject"]))
    log_in(client, parties["hr"])

    def ids(query):
        return listed_ids(client.get(f"/inbox/{query}").get_data(as_text=True))

    assert ids("?q=赵铁柱") == {zhao.id}
    assert ids("?q=审批申请") == {untimed.id}  # the task's title matches too
    assert ids("?process=simple_approval") == {untimed.id}
    assert ids("?due=1") == {zhao.id, *(t.id for t in timed)}
    assert ids("?due=overdue") == set()
    timed[0].due_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    overdue = client.get("/inbox/?due=overdue").get_data(as_text=True)
    assert listed_ids(overdue) == {timed[0].id} and 'data-testid="overdue"' in overdue
    nothing = client.get("/inbox/?q=不存在的人").get_data(as_text=True)
    assert listed_ids(nothing) == set() and "没有符合条件的事项" in nothing

    by_due = listed_in_order(client.get("/inbox/?order=due").get_data(as_text=True))
    assert by_due[0] == timed[0].id and by_due[-1] == untimed.id  # no deadline last
    newest_first = listed_in_order(client.get("/inbox/").get_data(as_text=True))
    assert newest_first == [untimed.id, timed[1].id, timed[0].id, zhao.id]

    app.config["PAGE_SIZE"] = 2
    first = client.get("/inbox/?due=7").get_data(as_text=True)
    assert listed_in_order(first) == [timed[1].id, timed[0].id]
    assert re.search(r'href="/inbox/\?[^"]*page=2', first) and "due=7" in re.search(
        r'href="(/inbox/\?[^"]*page=2[^"]*)"', first).group(1)
    second = client.get("/inbox/?due=7&page=2").get_data(as_text=True)
    assert listed_in_order(second) == [zhao.id]
    assert pill_counts(second) == {"approval_timeout": 3, "simple_approval": 1}  # counts ignore the filters


def test_task_page_renders_the_approval_form(client, deploy, parties):
    deploy("approval_timeout")
    row = task_of(start("approval_timeout", parties["subject"]))
    log_in(client, parties["hr"])
    html = client.get(f"/inbox/{row.id}").get_data(as_text=True)
    assert "<h1 class=\"h4 mb-0\">审批</h1>" in html and row.subject_text in html
    assert "审批（24小时超时）" in html
    # The subject in words: the enterprise by name, the person by name with a masked ID number.
    rows = re.findall(r'<dt class="col-4">([^<]+)</dt><dd class="col-8" data-testid="subject-row">([^<]+)</dd>', html)
    person = parties["person_user"].person
    assert ("企业", parties["enterprise"].name) in rows and ("人员", person.name) in [(k, v.split("（")[0]) for k, v in rows]
    assert "企业编号" not in html and "人员编号" not in html
    assert re.search(r'type="radio" class="btn-check" name="decision" id="decision-agree" value="agree"', html)
    assert 'value="reject"' in html and ">同意</label>" in html and ">不同意</label>" in html
    assert '<textarea' in html and 'name="comment"' in html
    assert "不显示流程图：该流程定义没有图形信息" in html and "data-diagram-url" not in html
    assert "未认领" in html and "/claim" in html


def test_reject_without_reason_shows_the_error_and_changes_nothing(client, deploy, parties):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"])
    row = task_of(instance)
    log_in(client, parties["hr"])
    response = submit(client, f"/inbox/{row.id}", {"decision": "reject", "comment": "  "})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'不同意时请填写原因', html) and "invalid-feedback" in html
    assert re.search(r'value="reject"\s+autocomplete="off" checked', html)  # the choice is kept
    db.session.refresh(row)
    db.session.refresh(instance)
    assert row.status == "open" and instance.status == "running" and RECORDED == []


def test_agree_on_the_page_completes_the_task(client, deploy, parties):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"])
    row = task_of(instance)
    log_in(client, parties["hr"])
    response = submit(client, f"/inbox/{row.id}", {"decision": "agree", "comment": "材料齐全"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/")
    assert "已处理" in client.get("/inbox/").get_data(as_text=True)
    db.session.refresh(row)
    db.session.refresh(instance)
    assert (row.status, row.completed_by_id, instance.status) == ("completed", parties["hr"].id, "completed")
    assert [r["outcome"] for r in RECORDED] == ["agree"]
    again = submit(client, f"/inbox/{row.id}", {"decision": "agree"}, page="/inbox/")
    assert again.status_code == 302
    assert "该待办已被处理或撤回" in client.get("/inbox/").get_data(as_text=True)
    assert [r["outcome"] for r in RECORDED] == ["agree"]


def test_a_failure_after_submitting_is_explained_and_the_task_leaves_the_inbox(client, deploy, parties):
    deploy("flaky_after_approval")
    instance = start("flaky_after_approval", parties["subject"])
    row = task_of(instance)
    log_in(client, parties["hr"])
    FAILING["on"] = True
    response = submit(client, f"/inbox/{row.id}", {"decision": "agree"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/")
    html = client.get("/inbox/").get_data(as_text=True)
    assert "已提交，但后续流程处理出错，管理员将尽快处理" in html and listed_ids(html) == set()
    db.session.refresh(instance)
    assert instance.status == "error" and instance.pending_action["data"]["decision"] == "agree"
    page = client.get(f"/inbox/{row.id}").get_data(as_text=True)
    assert "流程已暂停" in page and 'data-testid="task-form"' not in page


def test_claim_unclaim_and_the_second_candidate_sees_the_conflict(app, client, deploy, parties):
    deploy("approval_timeout")
    row = task_of(start("approval_timeout", parties["subject"]))
    url = f"/inbox/{row.id}"
    log_in(client, parties["hr"])
    rep = other_client(app)
    log_in(rep, parties["legal_rep"])
    rep_page = rep.get(url).get_data(as_text=True)  # opened before the claim

    claimed = submit(client, f"{url}/claim", {}, page=url)
    assert claimed.status_code == 302
    db.session.refresh(row)
    assert row.claimed_by_id == parties["hr"].id
    assert "我已认领" in client.get(url).get_data(as_text=True)

    seen = rep.get(url).get_data(as_text=True)
    assert f"{parties['hr'].name} 已认领" in seen and 'data-testid="task-form"' not in seen
    rep.post(f"{url}/claim", data={"csrf_token": csrf_from(rep_page)})
    assert "该待办已被他人认领" in rep.get(url).get_data(as_text=True)
    late = rep.post(url, data={"decision": "agree", "csrf_token": csrf_from(rep_page)})
    assert late.status_code == 302 and late.headers["Location"].endswith(url)
    assert "该待办已被他人认领" in rep.get(url).get_data(as_text=True)
    rep.post(f"{url}/unclaim", data={"csrf_token": csrf_from(rep_page)})
    assert "您未认领该待办" in rep.get(url).get_data(as_text=True)
    db.session.refresh(row)
    assert row.status == "open" and row.claimed_by_id == parties["hr"].id

    assert submit(client, f"{url}/unclaim", {}, page=url).status_code == 302
    db.session.refresh(row)
    assert row.claimed_by_id is None
    assert rep.post(url, data={"decision": "agree", "csrf_token": csrf_from(rep_page)}).status_code == 302
    db.session.refresh(row)
    assert (row.status, row.completed_by_id) == ("completed", parties["legal_rep"].id)


def test_bulk_agree_reports_a_task_completed_meanwhile(app, client, deploy, parties):
    deploy("approval_timeout")
    instances = [start("approval_timeout", parties["subject"]) for _ in range(3)]
    rows = [task_of(i) for i in instances]
    log_in(client, parties["hr"])
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    runtime.complete(rows[1], parties["legal_rep"], {"decision": "agree", "comment": ""})  # someone else, meanwhile

    response = client.post("/inbox/bulk", data={"task_ids": [str(r.id) for r in rows], "decision": "agree",
                                                "comment": "", "csrf_token": token})
    assert response.status_code == 302 and response.headers["Location"].endswith("/inbox/")
    html = client.get("/inbox/").get_data(as_text=True)
    assert "2 项已处理，1 项失败" in html
    assert f"待办 #{rows[1].id}「审批」：该待办已被处理或撤回" in html
    for row in rows:
        db.session.refresh(row)
    assert [r.completed_by_id for r in rows] == [parties["hr"].id, parties["legal_rep"].id, parties["hr"].id]
    assert all(db.session.get(ProcessInstance, i.id).status == "completed" for i in instances)
    assert [r["outcome"] for r in RECORDED] == ["agree"] * 3


def test_bulk_never_touches_tasks_the_user_may_not_see(app, client, deploy, parties, world):
    deploy("approval_timeout")
    mine = task_of(start("approval_timeout", parties["subject"]))
    elsewhere = world.enterprise()
    theirs = task_of(start("approval_timeout", {**parties["subject"], "enterprise_id": elsewhere.id}))
    log_in(client, parties["hr"])
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    selected = [str(theirs.id), str(mine.id), "99999", "x", "9" * 30]  # junk ids are ignored
    client.post("/inbox/bulk", data={"task_ids": selected, "decision": "reject", "comment": "资料不全",
                                     "csrf_token": token})
    html = client.get("/inbox/").get_data(as_text=True)
    assert "1 项已处理，2 项失败" in html
    assert f"待办 #{theirs.id}：不存在或无权查看" in html and "待办 #99999：不存在或无权查看" in html
    db.session.refresh(theirs)
    db.session.refresh(mine)
    assert theirs.status == "open" and mine.status == "completed"
    assert [r["outcome"] for r in RECORDED] == ["reject"]


def test_bulk_reject_needs_a_reason_and_a_selection(client, deploy, parties):
    deploy("approval_timeout")
    row = task_of(start("approval_timeout", parties["subject"]))
    log_in(client, parties["hr"])
    token = csrf_from(client.get("/inbox/").get_data(as_text=True))
    client.post("/inbox/bulk", data={"task_ids": [str(row.id)], "decision": "reject", "comment": "",
                                     "csrf_token": token})
    assert "不同意时请填写原因" in client.get("/inbox/").get_data(as_text=True)
    client.post("/inbox/bulk", data={"decision": "agree", "csrf_token": token})
    assert "请先勾选要处理的审批待办" in client.get("/inbox/").get_data(as_text=True)
    db.session.refresh(row)
    assert row.status == "open" and RECORDED == []


def test_bulk_post_requires_csrf(client, deploy, parties):
    deploy("approval_timeout")
    row = task_of(start("approval_timeout", parties["subject"]))
    log_in(client, parties["hr"])
    response = client.post("/inbox/bulk", data={"task_ids": [str(row.id)], "decision": "agree"})
    assert response.status_code == 400 and "页面已过期" in response.get_data(as_text=True)
    forged = client.post("/inbox/bulk", data={"task_ids": [str(row.id)], "decision": "agree",
                                              "csrf_token": "forged"})
    assert forged.status_code == 400
    db.session.refresh(row)
    assert row.status == "open"


def test_non_candidates_get_404_for_the_task_and_its_diagram(app, client, deploy, parties, world):
    deploy("approval_timeout")
    row = task_of(start("approval_timeout", parties["subject"]))
    outsiders = [world.enterprise().legal_rep, parties["person_user"]]
    for outsider in outsiders:
        browser = other_client(app)
        log_in(browser, outsider)
        token = csrf_from(browser.get("/inbox/").get_data(as_text=True))
        assert browser.get(f"/inbox/{row.id}").status_code == 404
        assert browser.get(f"/inbox/{row.id}/diagram.bpmn").status_code == 404
        for action in ("claim", "unclaim"):
            assert browser.post(f"/inbox/{row.id}/{action}", data={"csrf_token": token}).status_code == 404
        assert browser.post(f"/inbox/{row.id}", data={"decision": "agree", "csrf_token": token}).status_code == 404
    assert client.get(f"/inbox/{row.id}").status_code == 302  # not logged in: to the login page
    db.session.refresh(row)
    assert row.status == "open" and row.claimed_by_id is None

    log_in(client, parties["hr"])
    diagram = client.get(f"/inbox/{row.id}/diagram.bpmn")
    assert diagram.status_code == 200 and diagram.mimetype == "application/xml"
    assert 'id="approval_timeout"' in diagram.get_data(as_text=True)
    assert "sandbox" in diagram.headers["Content-Security-Policy"]
    assert client.get("/inbox/99999").status_code == 404
    assert client.get("/inbox/99999999999999999999").status_code == 404  # no overflow error


def test_task_page_offers_the_diagram_when_the_definition_has_one(client, deploy, parties):
    from tests.workflow.conftest import fixture_xml

    xml = fixture_xml("approval_timeout").replace("</bpmn:definitions>", DI_SECTION + "</bpmn:definitions>")
    deploy(xml)
    row = task_of(start("approval_timeout", parties["subject"]))
    log_in(client, parties["hr"])
    html = client.get(f"/inbox/{row.id}").get_data(as_text=True)
    assert f'data-diagram-url="/inbox/{row.id}/diagram.bpmn"' in html and 'data-current-task="approve"' in html
    assert "bpmn-navigated-viewer.production.min.js" in html and "inbox-diagram.js" in html
    assert "没有图形信息" not in html


DI_SECTION = """
  <bpmndi:BPMNDiagram id="Diagram_1">
    <bpmndi:BPMNPlane id="Plane_1" bpmnElement="Collab_approval_timeout">
      <bpmndi:BPMNShape id="approve_di" bpmnElement="approve">
        <dc:Bounds x="200" y="80" width="100" height="80" />
      </bpmndi:BPMNShape>
    </bpmndi:BPMNPlane>
  </bpmndi:BPMNDiagram>
"""
