"""Four scanners scanning the same worker at the same moment, on PostgreSQL (where
several application servers share one database): one sign-in, one punch, one entry."""
import multiprocessing
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attendance, AuditEntry, SignIn
from app.services import roles, signin
from tests.services import site_workers
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import employee, staffing

SPAWN = multiprocessing.get_context("spawn")
SCANNERS = 4


@pytest.fixture
def s(app, world):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("row locks and concurrent writers: the PostgreSQL leg runs this")
    return staffing(world, workers=2)


def race(app, users, project, token, purpose, at=(None, None)):
    """Each user scans `token` for `purpose` at once; `at` is the scanners' position."""
    url, folder = app.config["SQLALCHEMY_DATABASE_URI"], str(Path(app.config["UPLOAD_FOLDER"]).parent)
    barrier, results = SPAWN.Barrier(len(users)), SPAWN.Queue()
    processes = [SPAWN.Process(target=site_workers.scan, args=(
        url, folder, app.config["SECRET_KEY"], u.id, project.id, token, purpose, barrier, results, at)) for u in users]
    for p in processes:
        p.start()
    outcomes = [results.get(timeout=180) for _ in processes]
    for p in processes:
        p.join(timeout=60)
        assert p.exitcode == 0
    db.session.expire_all()
    return sorted(outcomes)


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_simultaneous_scans_record_once(app, s, world):
    worker, clerk_person = s.gc.workers
    confirmed(s.project, worker)
    officer(s, clerk_person)
    operators = []  # the GC PM and three GC site operators scan at once
    for _ in range(SCANNERS - 1):
        person = employee(world, s.gc.enterprise)
        confirmed(s.project, person, role="site_operator")
        roles.grant(person.user, roles.SITE_OPERATOR, enterprise_id=s.gc.enterprise.id, project_id=s.project.id)
        operators.append(person)
    db.session.commit()
    token = code_of(worker)
    staff = [s.gc.pm, *(p.user for p in operators)]

    assert race(app, staff, s.project, token, "entry") == ["already_entered"] * (SCANNERS - 1) + ["entered"]
    assert count(AuditEntry, AuditEntry.action == "site.entry") == 1
    assert race(app, staff, s.project, token, "clock_in") == ["clock_in"] * SCANNERS
    assert count(Attendance, Attendance.person_id == worker.id) == 1

    set_point(s.project, s.gc.pm)
    for person in operators:  # four sign-in officers now
        signin.appoint_officer(s.gc.pm, s.project, person.id)
    db.session.commit()
    clerks = [clerk_person.user, *(p.user for p in operators)]
    assert race(app, clerks, s.project, token, "signin", at=site_wgs84()) == ["already_signed_in"] * (SCANNERS - 1) + ["signed_in"]
    assert count(SignIn, SignIn.person_id == worker.id) == 1
