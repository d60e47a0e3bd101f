"""Several processes on one database: one winner per task, each timer fired once."""
import multiprocessing
from datetime import timedelta
from pathlib import Path

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import HumanTask, ProcessEvent, ProcessInstance, WorkflowTimer
from app.models.types import utcnow
from app.workflow import runtime
from tests.support import history
from tests.workflow import workers

SPAWN = multiprocessing.get_context("spawn")


def run_processes(target, args_for, count):
    barrier, results = SPAWN.Barrier(count), SPAWN.Queue()
    processes = [SPAWN.Process(target=target, args=(*args_for(i), barrier, results)) for i in range(count)]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=180) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    return outcomes


def test_two_processes_complete_the_same_task_one_wins(app, deploy, parties):
    deploy("simple_approval")
    instance = runtime.start("simple_approval", parties["subject"])
    db.session.commit()
    task = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance.id))
    users = [parties["hr"].id, parties["legal_rep"].id]
    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    outcomes = run_processes(workers.complete_task, lambda i: (url, folder, task.id, users[i]), 2)
    assert sorted(outcomes) == ["conflict", "ok"]
    db.session.expire_all()
    assert history.count(instance.id, "task_completed") == 1
    assert db.session.get(HumanTask, task.id).status == "completed"
    acknowledge = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                             HumanTask.status == "open")).all()
    assert [t.task_key for t in acknowledge] == ["acknowledge"]


def test_two_pollers_fire_each_of_1000_timers_exactly_once(app, deploy):
    deploy("wait_an_hour")
    with time_machine.travel(utcnow() - timedelta(hours=2)):
        for i in range(1000):
            runtime.start("wait_an_hour", {})
            if i % 100 == 99:
                db.session.commit()
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(WorkflowTimer)) == 1000
    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    fired = run_processes(workers.fire_timers, lambda i: (url, folder), 2)
    assert sum(fired) == 1000 and all(n > 0 for n in fired), fired
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(WorkflowTimer)) == 0
    assert db.session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.status == "completed")) == 1000
    per_instance = db.session.execute(select(ProcessEvent.instance_id, func.count()).where(
        ProcessEvent.kind == "timer_fired").group_by(ProcessEvent.instance_id)).all()
    assert len(per_instance) == 1000 and {n for _, n in per_instance} == {1}
