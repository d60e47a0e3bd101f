"""Command-line tools, each run as `flask` runs it: through app.test_cli_runner() with no
application context pushed beforehand (Flask's documented way to test commands)."""
import contextvars
import io
import signal
import threading
from datetime import date, datetime, timedelta, timezone

import time_machine
from flask import current_app
from sqlalchemy import func, select

from app.extensions import db
from app.models import (AuditEntry, BankBatch, BankReceipt, Enterprise, HumanTask, OutboxMessage, Participant,
                        PayrollDraft, PayrollLine, Person, ProcessDefinition, ProcessInstance, Project, Registration,
                        SignIn, User)
from app.services import idcard, registration, roles, separation, uscc
from app.workflow import inbox, scheduler
from tests.services.test_payroll_drafts import sign_ins
from tests.services.test_retention import family, payroll_staffing, pushed_batch
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image
from tests.support.staffing import staffing


def run(app, *args):
    """Invokes a command outside the test's own app context: a fresh contextvars context
    has none, as a real `flask` process has none before the command starts."""
    result = contextvars.Context().run(app.test_cli_runner().invoke, args=list(args))
    db.session.expire_all()  # the test's session must re-read what the command changed
    return result


def test_create_admin_then_log_in(app, client):
    result = run(app, "create-admin", "--username", "root", "--password", "Root12345")
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "root"))
    assert roles.has_role(user, roles.ADMIN)
    assert client.post("/api/v1/auth/token", json={"username": "root", "password": "Root12345"}).status_code == 200
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "role.grant"))["via"] == "cli"


def test_create_admin_refuses_a_weak_password_or_bad_username_and_creates_nothing(app):
    for args in (["--username", "root", "--password", "short1"], ["--username", "root", "--password", "abcdefghij"],
                 ["--username", "r", "--password", "Root12345"]):
        result = run(app, "create-admin", *args)
        assert result.exit_code != 0 and "Error" in result.output, result.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_create_admin_makes_an_existing_user_admin(app, world):
    world.user("someone")
    result = run(app, "create-admin", "--username", "someone", "--password", "x")
    assert result.exit_code == 0, result.output
    assert "password unchanged" in result.output
    assert roles.has_role(db.session.scalar(select(User).where(User.username == "someone")), roles.ADMIN)


def test_demo_data_builds_a_believable_world_once(app, client):
    assert run(app, "demo-data").exit_code == 0
    counts = {m.__name__: db.session.scalar(select(func.count()).select_from(m))
              for m in (User, Enterprise, Project, Participant)}
    assert run(app, "demo-data").exit_code == 0
    assert counts == {m.__name__: db.session.scalar(select(func.count()).select_from(m))
                      for m in (User, Enterprise, Project, Participant)}
    assert counts["Enterprise"] == 3 and counts["Project"] == 2 and counts["Participant"] == 6
    for enterprise in db.session.scalars(select(Enterprise)):
        assert uscc.normalize_uscc(enterprise.uscc) == enterprise.uscc
    numbers = db.session.scalars(select(Person.id_number).where(Person.id_number.is_not(None))).all()
    assert len(numbers) >= 6 and all(idcard.normalize_id_number(n) == n for n in numbers)
    for username in ("admin", "datacenter", "analyst", "gc_legal", "gc_hr", "labor_legal", "worker1"):
        response = client.post("/api/v1/auth/token", json={"username": username, "password": "demo2026"})
        assert response.status_code == 200, username


def test_demo_world_is_ready_for_hiring(app):
    from app.models import Employment
    from app.services import accounts, employment
    assert run(app, "demo-data").exit_code == 0
    assert db.session.scalar(select(func.count()).select_from(Registration).where(
        Registration.status == "verified")) >= 9
    labor = db.session.scalar(select(Enterprise).where(Enterprise.name == "浦江劳务有限公司"))
    hr = accounts.find_user("labor_hr")
    worker6 = accounts.find_user("worker6").person
    hired = employment.request_hire(hr, labor, worker6.name, worker6.id_number)
    db.session.commit()
    assert hired.status == "pending_consent"
    worker1 = accounts.find_user("worker1").person
    active = db.session.scalar(select(Employment).where(Employment.person_id == worker1.id))
    assert (active.status, active.enterprise_id) == ("active", labor.id)
    assert isinstance(db.session.get(Person, worker1.id).id_number, str)
    gc_pm = accounts.find_user("gc_pm")
    assert roles.has_role(gc_pm, roles.PROJECT_MANAGER)  # designated on the first project


def test_timers_fire_due_fires_the_24_hour_rule(app, world):
    s = staffing(world, workers=1)
    worker = s.gc.workers[0]
    applied = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)
    with time_machine.travel(applied, tick=False):
        separation.apply_resignation(worker.user, "回老家发展")
        db.session.commit()
    with time_machine.travel(applied + timedelta(hours=24, seconds=1), tick=False):
        result = run(app, "timers", "fire-due")
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "fired 1 instance(s)"
    assert db.session.scalars(inbox.my_tasks(worker.user).where(
        HumanTask.task_key == "immediate_resignation")).all() != []


def test_registrations_process_runs_the_data_center_batch(app, world):
    person = world.user().person
    registration.submit(person, "王建国", make_id_number(seq=person.id), "13912345678",
                        io.BytesIO(make_id_image("PNG")), io.BytesIO(make_id_image("JPEG")),
                        upload_folder=app.config["UPLOAD_FOLDER"])
    db.session.commit()
    result = run(app, "registrations", "process")
    assert result.exit_code == 0, result.output
    assert "verified: 1" in result.output
    assert registration.current_registration(db.session.get(Person, person.id)).status == "verified"


