"""app/services/allocation.py: PM designation, who and whom one may allocate, the one-open-
allocation rule (also under a race), and the lists the pages show."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, AuditEntry, HumanTask, RoleGrant
from app.services import allocation as service, roles
from app.services.errors import Conflict, Forbidden, RuleViolation
from app.workflow import inbox, runtime
from tests.support.staffing import employee, staffing


@pytest.fixture
def s(world):
    return staffing(world)


def refusals(actor, project, people, role="worker"):
    return [r.detail for r in service.allocate(actor, project, [p.id for p in people], role)]


# --- 项目经理 ----------------------------------------------------------------------------

def test_a_designated_pm_is_on_the_project_at_once_with_the_grant(s):
    allocation = db.session.scalar(select(Allocation).where(Allocation.person_id == s.sub.pm_person.id))
    assert (allocation.role, allocation.status, allocation.enterprise_id, allocation.project_id) == \
        ("project_manager", "confirmed", s.sub.enterprise.id, s.project.id)
    assert roles.has_role(s.sub.pm, roles.PROJECT_MANAGER, enterprise_id=s.sub.enterprise.id, project_id=s.project.id)
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "allocation.designate_manager",
                                                       AuditEntry.record_id == str(allocation.id)))
    assert entry.actor_id == s.sub.hr.id


def test_designation_refusals(s, world):
    worker = s.sub.workers[0]
    with pytest.raises(RuleViolation) as refused:
        service.designate_manager(s.sub.hr, s.project, worker.id)
    assert refused.value.message == service.NOT_A_MANAGER
    other_manager = employee(world, s.gc.enterprise, "manager")
    with pytest.raises(RuleViolation) as refused:  # the GC's manager is not the sub's employee
        service.designate_manager(s.sub.hr, s.project, other_manager.id)
    assert refused.value.message == service.NOT_EMPLOYEE
    pending = employee(world, s.sub.enterprise, "manager", status="pending_consent")
    with pytest.raises(RuleViolation) as refused:
        service.designate_manager(s.sub.hr, s.project, pending.id)
    assert refused.value.message == service.NOT_ACTIVE
    second = employee(world, s.sub.enterprise, "manager")
    with pytest.raises(Conflict) as refused:  # the PM already
        service.designate_manager(s.sub.hr, s.project, s.sub.pm_person.id)
    assert refused.value.message == service.ALREADY_PM
    with pytest.raises(Forbidden):  # a PM is not the enterprise's legal rep / HR
        service.designate_manager(s.sub.pm, s.project, second.id)
    outsider = world.enterprise()
    with pytest.raises(Forbidden):
        service.designate_manager(outsider.legal_rep, s.project, second.id)
    db.session.rollback()
    assert db.session.scalar(select(RoleGrant).where(RoleGrant.user_id == second.user_id)) is None


def open_level1_tasks(s, user):
    [result] = service.allocate(s.sub.hr, s.project, [s.sub.workers[0].id], "worker")
    assert result.ok
    return db.session.scalars(inbox.my_tasks(user).where(HumanTask.task_key == "level1_accept")).all()


def test_designating_another_pm_replaces_the_first_who_stays_on_the_project(s, world):
    first, first_user = s.sub.pm_person, s.sub.pm
    [task] = open_level1_tasks(s, first_user)  # a subcontractor worker allocated by HR awaits its PM
    runtime.claim(task, first_user)
    db.session.commit()
    second = employee(world, s.sub.enterprise, "manager")
    designation = service.designate_manager(s.sub.hr, s.project, second.id)
    db.session.commit()
    assert [u.id for u in designation.replaced] == [first_user.id]
    scope = {"enterprise_id": s.sub.enterprise.id, "project_id": s.project.id}
    assert roles.has_role(second.user, roles.PROJECT_MANAGER, **scope)
    assert not roles.has_role(first_user, roles.PROJECT_MANAGER, **scope)
    assert db.session.scalar(select(func.count()).select_from(RoleGrant).where(
        RoleGrant.role == roles.PROJECT_MANAGER, RoleGrant.enterprise_id == s.sub.enterprise.id,
        RoleGrant.project_id == s.project.id)) == 1
    kept = db.session.scalar(select(Allocation).where(Allocation.person_id == first.id))
    assert (kept.status, kept.project_id) == ("confirmed", s.project.id)  # until the site exits them
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "project.replace_manager"))
    assert (entry.actor_id, entry.details["replaced_person_id"]) == (s.sub.hr.id, first.id)
    db.session.refresh(task)
    assert task.claimed_by_id is None and inbox.is_candidate(second.user, task)  # the successor can take it


def test_a_pm_already_on_another_project_cannot_be_designated(s, world):
    other = world.project(s.sub.enterprise)
    with pytest.raises(RuleViolation) as refused:
        service.designate_manager(s.sub.hr, other, s.sub.pm_person.id)
    assert refused.value.message == service.ON_OTHER_PROJECT


# --- 人员分配 ----------------------------------------------------------------------------

def test_allocatable_lists_active_unallocated_employees(s, world):
    employee(world, s.sub.enterprise, status="pending_registration")
    manager = employee(world, s.sub.enterprise, "manager")
    assert {e.person_id for e in service.allocatable(s.sub.enterprise)} == {p.id for p in s.sub.workers} | {manager.id}
    assert {e.person_id for e in service.allocatable(s.sub.enterprise, role="worker")} == {p.id for p in s.sub.workers}
    service.allocate(s.sub.hr, s.project, [s.sub.workers[0].id], "worker")
    assert s.sub.workers[0].id not in {e.person_id for e in service.allocatable(s.sub.enterprise)}


def test_who_may_be_allocated(s, world):
    pending = employee(world, s.sub.enterprise, status="pending_consent")
    ended = employee(world, s.sub.enterprise, status="ended")
    manager = employee(world, s.sub.enterprise, "manager")
    assert refusals(s.sub.hr, s.project, [pending, ended, s.gc.workers[0], manager]) == \
        [service.NOT_ACTIVE, service.NOT_EMPLOYEE, service.NOT_EMPLOYEE, service.NOT_A_WORKER]
    assert refusals(s.sub.hr, s.project, [manager], role="site_operator") == [None]


def test_a_person_on_a_project_is_refused_with_a_clear_message(s, world):
    other = world.project(s.gc.enterprise)
    worker = s.gc.workers[0]
    assert refusals(s.gc.hr, other, [worker]) == [None]
    assert refusals(s.gc.hr, s.project, [worker]) == ["该人员已在其他项目中，需先退场"]
    assert refusals(s.gc.hr, other, [worker]) == [service.ON_THIS_PROJECT]


def test_the_allocating_enterprise_must_take_part_in_the_project(s, world):
    stranger = world.enterprise()
    world.project(stranger)
    worker = employee(world, stranger)
    assert refusals(stranger.legal_rep, s.project, [worker]) == ["本单位未参建该项目"]


def test_who_may_allocate(s, world):
    # the sub's PM allocates only the sub's people, and only to this project
    assert refusals(s.sub.pm, s.project, [s.gc.workers[0]]) == [service.NOT_EMPLOYEE]
    with pytest.raises(Forbidden):
        service.allocate(world.user(), s.project, [s.sub.workers[0].id], "worker")
    other = world.project(s.sub.enterprise)
    with pytest.raises(Forbidden):
        service.allocate(s.sub.pm, other, [s.sub.workers[0].id], "worker")
    with pytest.raises(RuleViolation):
        service.allocate(s.sub.hr, s.project, [s.sub.workers[0].id], "project_manager")
    with pytest.raises(RuleViolation):
        service.allocate(s.sub.hr, s.project, [s.sub.workers[0].id], "worker", job_type="900")


def test_each_person_succeeds_or_fails_on_their_own_and_duplicates_count_once(s):
    people = [s.sub.workers[0].id, s.gc.workers[0].id, s.sub.workers[0].id, 999999]
    results = service.allocate(s.sub.hr, s.project, people, "worker", job_type="020")
    assert [(r.person_id, r.ok) for r in results] == [(s.sub.workers[0].id, True), (s.gc.workers[0].id, False),
                                                      (999999, False)]
    allocation = db.session.get(Allocation, results[0].allocation_id)
    assert (allocation.job_type, allocation.allocated_by_id, allocation.process_instance_id is not None) == \
        ("020", s.sub.hr.id, True)
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "allocation.create")).actor_id == s.sub.hr.id


def test_a_race_lost_on_the_unique_index_gets_the_same_message(s, world, monkeypatch):
    other = world.project(s.gc.enterprise)
    worker = s.gc.workers[0]
    service.allocate(s.gc.hr, other, [worker.id], "worker")
    real, calls = service._open_allocation, []

    def stale_first(person_id):  # the check ran before the other request committed
        calls.append(person_id)
        return None if len(calls) == 1 else real(person_id)

    monkeypatch.setattr(service, "_open_allocation", stale_first)
    assert refusals(s.gc.hr, s.project, [worker]) == [service.ON_OTHER_PROJECT]
    assert db.session.scalar(select(Allocation).where(Allocation.project_id == s.project.id,
                                                      Allocation.person_id == worker.id)) is None


# --- reading ---------------------------------------------------------------------------

def test_pending_counts_roster_and_visibility(s, world):
    results = service.allocate(s.sub.hr, s.project, [p.id for p in s.sub.workers], "worker")
    gc_allocation_id = service.allocate(s.gc.hr, s.project, [s.gc.workers[0].id], "worker")[0].allocation_id
    assert service.allocations_pending_for(s.sub.pm, s.project) == {s.sub.enterprise.id: 3}
    assert service.allocations_pending_for(s.gc.pm, s.project) == {s.gc.enterprise.id: 1}
    roster = service.roster(s.project)
    assert len(roster) == 2 + 3 + 1 and [a.enterprise_id for a in roster] == sorted(a.enterprise_id for a in roster)
    allocation_id = results[0].allocation_id
    for user in (s.sub.hr, s.sub.pm, s.gc.pm, s.gc.hr, s.sub.workers[0].user):
        assert service.visible_allocation(user, allocation_id) is not None
    other_project_pm = employee(world, s.sub.enterprise, "manager")
    service.designate_manager(s.sub.hr, world.project(s.sub.enterprise), other_project_pm.id)
    db.session.commit()
    for user in (s.sub.workers[1].user, world.user(), other_project_pm.user):
        assert service.visible_allocation(user, allocation_id) is None
    assert service.visible_allocation(s.gc.pm, gc_allocation_id) is not None
    assert service.visible_allocation(s.sub.pm, gc_allocation_id) is None  # another enterprise's PM
