"""On PostgreSQL: two designations of a unit's 项目经理 at once leave one PM; a manager's
dismissal and allocation at once never both succeed (DOMAIN §3, §7)."""
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, AuditEntry, Employment, RoleGrant
from app.services import roles, separation
from tests.services import manager_workers
from tests.support.staffing import employee, staffing

SPAWN = multiprocessing.get_context("spawn")


def race(app, target, *calls):
    """Runs target(url, folder, secret, *call, barrier, results) for each call at once."""
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent writers: the PostgreSQL leg runs this")
    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    barrier, results = SPAWN.Barrier(len(calls)), SPAWN.Queue()
    processes = [SPAWN.Process(target=t, args=(url, folder, app.config["SECRET_KEY"], *call, barrier, results))
                 for t, call in zip(target, calls)]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=180) for _ in processes]
    for p in processes:
        p.join(timeout=60)
    db.session.expire_all()
    return outcomes


def test_two_designations_at_once_leave_one_pm(app, world):
    s = staffing(world, workers=0)
    first, second = employee(world, s.sub.enterprise, "manager"), employee(world, s.sub.enterprise, "manager")
    other_hr = world.hr_admin(s.sub.enterprise)
    call = manager_workers.designate
    outcomes = race(app, (call, call), (s.sub.hr.id, s.project.id, first.id), (other_hr.id, s.project.id, second.id))
    assert outcomes == ["ok", "ok"]  # one after the other: the second replaced the first
    assert db.session.scalar(select(func.count()).select_from(RoleGrant).where(
        RoleGrant.role == roles.PROJECT_MANAGER, RoleGrant.enterprise_id == s.sub.enterprise.id,
        RoleGrant.project_id == s.project.id)) == 1
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "project.replace_manager")) == 2  # the staffing PM, then the first of the two
    assert db.session.scalar(select(func.count()).select_from(Allocation).where(
        Allocation.person_id.in_([first.id, second.id]), Allocation.status == "confirmed")) == 2


def test_a_managers_dismissal_and_allocation_at_once_never_both_succeed(app, world):
    s = staffing(world, workers=0)
    manager = employee(world, s.gc.enterprise, "manager")
    outcomes = dict((kind, (ok, detail)) for kind, ok, detail in race(
        app, (manager_workers.dismiss, manager_workers.allocate),
        (s.gc.hr.id, s.gc.enterprise.id, manager.id), (s.gc.hr.id, s.project.id, manager.id)))
    status = db.session.scalar(select(Employment.status).where(Employment.person_id == manager.id))
    allocated = db.session.scalar(select(func.count()).select_from(Allocation).where(
        Allocation.person_id == manager.id))
    if outcomes["dismiss"][0] is True:
        assert outcomes["allocate"] == (False, "只有聘用登记成功且在职的人员才能分配")
        assert (status, allocated) == ("dismissing", 0)
    else:
        assert outcomes["dismiss"] == (False, separation.MANAGER_PENDING_ALLOCATION)
        assert outcomes["allocate"][0] is True and (status, allocated) == ("active", 1)