RETENTION_TODAY = datetime(2026, 12, 3, 2, tzinfo=timezone.utc)  # 10:00 in Shanghai


def test_retention_lists_by_month_deletes_nothing_until_yes_then_purges(app, world):
    s = payroll_staffing(world)
    sign_ins(s.project, s.gc.workers[0], [date(2024, 11, 2), date(2024, 12, 2), date(2024, 12, 3)])
    gone = family(s, "2023-09", date(2023, 9, 26), date(2023, 10, 8), date(2023, 10, 20), date(2023, 11, 3))
    kept = family(s, "2023-11", date(2023, 11, 26), date(2023, 11, 30), date(2024, 2, 20), date(2024, 3, 3))
    unpaid = pushed_batch(s, "2023-08", date(2023, 8, 26), date(2023, 9, 1))
    tables = (SignIn, BankBatch, PayrollDraft, PayrollLine, BankReceipt, OutboxMessage, ProcessInstance, HumanTask)
    before = {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}
    with time_machine.travel(RETENTION_TODAY, tick=False):
        listed = [run(app, "retention", "report"), run(app, "retention", "purge")]
        after_listing = {t.__tablename__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}
        assert after_listing == before  # neither the report nor the dry run deleted anything
        for result in listed:
            assert result.exit_code == 0, result.output
            out = result.output
            assert "dated before 2024-12-03 may be removed" in out and "before 2023-12-03 may be removed" in out
            assert "  2024-11: signin (班前签到记录) 1\n  2024-12: signin (班前签到记录) 1\n" in out
            assert (f"  2023-08: {unpaid.batch_no} not paid, last changed 2023-09-01\n"
                    f"    bank_batch (银行交换批次) 1, payroll_draft (工资支付表) 2, payroll_line (工资支付表明细) 2, "
                    f"outbox_message (银行推送消息) 1, process_instance (已结束的流程实例) 3, process_event (流程记录) 6, "
                    f"human_task (待办记录) 3\n") in out
            assert f"  2023-09: {gone[0].batch_no} paid 2023-10-08; {gone[1].batch_no} paid 2023-11-03\n" in out
            assert "2023-11:" not in out.split("kept although")[0]  # the kept family is not listed to go
            assert f"  {kept[0].batch_no} (2023-11, paid 2023-11-30): a batch it is linked to" in out
            assert "  bank_batch (银行交换批次): 3 past the period" in out
        assert "dry run: nothing deleted" in listed[1].output

        purged = run(app, "retention", "purge", "--yes")
    assert purged.exit_code == 0, purged.output
    assert ("deleted: attendance 0, signin 2, bank_batch 3, payroll_draft 5, payroll_line 5, bank_receipt 2, "
            "outbox_message 3, process_instance 7") in purged.output
    assert "note:" not in purged.output  # it deleted exactly what it listed
    assert sorted(db.session.scalars(select(BankBatch.batch_no))) == sorted(b.batch_no for b in kept)
    assert db.session.scalars(select(SignIn.work_date)).all() == [date(2024, 12, 3)]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.details["bank_batch"] == 3 and entry.details["pay_months"] == ["2023-08", "2023-09"]


def test_retention_refuses_periods_below_the_law_and_deletes_nothing(app, world):
    s = payroll_staffing(world)
    sign_ins(s.project, s.gc.workers[0], [date(2020, 3, 2)])
    old = pushed_batch(s, "2020-02", date(2020, 2, 26), date(2020, 3, 1))
    for years in (0, 2):
        app.config["RETENTION_WAGE_YEARS"] = years
        with time_machine.travel(RETENTION_TODAY, tick=False):
            for command in (("report",), ("purge", "--yes")):
                refused = run(app, "retention", *command)
                assert refused.exit_code == 1
                assert f"RETENTION_WAGE_YEARS 应为不少于3的整数（法定最低保存年限），现为 {years}：未删除任何记录" in refused.output
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 1
    assert db.session.scalars(select(BankBatch.id)).all() == [old.id]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "retention.purge")) == 0
    app.config["RETENTION_WAGE_YEARS"] = 7  # longer than the law asks: allowed, and keeps more
    with time_machine.travel(RETENTION_TODAY, tick=False):
        assert run(app, "retention", "purge", "--yes").exit_code == 0
    assert db.session.scalars(select(BankBatch.id)).all() == [old.id]  # pushed 2020-03-01: within 7 years
    assert db.session.scalar(select(func.count()).select_from(SignIn)) == 0  # attendance still at 2 years


def test_scheduler_run_loads_definitions_runs_jobs_in_the_app_and_stops_on_ctrl_c(app):
    seen = []
    main = threading.main_thread().ident

    def stop_after_first_run():
        if seen:
            return  # a second tick before the shutdown
        seen.append((current_app.name, db.session.scalar(select(func.count()).select_from(User))))
        signal.pthread_kill(main, signal.SIGINT)  # Ctrl+C, as an operator stops it

    # an interval job, as the real jobs are (a one-off "date" job is removed by the
    # scheduler's thread after it runs, racing the shutdown in APScheduler 3)
    scheduler.register_job("cli_test_stop", stop_after_first_run, "interval", seconds=0.2)
    try:
        result = run(app, "scheduler", "run")
    finally:
        scheduler.JOBS[:] = [j for j in scheduler.JOBS if j.id != "cli_test_stop"]
    assert result.exit_code == 0, result.output
    assert "scheduler running" in result.output
    assert seen == [(app.name, 0)]
    assert db.session.scalar(select(func.count()).select_from(ProcessDefinition)) > 0
