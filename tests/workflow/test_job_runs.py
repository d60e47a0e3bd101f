"""Periodic jobs catch up: a scheduler started after a missed 02:00 runs the registration
batch once, a second start the same day runs nothing, and two schedulers started
together run it once (job_run's compare-and-set, on SQLite and PostgreSQL)."""
import io
import re
import threading
from datetime import date, datetime, time, timedelta, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, JobRun, Registration
from app.models.types import utcnow
from app.services import registration as reg
from app.workflow import scheduler
from app.workflow.job_runs import latest_due
from tests.support.factories import log_in
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def submitted(app, world) -> int:
    person = world.user().person
    registration = reg.submit(person, "王建国", make_id_number(birth=date(1985, 6, 1), seq=person.id),
                              "13912345678", io.BytesIO(make_id_image("PNG")), io.BytesIO(make_id_image("JPEG")),
                              upload_folder=app.config["UPLOAD_FOLDER"])
    return registration.id


def status(registration_id: int) -> str:
    db.session.expire_all()
    return db.session.get(Registration, registration_id).status


def batch_on(built):
    return built.get_job("registration_batch")


def test_a_scheduler_started_at_nine_after_a_missed_two_oclock_runs_the_batch_once(app, world):
    day = utcnow().date() + timedelta(days=1)
    # The last run was three nights ago; no scheduler ran since.
    db.session.add(JobRun(job_id="registration_batch", due_at=at(day - timedelta(days=3), 2),
                          started_at=at(day - timedelta(days=3), 2), outcome="ok",
                          finished_at=at(day - timedelta(days=3), 2, 1)))
    db.session.commit()
    with time_machine.travel(at(day, 9), tick=False):
        waiting = submitted(app, world)
        built = scheduler.build(app)
        assert batch_on(built).next_run_time == at(day, 9)  # as it starts, not at 02:00 tomorrow
        assert batch_on(built).func() is True
        assert status(waiting) == "verified"
        row = db.session.get(JobRun, "registration_batch")
        assert (row.due_at, row.started_at, row.outcome) == (at(day, 2), at(day, 9), "ok")  # today's, once
        assert row.finished_at is not None and row.note.startswith("通过 1，退回 0")

        later = submitted(app, world)
        assert batch_on(built).func() is False  # a second tick of the same scheduler
    with time_machine.travel(at(day, 15)):
        assert batch_on(scheduler.build(app)).func() is False  # started again the same day
    assert status(later) == "submitted"
    with time_machine.travel(at(day + timedelta(days=1), 2)):
        assert batch_on(built).func() is True  # the next night's run is its own
    assert status(later) == "verified"
    db.session.expire_all()
    assert db.session.get(JobRun, "registration_batch").due_at == at(day + timedelta(days=1), 2)


def test_two_schedulers_started_together_run_the_batch_once(app, world):
    day = utcnow().date() + timedelta(days=1)
    ran, barrier = [], threading.Barrier(2)

    def start(job):
        barrier.wait()
        ran.append(job.func())

    with time_machine.travel(at(day, 9)):
        waiting = submitted(app, world)  # and no run ever recorded: a new installation
        threads = [threading.Thread(target=start, args=(batch_on(scheduler.build(app)),)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert sorted(ran, key=str) == [False, True]
    assert status(waiting) == "verified"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "registration.verify")) == 1
    assert db.session.get(JobRun, "registration_batch").due_at == at(day, 2)


def test_a_failed_run_shows_on_the_monitor_and_waits_for_its_next_due_time(app, client, world):
    calls = []

    def unreachable():
        calls.append(utcnow())
        raise RuntimeError("the data center is unreachable")

    day = utcnow().date() + timedelta(days=1)
    scheduler.register_job("test_unreachable", unreachable, "cron", hour=2, minute=0)
    scheduler.register_job("test_never_run", lambda: None, "cron", hour=3, minute=0)
    try:
        with time_machine.travel(at(day, 9)):
            built = scheduler.build(app)
            assert batch_on(built).func() is True
            assert built.get_job("test_unreachable").func() is None  # logged, the scheduler goes on
            assert built.get_job("test_unreachable").func() is False  # not again before tomorrow 02:00
            log_in(client, world.admin())
            html = client.get("/admin/monitor/").get_data(as_text=True)
    finally:
        scheduler.JOBS[:] = [j for j in scheduler.JOBS if not j.id.startswith("test_")]
    assert len(calls) == 1
    assert db.session.get(JobRun, "test_unreachable").outcome == "failed"
    jobs = re.search(r'data-testid="periodic-jobs">(.*?)</table>', html, re.S).group(1)
    outcomes = dict(re.findall(r'<tr data-job="(\w+)">.*?data-outcome="(\w+)"', jobs, re.S))
    assert outcomes["registration_batch"] == "ok" and "个人信息登记夜间核验" in jobs
    assert outcomes["test_unreachable"] == "failed" and outcomes["test_never_run"] == "never"
    assert f"{day.isoformat()} 10:00" in jobs  # today's 02:00 UTC, shown in Shanghai time


def test_every_scheduler_names_the_same_due_times():
    nine = datetime(2026, 12, 3, 9, 0, 7, tzinfo=timezone.utc)
    cron = scheduler.make_trigger(scheduler.Job("nightly", None, "cron", {"hour": 2, "minute": 0}))
    assert latest_due(cron, nine) == datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)
    assert latest_due(cron, datetime(2026, 12, 3, 2, 0, tzinfo=timezone.utc)) == datetime(2026, 12, 3, 2, 0,
                                                                                          tzinfo=timezone.utc)
    assert latest_due(cron, datetime(2026, 12, 3, 1, 59, tzinfo=timezone.utc)).day == 2
    # An interval counts from one fixed moment, not from when each scheduler started.
    every_half_minute = scheduler.Job("often", None, "interval", {"seconds": 30})
    with time_machine.travel(nine - timedelta(hours=5)):
        early = scheduler.make_trigger(every_half_minute)
    late = scheduler.make_trigger(every_half_minute)
    assert latest_due(early, nine) == latest_due(late, nine) == datetime(2026, 12, 3, 9, 0, tzinfo=timezone.utc)


def test_the_monthly_retention_reminder_counts_what_a_purge_would_remove_and_deletes_nothing(app, client, world):
    from app.models import Attendance
    from tests.services.test_retention import punch
    from tests.support.staffing import staffing

    s = staffing(world, workers=1)
    punch(s.project, s.gc.workers[0], date(2024, 10, 8))  # past two years on 2026-12-01
    first = date(2026, 12, 1)
    with time_machine.travel(at(first, 3), tick=False):
        assert scheduler.build(app).get_job("retention_reminder").func() is True
        log_in(client, world.admin())
        html = client.get("/admin/monitor/").get_data(as_text=True)
    row = db.session.get(JobRun, "retention_reminder")
    assert row.due_at == at(first, 1) and row.outcome == "ok"
    assert "考勤记录 1" in row.note and "flask retention purge --yes" in row.note
    assert db.session.scalar(select(func.count()).select_from(Attendance)) == 1  # a reminder, not a purge
    assert row.note in html
