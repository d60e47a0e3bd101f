"""Timers: interrupting and non-interrupting boundary timers, catch events, durability."""
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, ProcessInstance, WorkflowTimer
from app.models.types import utcnow
from app.workflow import runtime
from tests.support import history
from tests.support.factories import auth, token
from tests.workflow.conftest import RECORDED


def start(key, subject):
    instance = runtime.start(key, subject)
    db.session.commit()
    return instance


def fire_due(app):
    result = app.test_cli_runner().invoke(args=["timers", "fire-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def tasks(instance, status="open"):
    return {t.task_key: t for t in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == instance.id, HumanTask.status == status))}


def test_interrupting_timer_fires_at_24h_not_before(app, deploy, parties, client):
    deploy("approval_timeout")
    t0 = utcnow()
    with time_machine.travel(t0, tick=False) as clock:
        instance = start("approval_timeout", parties["subject"])
        assert db.session.get(WorkflowTimer, instance.id).due_at == t0 + timedelta(hours=24)
        clock.move_to(t0 + timedelta(hours=23, minutes=59))
        assert "fired 0" in fire_due(app)
        assert set(tasks(instance)) == {"approve"} and RECORDED == []
        clock.move_to(t0 + timedelta(hours=24, seconds=1))
        assert "fired 1" in fire_due(app)
        db.session.refresh(instance)
        assert instance.status == "completed"
        assert [r["outcome"] for r in RECORDED] == ["timeout"]
        assert set(tasks(instance, "withdrawn")) == {"approve"}
        assert db.session.get(WorkflowTimer, instance.id) is None
        # The approver's inbox no longer has it, and completing it now is a conflict.
        [withdrawn] = tasks(instance, "withdrawn").values()
        tok = token(client, parties["hr"])
        assert client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] == []
        assert client.post(f"/api/v1/tasks/{withdrawn.id}/complete", json={"data": {"decision": "agree"}},
                           headers=auth(tok)).status_code == 409


def test_non_interrupting_timer_adds_a_reminder_and_keeps_the_approval(app, deploy, parties, client):
    deploy("approval_reminder")
    t0 = utcnow()
    with time_machine.travel(t0, tick=False) as clock:
        instance = start("approval_reminder", parties["subject"])
        clock.move_to(t0 + timedelta(hours=23, minutes=59))
        fire_due(app)
        assert set(tasks(instance)) == {"approve"}
        clock.move_to(t0 + timedelta(hours=24, seconds=1))
        fire_due(app)
        assert set(tasks(instance)) == {"approve", "remind"}
        approve = tasks(instance)["approve"]
        response = client.post(f"/api/v1/tasks/{approve.id}/complete", json={"data": {"decision": "agree"}},
                               headers=auth(token(client, parties["hr"])))
        assert response.status_code == 200
        assert [r["outcome"] for r in RECORDED] == ["agree"]


def test_timer_catch_event_and_restart(app, deploy):
    """A timer due while no process was running fires when one comes back."""
    from app import create_app
    from tests.conftest import base_config

    deploy("wait_an_hour")
    t0 = utcnow()
    with time_machine.travel(t0, tick=False) as clock:
        instance = start("wait_an_hour", {})
        instance_id = instance.id
        assert instance.status == "waiting"
        db.session.remove()
        clock.move_to(t0 + timedelta(hours=5))  # the application was down meanwhile
        folder = Path(app.config["UPLOAD_FOLDER"]).parent
        restarted = create_app(base_config(app.config["SQLALCHEMY_DATABASE_URI"], folder))
        result = restarted.test_cli_runner().invoke(args=["timers", "fire-due"])
        assert "fired 1" in result.output
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance_id)
    assert instance.status == "completed"
    assert history.kinds(instance_id) == ["started", "timer_fired", "completed"]


def test_suspended_instance_timers_wait_for_resume(app, deploy, parties, world):
    deploy("approval_timeout")
    admin = world.admin()
    t0 = utcnow()
    with time_machine.travel(t0, tick=False) as clock:
        instance = start("approval_timeout", parties["subject"])
        runtime.suspend(instance, admin)
        db.session.commit()
        clock.move_to(t0 + timedelta(hours=30))
        assert "fired 0" in fire_due(app)
        runtime.resume(db.session.get(ProcessInstance, instance.id), admin)
        db.session.commit()
        assert "fired 1" in fire_due(app)
        assert db.session.get(ProcessInstance, instance.id).status == "completed"
