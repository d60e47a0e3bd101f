"""On PostgreSQL: the enterprise's agreement and the person's 【立即离职】 submitted at
the same moment — exactly one completes, the employment ends once, one audit entry."""
import multiprocessing
from datetime import timedelta
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Employment, HumanTask
from app.models.types import utcnow
from app.services import separation
from tests.services import site_workers
from tests.support.staffing import staffing

SPAWN = multiprocessing.get_context("spawn")


def test_agreement_and_immediate_resignation_at_once(app, world):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent writers: the PostgreSQL leg runs this")
    s = staffing(world, workers=1)
    worker = s.gc.workers[0]
    with time_machine.travel(utcnow() - timedelta(hours=25), tick=False):
        separation.apply_resignation(worker.user, "家中有事")
        db.session.commit()
    assert app.test_cli_runner().invoke(args=["timers", "fire-due"]).exit_code == 0
    tasks = {t.task_key: t for t in db.session.scalars(select(HumanTask).where(HumanTask.status == "open"))}
    assert set(tasks) == {"enterprise_agree", "immediate_resignation"}

    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    barrier, results = SPAWN.Barrier(2), SPAWN.Queue()
    races = [(tasks["enterprise_agree"].id, s.gc.hr.id, {"decision": "agree", "comment": ""}),
             (tasks["immediate_resignation"].id, worker.user.id, {"confirm": True})]
    processes = [SPAWN.Process(target=site_workers.complete, args=(url, folder, app.config["SECRET_KEY"], *race,
                                                                   barrier, results)) for race in races]
    for p in processes:
        p.start()
    outcomes = sorted(results.get(timeout=180) for _ in processes)
    for p in processes:
        p.join(timeout=60)
    assert outcomes == ["conflict", "ok"]
    db.session.expire_all()
    assert db.session.scalar(select(Employment.status).where(Employment.person_id == worker.id)) == "ended"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "separation.resignation_completed")) == 1
    assert db.session.scalar(select(func.count()).select_from(HumanTask).where(HumanTask.status == "open")) == 0
