"""Instances, the inbox and task completion through the API."""
from uuid import UUID

from sqlalchemy import func, select
from SpiffWorkflow.util.task import TaskState

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.workflow import runtime
from tests.support import history
from tests.support.factories import auth, token
from tests.workflow.conftest import RECORDED, fixture_xml


def start(process_key, subject, actor=None):
    instance = runtime.start(process_key, subject, actor)
    db.session.commit()
    return instance


def open_tasks(instance):
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                      HumanTask.status == "open")).all()


def test_start_puts_the_task_in_the_candidates_inbox_only(client, deploy, parties, world):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"])
    [task] = open_tasks(instance)
    assert (task.task_key, task.title, task.lane, task.form_key) == ("approve", "审批", "enterprise_hr", "approval")
    assert task.due_at is not None and task.subject_text and parties["enterprise"].name in task.subject_text
    for user in (parties["hr"], parties["legal_rep"]):
        items = client.get("/api/v1/tasks", headers=auth(token(client, user))).get_json()["items"]
        assert [i["id"] for i in items] == [task.id]
        assert items[0]["subject"]["enterprise_id"] == parties["enterprise"].id
        assert items[0]["form"]["key"] == "approval"
        assert items[0]["form"]["schema"]["properties"]["decision"]["enum"] == ["agree", "reject"]
    other_enterprise = world.enterprise()
    for outsider in (parties["person_user"], other_enterprise.legal_rep):
        tok = token(client, outsider)
        assert client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] == []
        response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}},
                               headers=auth(tok))
        assert response.status_code == 404
        assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=auth(tok)).status_code == 404
    assert open_tasks(instance) == [task]


def test_wrong_form_data_is_422_and_the_task_stays_ready(client, deploy, parties):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"])
    [task] = open_tasks(instance)
    tok = token(client, parties["hr"])
    for data, field in (({"decision": "maybe"}, "decision"), ({"decision": "reject"}, "comment"), ({}, "decision"),
                        ({"decision": ["agree"]}, "decision")):  # one value, not a list of one
        response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": data}, headers=auth(tok))
        assert response.status_code == 422 and field in response.get_json()["errors"], data
    assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": "agree"},
                       headers=auth(tok)).status_code == 422
    db.session.refresh(instance)
    assert instance.status == "running" and open_tasks(instance) == [task]
    assert runtime.load(instance).get_task_from_id(UUID(task.spiff_task_id)).state == TaskState.READY


def test_complete_runs_the_rest_and_records_history(client, deploy, parties):
    deploy("approval_timeout")
    instance = start("approval_timeout", parties["subject"])
    [task] = open_tasks(instance)
    tok = token(client, parties["hr"])
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}},
                           headers=auth(tok))
    assert response.status_code == 200 and response.get_json()["status"] == "completed"
    db.session.refresh(instance)
    assert instance.status == "completed"
    assert [r["outcome"] for r in RECORDED] == ["agree"]
    assert history.kinds(instance.id) == ["started", "task_completed", "completed"]
    again = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}},
                        headers=auth(tok))
    assert again.status_code == 409
    assert db.session.get(HumanTask, task.id).completed_by_id == parties["hr"].id


def test_claim_by_one_candidate_blocks_the_other(client, deploy, parties):
    deploy("approval_timeout")
    [task] = open_tasks(start("approval_timeout", parties["subject"]))
    hr, rep = token(client, parties["hr"]), token(client, parties["legal_rep"])
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=auth(hr)).status_code == 200
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=auth(rep)).status_code == 409
    blocked = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}}, headers=auth(rep))
    assert blocked.status_code == 409
    assert client.post(f"/api/v1/tasks/{task.id}/unclaim", headers=auth(rep)).status_code == 409
    assert client.post(f"/api/v1/tasks/{task.id}/unclaim", headers=auth(hr)).status_code == 200
    done = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}}, headers=auth(rep))
    assert done.status_code == 200


def test_person_lane_goes_to_that_person(client, deploy, parties):
    deploy("simple_approval")
    instance = start("simple_approval", parties["subject"])
    [approve] = open_tasks(instance)
    client.post(f"/api/v1/tasks/{approve.id}/complete", json={"data": {"decision": "agree"}},
                headers=auth(token(client, parties["hr"])))
    [ack] = open_tasks(instance)
    assert ack.task_key == "acknowledge" and ack.candidate_user_id == parties["person_user"].id
    tok = token(client, parties["person_user"])
    assert [i["task_key"] for i in client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"]] == ["acknowledge"]
    refused = client.post(f"/api/v1/tasks/{ack.id}/complete", json={"data": {"confirm": False}}, headers=auth(tok))
    assert refused.status_code == 422
    assert client.post(f"/api/v1/tasks/{ack.id}/complete", json={"data": {"confirm": True}},
                       headers=auth(tok)).get_json()["status"] == "completed"


def test_new_version_leaves_running_instances_alone(client, deploy, parties):
    v1 = deploy("simple_approval")
    old = start("simple_approval", parties["subject"])
    v2 = deploy(fixture_xml("simple_approval").replace('name="审批申请"', 'name="审批申请（新版）"'))
    assert (v1.version, v2.version) == (1, 2)
    new = start("simple_approval", parties["subject"])
    assert old.definition_id == v1.id and new.definition_id == v2.id
    assert open_tasks(old)[0].title == "审批申请" and open_tasks(new)[0].title == "审批申请（新版）"
    tok = token(client, parties["hr"])
    for instance in (old, new):
        [task] = open_tasks(instance)
        assert client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}},
                           headers=auth(tok)).status_code == 200
    db.session.refresh(old)
    assert old.definition_id == v1.id and open_tasks(old)[0].task_key == "acknowledge"


def test_inbox_counts_and_filters(client, deploy, parties):
    deploy("simple_approval")
    deploy("approval_timeout")
    for _ in range(3):
        start("simple_approval", parties["subject"])
    start("approval_timeout", parties["subject"])
    tok = token(client, parties["hr"])
    listing = client.get("/api/v1/tasks?per_page=2", headers=auth(tok)).get_json()
    assert listing["total"] == 4 and len(listing["items"]) == 2
    only = client.get("/api/v1/tasks?process_key=approval_timeout", headers=auth(tok)).get_json()
    assert [i["process_key"] for i in only["items"]] == ["approval_timeout"]
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance)) == 4


def test_project_scoped_lanes_reach_only_that_projects_managers(client, deploy, world):
    gc, sub = world.enterprise(), world.enterprise()
    project, other_project = world.project(gc, subcontractors=[sub]), world.project(gc)
    gc_pm, sub_pm = world.project_manager(project, gc), world.project_manager(project, sub)
    elsewhere_pm = world.project_manager(other_project, gc)
    deploy(fixture_xml("simple_approval").replace('name="enterprise_hr"', 'name="gc_pm"'))
    instance = start("simple_approval", {"project_id": project.id, "enterprise_id": sub.id})
    [task] = open_tasks(instance)
    assert (task.candidate_role, task.candidate_enterprise_id, task.candidate_project_id) == ("gc_pm", gc.id, project.id)
    seen = {}
    for name, user in (("gc_pm", gc_pm), ("sub_pm", sub_pm), ("elsewhere", elsewhere_pm), ("gc_legal", gc.legal_rep)):
        items = client.get("/api/v1/tasks", headers=auth(token(client, user))).get_json()["items"]
        seen[name] = [i["id"] for i in items]
    assert seen == {"gc_pm": [task.id], "sub_pm": [], "elsewhere": [], "gc_legal": []}
