"""Attendance and sign-ins are kept at least two years, wage records at least three:
the purge removes only what is older, and refuses shorter periods."""
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Attendance, AuditEntry, BankBatch, PayrollDraft, PayrollLine, SignIn
from app.services import retention
from app.services.errors import RuleViolation
from app.services.site import allocation_on
from tests.services.test_payroll_drafts import sign_ins
from tests.support.site import confirmed
from tests.support.staffing import staffing

TODAY = date(2026, 11, 30)
DEFAULTS = {"RETENTION_ATTENDANCE_YEARS": 2, "RETENTION_WAGE_YEARS": 3}


@pytest.fixture
def s(world):
    return staffing(world, workers=1)


def punch(project, person, day):
    allocation = allocation_on(person.id, project.id) or confirmed(project, person, status="on_site")
    db.session.add(Attendance(project_id=project.id, person_id=person.id, allocation_id=allocation.id,
                              enterprise_id=allocation.enterprise_id, kind="clock_in", method="scan",
                              at=datetime(day.year, day.month, day.day, 1, tzinfo=timezone.utc), work_date=day))
    db.session.commit()


def wage_month(s, pay_month, attempt=1, parent=None):
    batch = BankBatch(project_id=s.project.id, pay_month=pay_month, attempt=attempt, parent_id=parent and parent.id,
                      batch_no=f"P{s.project.id}-{pay_month.replace('-', '')}-{attempt}",
                      period_start=date.fromisoformat(pay_month + "-01"), period_end=date.fromisoformat(pay_month + "-25"))
    db.session.add(batch)
    db.session.flush()
    draft = PayrollDraft(batch_id=batch.id, project_id=s.project.id, enterprise_id=s.gc.enterprise.id, status="approved")
    db.session.add(draft)
    db.session.flush()
    db.session.add(PayrollLine(draft_id=draft.id, person_id=s.gc.workers[0].id, days=20, gross_fen=6000_00,
                               deductions_fen=0, net_fen=6000_00))
    db.session.commit()
    return batch


def count(model):
    return db.session.scalar(select(func.count()).select_from(model))


def test_only_records_past_the_legal_periods_are_removed(s):
    worker = s.gc.workers[0]
    # attendance: two years back from 2026-11-30 is 2024-11-30, which is kept
    sign_ins(s.project, worker, [date(2024, 11, 29), date(2024, 11, 30), date(2026, 11, 2)])
    for day in (date(2024, 11, 29), date(2024, 11, 30)):
        punch(s.project, worker, day)
    # wages: three years back is 2023-11-30; October 2023 goes, November 2023 stays (whole months)
    old = wage_month(s, "2023-10")
    wage_month(s, "2023-10", attempt=2, parent=old)  # its follow-up goes with it
    wage_month(s, "2023-11")

    assert retention.due(DEFAULTS, TODAY) == {"attendance": 1, "signin": 1, "payroll_line": 2,
                                              "payroll_draft": 2, "bank_batch": 2}
    assert count(SignIn) == 3  # counting changed nothing
    assert retention.purge(DEFAULTS, TODAY) == {"attendance": 1, "signin": 1, "payroll_line": 2,
                                                "payroll_draft": 2, "bank_batch": 2}
    assert sorted(d.isoformat() for d in db.session.scalars(select(SignIn.work_date))) == ["2024-11-30", "2026-11-02"]
    assert [a.work_date for a in db.session.scalars(select(Attendance))] == [date(2024, 11, 30)]
    assert [b.pay_month for b in db.session.scalars(select(BankBatch))] == ["2023-11"]
    assert count(PayrollLine) == 1 and count(PayrollDraft) == 1
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "retention.purge"))
    assert entry.details["signin"] == 1 and entry.details["wages_before"] == "2023-11-30"
    assert retention.due(DEFAULTS, TODAY) == dict.fromkeys(("attendance", "signin", "payroll_line",
                                                            "payroll_draft", "bank_batch"), 0)


@pytest.mark.parametrize("setting, years", [("RETENTION_ATTENDANCE_YEARS", 1), ("RETENTION_WAGE_YEARS", 2)])
def test_a_period_shorter_than_the_law_allows_is_refused_and_nothing_deleted(s, setting, years):
    sign_ins(s.project, s.gc.workers[0], [date(2020, 1, 6)])
    with pytest.raises(RuleViolation) as refused:
        retention.purge({**DEFAULTS, setting: years}, TODAY)
    assert refused.value.params["setting"] == setting
    assert count(SignIn) == 1


def test_longer_periods_keep_more(s):
    sign_ins(s.project, s.gc.workers[0], [date(2023, 6, 1)])
    assert retention.due({**DEFAULTS, "RETENTION_ATTENDANCE_YEARS": 5}, TODAY)["signin"] == 0
    assert retention.due(DEFAULTS, TODAY)["signin"] == 1


def test_the_29th_of_february_has_a_horizon():
    assert retention.years_before(date(2028, 2, 29), 3) == date(2025, 2, 28)


def test_the_command_is_a_dry_run_unless_told(app, s):
    sign_ins(s.project, s.gc.workers[0], [date(2020, 1, 6)])
    runner = app.test_cli_runner()
    dry = runner.invoke(args=["retention", "purge"])
    assert dry.exit_code == 0 and "signin (班前签到记录): 1 past the period" in dry.output and "dry run" in dry.output
    assert count(SignIn) == 1
    done = runner.invoke(args=["retention", "purge", "--yes"])
    assert done.exit_code == 0 and "signin 1" in done.output
    assert count(SignIn) == 0
    app.config["RETENTION_WAGE_YEARS"] = 1
    refused = runner.invoke(args=["retention", "report"])
    assert refused.exit_code != 0 and "不能少于3年" in refused.output
