"""Resignation with the 24-hour rule and dismissal that needs managers off site first
(DOMAIN §6–7), through the services, the real flows and the timer poller; time moved
with time-machine."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, AuditEntry, Employment, HumanTask, Separation
from app.services import separation as service
from app.services import roles, site
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.workflow import inbox, runtime
from tests.support.site import code_of, confirmed
from tests.support.staffing import employee, staffing

APPLIED = datetime(2026, 11, 23, 1, 0, tzinfo=timezone.utc)


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def fire_due(app):
    result = app.test_cli_runner().invoke(args=["timers", "fire-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()


def open_tasks(user, key):
    return db.session.scalars(inbox.my_tasks(user).where(HumanTask.task_key == key)).all()


def employment_of(person) -> Employment:
    return db.session.scalar(select(Employment).where(Employment.person_id == person.id)
                             .order_by(Employment.id.desc()).limit(1))


def apply(person, reason="回老家发展"):
    separation = service.apply_resignation(person.user, reason)
    db.session.commit()
    return separation


def test_immediate_resignation_appears_only_after_24_hours(app, s):
    worker = s.gc.workers[0]
    allocation = confirmed(s.project, worker, status="on_site")
    with time_machine.travel(APPLIED, tick=False):
        separation = apply(worker)
    assert employment_of(worker).status == "resigning"
    assert len(open_tasks(s.gc.hr, "enterprise_agree")) == 1
    with time_machine.travel(APPLIED + timedelta(hours=23, minutes=59), tick=False):
        fire_due(app)
        assert open_tasks(worker.user, "immediate_resignation") == []
    with time_machine.travel(APPLIED + timedelta(hours=24, seconds=1), tick=False):
        fire_due(app)
        [task] = open_tasks(worker.user, "immediate_resignation")
        assert len(open_tasks(s.gc.hr, "enterprise_agree")) == 1  # the enterprise may still agree
        runtime.complete(task, worker.user, {"confirm": True})
    db.session.expire_all()
    assert employment_of(worker).status == "ended"
    assert db.session.get(Separation, separation.id).completed_by == "person"
    assert open_tasks(s.gc.hr, "enterprise_agree") == []  # gone from the enterprise's inbox
    exited = db.session.get(Allocation, allocation.id)
    assert (exited.status, exited.exit_reason) == ("exited", "resignation")


def test_the_enterprise_agreeing_at_hour_30_ends_it_and_removes_the_persons_task(app, s):
    worker = s.sub.workers[0]
    with time_machine.travel(APPLIED, tick=False):
        apply(worker)
    with time_machine.travel(APPLIED + timedelta(hours=30), tick=False):
        fire_due(app)
        assert len(open_tasks(worker.user, "immediate_resignation")) == 1
        [task] = open_tasks(s.sub.hr, "enterprise_agree")
        runtime.complete(task, s.sub.hr, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert employment_of(worker).status == "ended"
    assert open_tasks(worker.user, "immediate_resignation") == []
    assert db.session.scalar(select(Separation.completed_by)) == "enterprise"


def test_the_enterprise_cannot_refuse_a_resignation(s):
    from app.forms.tasks import ResignationAgreeForm
    from werkzeug.datastructures import MultiDict
    form = ResignationAgreeForm(formdata=MultiDict({"decision": "reject", "comment": "不批"}), meta={"csrf": False})
    assert not form.validate() and "decision" in form.errors


def test_withdrawing_before_completion_restores_the_employment(s):
    worker = s.gc.workers[0]
    apply(worker)
    service.withdraw_resignation(worker.user)
    db.session.commit()
    assert employment_of(worker).status == "active"
    assert open_tasks(s.gc.hr, "enterprise_agree") == []
    with pytest.raises(NotFound):
        service.withdraw_resignation(worker.user)
    apply(worker)  # may apply again
    assert employment_of(worker).status == "resigning"


def test_applying_needs_a_reason_and_an_active_employment(s, world):
    worker = s.gc.workers[0]
    with pytest.raises(RuleViolation):
        service.apply_resignation(worker.user, "   ")
    apply(worker)
    with pytest.raises(Conflict):
        service.apply_resignation(worker.user, "再次申请")
    db.session.rollback()
    jobless = world.user()
    with pytest.raises(RuleViolation):
        service.apply_resignation(jobless, "原因")


# --- dismissal ------------------------------------------------------------------------------

def test_a_batch_of_a_worker_a_manager_on_site_and_one_who_exited(s, world):
    worker = s.gc.workers[0]
    confirmed(s.project, worker, status="on_site")
    on_site, exited = employee(world, s.gc.enterprise, "manager"), employee(world, s.gc.enterprise, "manager")
    confirmed(s.project, on_site, status="on_site", role="site_operator")
    confirmed(s.project, exited, status="on_site", role="site_operator")
    site.exit_people(s.gc.pm, s.project, [exited.id])
    db.session.commit()
    results = service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id, on_site.id, exited.id], "项目结束")
    assert [(r.person_id, r.ok, r.detail) for r in results] == [
        (worker.id, True, None), (on_site.id, False, service.MANAGER_ON_PROJECT), (exited.id, True, None)]
    assert [employment_of(p).status for p in (worker, on_site, exited)] == ["dismissing", "active", "dismissing"]

    [task] = open_tasks(worker.user, "worker_consent")
    assert task.process_key == "dismissal"
    runtime.complete(task, worker.user, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert employment_of(worker).status == "ended"
    assert db.session.scalar(select(Allocation.exit_reason).where(Allocation.person_id == worker.id)) == "dismissal"


def test_declining_withdraws_the_dismissal_and_the_enterprise_may_cancel(s):
    a, b = s.sub.workers
    service.dismiss(s.sub.hr, s.sub.enterprise, [a.id, b.id], "人员调整")
    [task] = open_tasks(a.user, "worker_consent")
    runtime.complete(task, a.user, {"decision": "reject", "comment": "合同未到期"})
    db.session.expire_all()
    assert employment_of(a).status == "active"
    assert db.session.scalar(select(Separation.response).where(Separation.person_id == a.id)) == "合同未到期"
    with pytest.raises(Forbidden):
        service.cancel_dismissal(s.gc.hr, s.sub.enterprise, b.id)
    service.cancel_dismissal(s.sub.hr, s.sub.enterprise, b.id)
    db.session.commit()
    assert employment_of(b).status == "active" and open_tasks(b.user, "worker_consent") == []


def test_only_the_employers_staff_dismiss_and_only_their_own_people(s):
    with pytest.raises(Forbidden):
        service.dismiss(s.gc.pm, s.gc.enterprise, [s.gc.workers[0].id], "原因")
    [result] = service.dismiss(s.gc.hr, s.gc.enterprise, [s.sub.workers[0].id], "原因")
    assert (result.ok, result.detail) == (False, service.NOT_EMPLOYEE)


def test_a_pending_allocation_ends_with_the_employment(s):
    from app.services import allocation
    worker = s.sub.workers[0]
    [result] = allocation.allocate(s.sub.hr, s.project, [worker.id], "worker")
    assert db.session.get(Allocation, result.allocation_id).status == "pending_level1"
    service.dismiss(s.sub.hr, s.sub.enterprise, [worker.id], "原因")
    [task] = open_tasks(worker.user, "worker_consent")
    runtime.complete(task, worker.user, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert db.session.get(Allocation, result.allocation_id).status == "rejected"
    assert open_tasks(s.sub.pm, "level1_accept") == []  # its confirmation task left the inbox


# --- managers leave first: what keeps a 管理人员 (DOMAIN §7) -----------------------------------

def refused_because(s, person):
    [result] = service.dismiss(s.gc.hr, s.gc.enterprise, [person.id], "管理岗位调整")
    assert result.ok is False
    return result.detail, [(p.project_id, p.position) for p in result.places]


def nothing_started(person):
    assert employment_of(person).status == "active"
    assert db.session.scalar(select(func.count(Separation.id)).where(Separation.person_id == person.id)) == 0
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "separation.dismiss")) == 0


def test_the_pm_never_scanned_in_is_refused_and_so_is_a_designation_without_allocation(s, world):
    assert refused_because(s, s.gc.pm_person) == (service.MANAGER_ON_PROJECT, [(s.project.id, "project_manager")])
    nothing_started(s.gc.pm_person)
    other = world.project(s.gc.enterprise)
    designated_only = employee(world, s.gc.enterprise, "manager")  # a PM grant without an allocation
    roles.grant(designated_only.user, roles.PROJECT_MANAGER, enterprise_id=s.gc.enterprise.id, project_id=other.id)
    db.session.commit()
    assert refused_because(s, designated_only) == (service.MANAGER_ON_PROJECT, [(other.id, "project_manager")])
    nothing_started(designated_only)


@pytest.mark.parametrize("status", ["confirmed", "on_site"])
def test_a_manager_confirmed_or_entered_is_refused(s, world, status):
    manager = employee(world, s.gc.enterprise, "manager")
    confirmed(s.project, manager, status=status, role="site_operator")
    assert refused_because(s, manager) == (service.MANAGER_ON_PROJECT, [(s.project.id, status)])
    nothing_started(manager)


def test_a_manager_awaiting_confirmation_is_refused_until_the_site_answers(s, world):
    from app.services import allocation
    manager = employee(world, s.gc.enterprise, "manager")
    [result] = allocation.allocate(s.gc.hr, s.project, [manager.id], "site_operator")
    assert result.ok
    assert refused_because(s, manager) == (service.MANAGER_PENDING_ALLOCATION, [(s.project.id, "pending_level1")])
    nothing_started(manager)
    [task] = open_tasks(s.gc.pm, "level1_accept")
    runtime.complete(task, s.gc.pm, {"decision": "reject", "comment": "岗位已满"})
    db.session.expire_all()
    [dismissed] = service.dismiss(s.gc.hr, s.gc.enterprise, [manager.id], "管理岗位调整")
    assert dismissed.ok and employment_of(manager).status == "dismissing"


def test_a_replaced_pm_is_refused_until_exited_then_dismissed_and_ends(s, world):
    from app.services import allocation
    old_pm = s.sub.pm_person
    successor = employee(world, s.sub.enterprise, "manager")
    allocation.designate_manager(s.sub.hr, s.project, successor.id)
    db.session.commit()
    [still] = service.dismiss(s.sub.hr, s.sub.enterprise, [old_pm.id], "管理岗位调整")
    assert (still.ok, still.detail, [p.position for p in still.places]) == \
        (False, service.MANAGER_ON_PROJECT, ["confirmed"])
    [exit_result] = site.exit_people(s.gc.pm, s.project, [old_pm.id])  # the GC side exits him
    db.session.commit()
    assert exit_result.ok
    [dismissed] = service.dismiss(s.sub.hr, s.sub.enterprise, [old_pm.id], "管理岗位调整")
    assert dismissed.ok and dismissed.places == []
    [task] = open_tasks(old_pm.user, "worker_consent")
    runtime.complete(task, old_pm.user, {"decision": "agree", "comment": ""})
    db.session.expire_all()
    assert employment_of(old_pm).status == "ended"
    assert roles.has_role(successor.user, roles.PROJECT_MANAGER, enterprise_id=s.sub.enterprise.id,
                          project_id=s.project.id)  # the project kept a PM throughout
