"""Sign-ins, attendance and the audit log by month: on PostgreSQL each month is a partition
(made ahead, rows of a month made late moved in, whole past months dropped by retention);
on SQLite the tables stay plain and all of it does nothing. The rules users see — one
sign-in per worker per project per day, ids that keep counting, what retention removes —
hold on both.

The test database lives for the whole run, and so do the partitions a test makes: each
test uses months of its own."""
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db, on_postgresql
from app.models import Attendance, AuditEntry, SignIn
from app.services import audit, partitions, retention, signin
from app.services.site import allocation_on
from tests.conftest import base_config
from tests.services.test_payroll_drafts import sign_ins
from tests.services.test_retention import DEFAULTS, punch
from tests.support.factories import World
from tests.support.migrating import fresh_database, migrate
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import staffing

SHANGHAI = timezone(timedelta(hours=8))
TABLES = ("signin", "attendance", "audit_entry")


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def months(first: date, last: date) -> list[str]:
    """The partition names of every table for the months first..last."""
    names, month = [], first
    while month <= last:
        names += [f"{table}_{month:%Y_%m}" for table in TABLES]
        month = partitions.add_months(month, 1)
    return sorted(names)


def home(model, record_id: int) -> str:
    """The partition a row is stored in (PostgreSQL)."""
    return db.session.scalar(text(f"SELECT tableoid::regclass::text FROM {model.__tablename__} WHERE id = :id"),
                             {"id": record_id})


def exists(name: str) -> bool:
    return db.session.scalar(text("SELECT to_regclass(:name)"), {"name": name}) is not None


def sign_in_on(project, person, day: date) -> SignIn:
    allocation = allocation_on(person.id, project.id) or confirmed(project, person, status="on_site")
    record = SignIn(project_id=project.id, person_id=person.id, allocation_id=allocation.id,
                    enterprise_id=allocation.enterprise_id, work_date=day, method="officer_scan",
                    officer_person_id=person.id)
    db.session.add(record)
    db.session.commit()
    return record


def test_a_sign_in_of_next_month_lands_in_that_months_partition(s):
    made = partitions.make_ahead(date(2031, 5, 20))
    worker = s.gc.workers[0]
    record = sign_in_on(s.project, worker, date(2031, 6, 2))
    with time_machine.travel(datetime(2031, 6, 2, 7, tzinfo=SHANGHAI), tick=False):
        entry = audit.record(None, "test.partition", "signin", record.id)
        db.session.commit()
    assert db.session.get(SignIn, record.id).work_date == date(2031, 6, 2)
    if not on_postgresql():
        assert made == [] and partitions.partitions("signin") == []
        return
    assert sorted(made) == months(date(2031, 5, 1), date(2031, 8, 1))  # this month and three ahead
    assert home(SignIn, record.id) == "signin_2031_06"
    assert home(AuditEntry, entry.id) == "audit_entry_2031_06"
    listed = partitions.partitions("signin")
    assert listed[-1].name == "signin_default" and listed[-1].month is None
    assert [p.month for p in listed if p.name.startswith("signin_2031")] == [
        date(2031, 5, 1), date(2031, 6, 1), date(2031, 7, 1), date(2031, 8, 1)]


def test_making_months_ahead_twice_or_at_once_is_harmless(app):
    day, start = date(2033, 1, 10), threading.Barrier(2)

    def make():
        with app.app_context():
            start.wait()
            return partitions.make_ahead(day)

    with ThreadPoolExecutor(2) as pool:
        both = [f.result() for f in [pool.submit(make), pool.submit(make)]]
    again = partitions.make_ahead(day)
    if not on_postgresql():
        assert both == [[], []] and again == []
        return
    assert sorted(both[0] + both[1]) == months(date(2033, 1, 1), date(2033, 4, 1))  # each made once
    assert again == []


def test_rows_of_a_month_without_a_partition_are_kept_and_move_in_when_it_is_made(s):
    worker = s.gc.workers[0]
    march, april = sign_in_on(s.project, worker, date(2034, 3, 5)), sign_in_on(s.project, worker, date(2034, 4, 5))
    if on_postgresql():
        assert home(SignIn, march.id) == home(SignIn, april.id) == "signin_default"
    made = partitions.make_ahead(date(2034, 3, 1), months=0)
    db.session.expire_all()
    assert [r.id for r in db.session.scalars(select(SignIn).order_by(SignIn.id))] == [march.id, april.id]
    if on_postgresql():
        assert sorted(made) == months(date(2034, 3, 1), date(2034, 3, 1))
        assert (home(SignIn, march.id), home(SignIn, april.id)) == ("signin_2034_03", "signin_default")


