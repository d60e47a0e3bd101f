"""A failing handler puts the instance in error with nothing lost; administrators
monitor, suspend, resume, terminate and retry; messages pass between instances."""
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, HumanTask, ProcessInstance
from app.workflow import runtime
from tests.support import history
from tests.support.factories import auth, token
from tests.workflow.conftest import FAILING


def open_tasks(instance_id):
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.status == "open")).all()


def test_failing_handler_means_error_then_admin_retry_finishes_it(client, deploy, parties, world):
    deploy("flaky_after_approval")
    instance = runtime.start("flaky_after_approval", parties["subject"])
    db.session.commit()
    [task] = open_tasks(instance.id)
    FAILING["on"] = True
    hr = token(client, parties["hr"])
    response = client.post(f"/api/v1/tasks/{task.id}/complete", json={"data": {"decision": "agree"}},
                           headers=auth(hr))
    assert response.status_code == 202 and response.get_json()["status"] == "error"
    db.session.refresh(instance)
    assert instance.status == "error" and "bank gateway is down" in instance.error_message
    assert open_tasks(instance.id) == []  # out of every inbox while in error
    assert client.get("/api/v1/tasks", headers=auth(hr)).get_json()["items"] == []
    admin = token(client, world.admin())
    detail = client.get(f"/api/v1/process-instances/{instance.id}", headers=auth(admin)).get_json()
    assert detail["status"] == "error" and detail["pending_action"] == "complete"
    assert [e["kind"] for e in detail["events"]] == ["started", "error"]
    still_down = client.post(f"/api/v1/process-instances/{instance.id}/retry", headers=auth(admin))
    assert still_down.status_code == 503
    FAILING["on"] = False
    retried = client.post(f"/api/v1/process-instances/{instance.id}/retry", headers=auth(admin))
    assert retried.status_code == 200 and retried.get_json()["status"] == "running"
    [ack] = open_tasks(instance.id)
    assert ack.task_key == "acknowledge"
    completed_by = db.session.scalar(select(HumanTask.completed_by_id).where(HumanTask.id == task.id))
    assert completed_by == parties["hr"].id  # the original completion, replayed


def test_admin_lists_suspends_resumes_and_terminates(client, deploy, parties, world):
    deploy("simple_approval")
    instances = [runtime.start("simple_approval", parties["subject"]) for _ in range(3)]
    db.session.commit()
    admin = token(client, world.admin())
    listing = client.get("/api/v1/process-instances?process_key=simple_approval&status=running",
                         headers=auth(admin)).get_json()
    assert listing["total"] == 3
    assert client.get("/api/v1/process-instances?status=bogus", headers=auth(admin)).status_code == 400
    first = instances[0].id
    assert client.post(f"/api/v1/process-instances/{first}/suspend", headers=auth(admin)).get_json()["status"] == "suspended"
    assert client.post(f"/api/v1/process-instances/{first}/suspend", headers=auth(admin)).status_code == 409
    hr = token(client, parties["hr"])
    assert len(client.get("/api/v1/tasks", headers=auth(hr)).get_json()["items"]) == 2
    assert client.post(f"/api/v1/process-instances/{first}/resume", headers=auth(admin)).get_json()["status"] == "running"
    assert len(client.get("/api/v1/tasks", headers=auth(hr)).get_json()["items"]) == 3
    no_reason = client.post(f"/api/v1/process-instances/{first}/terminate", json={}, headers=auth(admin))
    assert no_reason.status_code == 422 and "reason" in no_reason.get_json()["errors"]
    done = client.post(f"/api/v1/process-instances/{first}/terminate", json={"reason": "重复发起"}, headers=auth(admin))
    assert done.get_json()["status"] == "terminated"
    assert len(client.get("/api/v1/tasks", headers=auth(hr)).get_json()["items"]) == 2
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.terminate"))
    assert entry.reason == "重复发起" and entry.record_id == str(first)
    assert history.kinds(first) == ["started", "suspended", "resumed", "terminated"]


def test_only_admins_monitor(client, deploy, parties):
    deploy("simple_approval")
    instance = runtime.start("simple_approval", parties["subject"])
    db.session.commit()
    hr = token(client, parties["hr"])
    assert client.get("/api/v1/process-instances", headers=auth(hr)).status_code == 403
    assert client.post(f"/api/v1/process-instances/{instance.id}/terminate", json={"reason": "x"},
                       headers=auth(hr)).status_code == 403
    assert db.session.get(ProcessInstance, instance.id).status == "running"


def test_a_thrown_message_reaches_the_waiting_instance(deploy):
    deploy("message_receiver")
    deploy("message_sender")
    receiver = runtime.start("message_receiver", {})
    db.session.commit()
    assert receiver.status == "waiting"
    sender = runtime.start("message_sender", {})
    db.session.commit()
    db.session.refresh(receiver)
    assert sender.status == "completed" and receiver.status == "completed"
    assert history.kinds(receiver.id) == ["started", "message_received", "completed"]
