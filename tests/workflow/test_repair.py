"""An administrator's repairs: a task handed to a named user leaves the lane's inboxes
and is done by that user; a waiting timer fired now takes its timeout path, and a cycle
timer fired now ticks once and stays armed."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProcessEvent, ProcessInstance, WorkflowTimer
from app.services.errors import Conflict, NotFound
from app.workflow import repair, runtime, timers
from app.workflow.errors import WorkflowFailure
from tests.support.history import kinds
from tests.support.factories import auth, token
from tests.workflow.conftest import RECORDED, fixture_xml


def open_rows(instance_id):
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.status == "open")).all()


def test_a_reassigned_task_is_done_by_the_named_user(client, deploy, parties, world):
    deploy("simple_approval")
    instance = runtime.start("simple_approval", parties["subject"])
    db.session.commit()
    [row] = open_rows(instance.id)
    runtime.claim(row, parties["hr"])
    db.session.commit()
    lock = instance.lock_version
    stand_in, admin = world.user(), world.admin()
    repair.reassign(row, stand_in, admin)
    db.session.commit()
    assert row.candidate_user_id == stand_in.id and row.candidate_role is None and row.claimed_by_id is None
    assert instance.lock_version > lock
    event = db.session.scalar(select(ProcessEvent).where(ProcessEvent.kind == "reassigned"))
    assert event.actor_id == admin.id and event.task_key == "approve"
    assert event.detail["to_user_id"] == stand_in.id and event.detail["before"]["role"] == "enterprise_hr"

    hr, theirs = token(client, parties["hr"]), token(client, stand_in)
    assert client.get("/api/v1/tasks", headers=auth(hr)).get_json()["items"] == []
    assert [t["id"] for t in client.get("/api/v1/tasks", headers=auth(theirs)).get_json()["items"]] == [row.id]
    assert client.post(f"/api/v1/tasks/{row.id}/complete", json={"data": {"decision": "agree"}},
                       headers=auth(hr)).status_code == 404
    done = client.post(f"/api/v1/tasks/{row.id}/complete", json={"data": {"decision": "agree"}},
                       headers=auth(theirs))
    assert done.status_code == 200, done.get_json()
    db.session.expire_all()
    assert db.session.get(HumanTask, row.id).completed_by_id == stand_in.id
    [acknowledge] = open_rows(instance.id)
    assert acknowledge.candidate_user_id == parties["person_user"].id  # the next task follows its lane again
    with pytest.raises(Conflict):
        repair.reassign(db.session.get(HumanTask, row.id), parties["hr"], admin)  # already done
    with pytest.raises(NotFound):
        repair.reassign(acknowledge, None, admin)


def test_a_waiting_timer_fired_now_takes_the_timeout_path(deploy, parties, world):
    deploy("approval_timeout")
    instance = runtime.start("approval_timeout", parties["subject"])
    db.session.commit()
    assert db.session.get(WorkflowTimer, instance.id).due_at > datetime.now(timezone.utc) + timedelta(hours=23)
    [timer] = repair.waiting_timers(runtime.load(instance))
    assert timer.task_spec.bpmn_id == "timeout" and repair.deadline_of(timer) is not None
    admin = world.admin()
    repair.fire_timer_now(instance, admin, str(timer.id))
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status == "completed" and RECORDED[-1]["outcome"] == "timeout"
    assert open_rows(instance.id) == [] and db.session.get(WorkflowTimer, instance.id) is None
    fired = db.session.scalar(select(ProcessEvent).where(ProcessEvent.instance_id == instance.id,
                                                         ProcessEvent.kind == "timer_fired"))
    assert fired.actor_id == admin.id and fired.detail == {"manual": True, "timer": "24小时"}
    with pytest.raises(Conflict):
        repair.fire_timer_now(instance, admin, str(timer.id))


def test_firing_refuses_a_suspended_instance_or_an_unknown_timer(deploy, parties, world):
    deploy("approval_timeout")
    instance = runtime.start("approval_timeout", parties["subject"])
    db.session.commit()
    admin = world.admin()
    with pytest.raises(Conflict):
        repair.fire_timer_now(instance, admin, "00000000-0000-0000-0000-000000000000")
    [timer] = repair.waiting_timers(runtime.load(instance))
    runtime.suspend(instance, admin)
    db.session.commit()
    with pytest.raises(Conflict):
        repair.fire_timer_now(instance, admin, str(timer.id))
    assert kinds(instance.id) == ["started", "suspended"]


def test_a_failing_timeout_path_puts_the_instance_in_error(deploy, parties, world):
    deploy("approval_timeout")
    instance = runtime.start("approval_timeout", parties["subject"])
    db.session.commit()
    [timer] = repair.waiting_timers(runtime.load(instance))

    def broken(params, ctx):
        raise RuntimeError("the recorder is down")

    from app.workflow.registry import REGISTRY
    original = REGISTRY.handlers["record_outcome"]
    REGISTRY.handlers["record_outcome"] = broken
    try:
        with pytest.raises(WorkflowFailure):
            repair.fire_timer_now(instance, world.admin(), str(timer.id))
    finally:
        REGISTRY.handlers["record_outcome"] = original
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status == "error" and "recorder is down" in instance.error_message
    assert instance.pending_action == {"kind": "timer"}


def test_a_cycle_timer_fired_now_ticks_once_and_stays_armed_for_the_next(deploy, parties, world):
    """A reminder every hour, three times (R3/PT1H): 【立即触发】 gives one reminder now;
    the approval stays open and the next reminder is still due an hour on."""
    cycle = fixture_xml("approval_reminder").replace('<bpmn:timeDuration>"PT24H"</bpmn:timeDuration>',
                                                     '<bpmn:timeCycle>"R3/PT1H"</bpmn:timeCycle>')
    deploy(cycle)
    start = datetime.now(timezone.utc)
    instance = runtime.start("approval_reminder", parties["subject"])
    db.session.commit()
    due = db.session.get(WorkflowTimer, instance.id).due_at
    assert timedelta(minutes=59) < due - start < timedelta(minutes=61)
    [timer] = repair.waiting_timers(runtime.load(instance))
    repair.fire_timer_now(instance, world.admin(), str(timer.id))
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.status in ("running", "waiting")
    assert sorted(r.task_key for r in open_rows(instance.id)) == ["approve", "remind"]
    next_due = db.session.get(WorkflowTimer, instance.id).due_at
    assert timedelta(minutes=59) < next_due - start < timedelta(minutes=62)  # the next tick, not now
    [still] = repair.waiting_timers(runtime.load(instance))
    assert still.id == timer.id  # the same boundary timer, two ticks left
    with time_machine.travel(start + timedelta(minutes=61), tick=False):
        assert timers.fire_due() == 1
    db.session.expire_all()
    assert sorted(r.task_key for r in open_rows(instance.id)) == ["approve", "remind", "remind"]
