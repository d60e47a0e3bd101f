"""Payroll, first half (DOMAIN §8): settlement periods, batches, drafts filled from
sign-ins, amounts in fen, and the review flow — a subcontractor's draft returned once,
resubmitted, then approved at both levels; a GC draft approved by the GC."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, SignIn
from app.services import payroll
from app.services.errors import Conflict, Forbidden, RuleViolation
from app.workflow import inbox, runtime
from tests.support.site import confirmed
from tests.support.staffing import staffing


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def sign_ins(project, person, days):
    allocation = confirmed(project, person, status="on_site")
    officer = person.id
    for d in days:
        db.session.add(SignIn(project_id=project.id, person_id=person.id, allocation_id=allocation.id,
                              enterprise_id=allocation.enterprise_id, work_date=d, method="officer_scan",
                              officer_person_id=officer))
    db.session.commit()


def with_card(*people):
    for p in people:
        p.bank_name, p.bank_card_number = "中国建设银行", "6217001210024455667"
    db.session.commit()


def tasks(user, key):
    return db.session.scalars(inbox.my_tasks(user).where(HumanTask.task_key == key)).all()


@pytest.mark.parametrize("day, month, expected", [
    ("25", "2026-11", (date(2026, 10, 26), date(2026, 11, 25))),
    ("25", "2026-01", (date(2025, 12, 26), date(2026, 1, 25))),
    ("1", "2026-03", (date(2026, 2, 2), date(2026, 3, 1))),
    ("28", "2026-03", (date(2026, 3, 1), date(2026, 3, 28))),  # February has 28 days in 2026
    ("month_end", "2026-02", (date(2026, 2, 1), date(2026, 2, 28))),
    ("month_end", "2028-02", (date(2028, 2, 1), date(2028, 2, 29))),
])
def test_the_pay_period_follows_the_settlement_day(day, month, expected):
    assert payroll.period(day, month) == expected


def test_settlement_day_and_batches_belong_to_the_gc_pm(s):
    with pytest.raises(Forbidden):
        payroll.set_settlement_day(s.sub.pm, s.project, "25")
    for bad in ("0", "29", "31", "x", "", None, "2.5"):
        with pytest.raises(RuleViolation):
            payroll.set_settlement_day(s.gc.pm, s.project, bad)
    with pytest.raises(RuleViolation) as no_day:
        payroll.create_batch(s.gc.pm, s.project, "2026-11")
    assert no_day.value.message == payroll.NO_SETTLEMENT_DAY
    payroll.set_settlement_day(s.gc.pm, s.project, "25")
    batch = payroll.create_batch(s.gc.pm, s.project, "2026-11")
    db.session.commit()
    assert batch.batch_no == f"P{s.project.id}-202611-1" and batch.status == "open"
    assert (batch.period_start, batch.period_end) == (date(2026, 10, 26), date(2026, 11, 25))
    with pytest.raises(Conflict):
        payroll.create_batch(s.gc.pm, s.project, "2026-11")
    db.session.rollback()
    for bad in ("2026-13", "26-11", "2026/11", "2026-1"):
        with pytest.raises(RuleViolation):
            payroll.create_batch(s.gc.pm, s.project, bad)


@pytest.fixture
def batch(s):
    payroll.set_settlement_day(s.gc.pm, s.project, "25")
    batch = payroll.create_batch(s.gc.pm, s.project, "2026-11")
    db.session.commit()
    return batch


def test_a_draft_counts_the_enterprises_sign_ins_in_the_period(s, batch):
    a, b = s.sub.workers
    sign_ins(s.project, a, [date(2026, 10, 25), date(2026, 10, 26), date(2026, 11, 3), date(2026, 11, 25),
                            date(2026, 11, 26)])  # two outside the period
    sign_ins(s.project, b, [date(2026, 11, 10)])
    sign_ins(s.project, s.gc.workers[0], [date(2026, 11, 10)])  # the GC's, not in the sub's draft
    with pytest.raises(Forbidden):
        payroll.create_draft(s.sub.hr, s.project, batch.id, "2026-11")  # HR reviews, the PM drafts
    draft = payroll.create_draft(s.sub.pm, s.project, batch.id, "2026-11")
    db.session.commit()
    assert {(line.person_id, line.days) for line in draft.lines} == {(a.id, 3), (b.id, 1)}
    with pytest.raises(Conflict):
        payroll.create_draft(s.sub.pm, s.project, batch.id, "2026-11")
    db.session.rollback()
    with pytest.raises(RuleViolation):
        payroll.create_draft(s.gc.pm, s.project, batch.id, "2026-10")  # not that batch's month


def test_amounts_are_fen_and_net_is_never_negative(s, batch):
    worker = s.gc.workers[0]
    sign_ins(s.project, worker, [date(2026, 11, 2)])
    draft = payroll.create_draft(s.gc.pm, s.project, batch.id, "2026-11")
    db.session.commit()
    [line] = draft.lines
    for gross, deductions in ((100.5, 0), (-1, 0), ("1000", 0), (True, 0), (payroll.MAX_FEN + 1, 0)):
        with pytest.raises(RuleViolation):
            payroll.set_line(s.gc.pm, draft, line.id, gross, deductions)
    with pytest.raises(RuleViolation) as negative:
        payroll.set_line(s.gc.pm, draft, line.id, 100_00, 100_01)
    assert negative.value.message == payroll.NEGATIVE_NET
    with pytest.raises(Forbidden):
        payroll.set_line(s.sub.pm, draft, line.id, 100_00, 0)
    assert payroll.set_line(s.gc.pm, draft, line.id, 8_000_00, 150_00).net_fen == 7_850_00


def test_submission_needs_every_amount_and_every_bank_card(s, batch):
    a, b = s.gc.workers
    sign_ins(s.project, a, [date(2026, 11, 2)])
    sign_ins(s.project, b, [date(2026, 11, 2)])
    draft = payroll.create_draft(s.gc.pm, s.project, batch.id, "2026-11")
    lines = {line.person_id: line for line in draft.lines}
    payroll.set_line(s.gc.pm, draft, lines[a.id].id, 300_00, 0)
    with pytest.raises(RuleViolation) as missing:
        payroll.submit(s.gc.pm, draft)
    assert missing.value.message == payroll.AMOUNTS_MISSING
    payroll.set_line(s.gc.pm, draft, lines[b.id].id, 300_00, 0)
    with_card(a)
    with pytest.raises(RuleViolation) as no_card:
        payroll.submit(s.gc.pm, draft)
    assert no_card.value.message == payroll.NO_BANK_CARD
    assert b.name in no_card.value.params["names"] and a.name not in no_card.value.params["names"]
    with_card(b)
    payroll.submit(s.gc.pm, draft)
    db.session.commit()
    assert draft.status == "gc_review"
    assert tasks(s.gc.pm, "gc_review") == []  # four eyes: the GC PM drafted it; the GC's HR reviews
    [review] = tasks(s.gc.hr, "gc_review")
    runtime.complete(review, s.gc.hr, {"decision": "agree", "comment": ""})
    assert db.session.get(type(draft), draft.id).status == "approved"


def test_a_subcontractors_draft_returned_once_then_approved_at_both_levels(s, batch):
    a, _ = s.sub.workers
    sign_ins(s.project, a, [date(2026, 11, 2), date(2026, 11, 3)])
    with_card(a)
    draft = payroll.create_draft(s.sub.pm, s.project, batch.id, "2026-11")
    [line] = draft.lines
    payroll.set_line(s.sub.pm, draft, line.id, 600_00, 0)
    payroll.submit(s.sub.pm, draft)
    db.session.commit()
    assert draft.status == "sub_review"
    assert tasks(s.gc.pm, "gc_review") == [] and tasks(s.gc.pm, "sub_review") == []
    [sub_task] = tasks(s.sub.hr, "sub_review")  # the sub's HR (an enterprise-wide role) reviews
    assert tasks(s.sub.enterprise.legal_rep, "sub_review") == [sub_task]  # so may its legal rep
    assert tasks(s.sub.pm, "sub_review") == []  # never its drafter
    runtime.complete(sub_task, s.sub.hr, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert db.session.get(type(draft), draft.id).status == "gc_review"
    [gc_task] = tasks(s.gc.pm, "gc_review")
    runtime.complete(gc_task, s.gc.pm, {"decision": "reject", "comment": "出勤天数有误"})
    db.session.expire_all()
    draft = db.session.get(type(draft), draft.id)
    assert (draft.status, draft.review_comment) == ("returned", "出勤天数有误")
    [revise] = tasks(s.sub.pm, "revise")
    payroll.set_line(s.sub.pm, draft, line.id, 650_00, 50_00)  # editable again
    payroll.submit(s.sub.pm, draft)
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(type(draft), draft.id).status == "sub_review"
    assert tasks(s.sub.pm, "revise") == [] and tasks(s.sub.pm, "sub_review") == []  # resubmitted: still not theirs
    [sub_task] = tasks(s.sub.enterprise.legal_rep, "sub_review")
    runtime.complete(sub_task, s.sub.enterprise.legal_rep, {"decision": "agree", "comment": ""})
    [gc_task] = tasks(s.gc.pm, "gc_review")
    runtime.complete(gc_task, s.gc.pm, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert db.session.get(type(draft), draft.id).status == "approved"
    assert db.session.get(type(line), line.id).net_fen == 600_00