def test_one_sign_in_per_worker_per_project_per_day_on_a_partitioned_table(s):
    partitions.make_ahead(date(2035, 6, 1), months=0)
    worker = s.gc.workers[0]
    confirmed(s.project, worker)
    clerk = officer(s)
    set_point(s.project, s.gc.pm)
    lng, lat = site_wgs84()
    # a month with its partition, and one whose rows the default partition holds
    for morning in (datetime(2035, 6, 4, 6, 45, tzinfo=SHANGHAI), datetime(2035, 9, 4, 6, 45, tzinfo=SHANGHAI)):
        with time_machine.travel(morning, tick=False):
            first, created = signin.worker_sign_in(worker.user, s.project.id, code_of(clerk), lng, lat)
            db.session.commit()
            second, again = signin.worker_sign_in(worker.user, s.project.id, code_of(clerk), lng, lat)
            db.session.commit()
        assert created and not again and second.id == first.id
    with pytest.raises(IntegrityError):  # the database's own rule, whoever writes
        sign_ins(s.project, worker, [date(2035, 6, 4)])
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 2


def test_retention_drops_whole_past_months_and_deletes_the_partly_past_one(s):
    today = date(2026, 12, 3)  # two years back is 2024-12-03, which stays
    partitions.make_ahead(date(2024, 10, 1), months=2)
    worker = s.gc.workers[0]
    days = [date(2024, 8, 5),  # a month without a partition: the default partition holds it
            date(2024, 10, 15), date(2024, 11, 2), date(2024, 12, 2), date(2024, 12, 3), date(2026, 11, 2)]
    sign_ins(s.project, worker, days)
    for day in (date(2024, 11, 20), date(2024, 12, 1), date(2024, 12, 3)):
        punch(s.project, worker, day)

    plan = retention.plan(DEFAULTS, today)
    whole = ["attendance_2024_10", "attendance_2024_11", "signin_2024_10", "signin_2024_11"]
    assert sorted(plan.whole_months) == (whole if on_postgresql() else [])
    assert retention.totals(plan)["signin"] == 4 and retention.totals(plan)["attendance"] == 2

    done = retention.purge(DEFAULTS, today)
    assert (done["signin"], done["attendance"]) == (4, 2)  # counted the same, dropped or deleted
    assert sorted(db.session.scalars(select(SignIn.work_date))) == [date(2024, 12, 3), date(2026, 11, 2)]
    assert db.session.scalars(select(Attendance.work_date)).all() == [date(2024, 12, 3)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert (entry.details["signin"], entry.details["attendance"]) == (4, 2)
    assert sorted(entry.details["partitions_dropped"]) == (whole if on_postgresql() else [])
    if on_postgresql():
        assert not any(exists(name) for name in whole)
        assert exists("signin_2024_12") and exists("audit_entry_2024_10")  # the audit log is kept


# --- the migration --------------------------------------------------------------------------------

@pytest.fixture
def fresh_url(tmp_path):
    with fresh_database(tmp_path) as url:
        yield url


def test_the_migration_keeps_every_row_and_ids_keep_counting(fresh_url, tmp_path):
    app = create_app(base_config(fresh_url, tmp_path))
    with app.app_context():
        migrate(app, "upgrade", "0019_monthly_partitions-1")
        s = staffing(World(app), workers=1)
        worker = s.gc.workers[0]
        sign_in_on(s.project, worker, date(2026, 11, 30)), sign_in_on(s.project, worker, date(2026, 12, 1))
        punch(s.project, worker, date(2026, 11, 30))
        before = {model: db.session.scalars(select(model.id).order_by(model.id)).all()
                  for model in (SignIn, Attendance, AuditEntry)}

        migrate(app, "upgrade", "head")
        for model, ids in before.items():
            assert db.session.scalars(select(model.id).order_by(model.id)).all() == ids
        later = sign_in_on(s.project, worker, date(2026, 12, 2))
        assert later.id == max(before[SignIn]) + 1
        if on_postgresql():
            assert [home(SignIn, i) for i in before[SignIn]] == ["signin_2026_11", "signin_2026_12"]
            assert exists("signin_default") and exists("attendance_2026_11")

        migrate(app, "downgrade", "0019_monthly_partitions-1")  # back to plain tables, rows and all
        assert db.session.scalars(select(SignIn.id).order_by(SignIn.id)).all() == before[SignIn] + [later.id]
        assert sign_in_on(s.project, worker, date(2026, 12, 3)).id == later.id + 1
        if on_postgresql():
            assert home(SignIn, later.id) == "signin" and not exists("signin_default")
        db.session.remove()
        db.engine.dispose()
