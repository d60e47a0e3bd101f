"""processes/*.bpmn become versions at start; the scheduler runs the timer poller."""
import shutil
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.models.types import utcnow
from app.workflow import definitions, runtime, scheduler
from tests.workflow.conftest import FIXTURES


def test_directory_files_become_versions_once(app, tmp_path):
    shutil.copy(FIXTURES / "simple_approval.bpmn", tmp_path)
    assert [d.version for d in definitions.sync_directory(tmp_path)] == [1]
    assert definitions.sync_directory(tmp_path) == []  # unchanged file: nothing new
    path = tmp_path / "simple_approval.bpmn"
    path.write_text(path.read_text(encoding="utf-8").replace("确认结果", "确认结果（改）"), encoding="utf-8")
    assert [d.version for d in definitions.sync_directory(tmp_path)] == [2]
    db.session.commit()
    # A version deployed from the modeler is not undone by an old file at the next start.
    definitions.deploy((FIXTURES / "simple_approval.bpmn").read_text(encoding="utf-8").replace("审批申请", "审批"), "deploy")
    assert definitions.sync_directory(tmp_path) == []
    assert definitions.latest("simple_approval").version == 3


def test_first_request_loads_the_processes_folder(app, client, monkeypatch, tmp_path):
    shutil.copy(FIXTURES / "wait_an_hour.bpmn", tmp_path)
    monkeypatch.setattr(definitions, "PROCESSES_DIR", tmp_path)
    assert db.session.scalar(select(ProcessDefinition.id)) is None
    client.get("/login")
    db.session.expire_all()
    assert db.session.scalar(select(ProcessDefinition.key)) == "wait_an_hour"


def test_the_scheduler_polls_timers_and_never_drops_a_missed_run(app, deploy):
    deploy("wait_an_hour")
    instance = runtime.start("wait_an_hour", {})
    db.session.commit()
    built = scheduler.build(app)
    job = built.get_job("timers")
    assert job.misfire_grace_time is None and job.coalesce
    with time_machine.travel(utcnow() + timedelta(hours=2)):
        job.func()
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance.id).status == "completed"
