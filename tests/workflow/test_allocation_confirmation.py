"""processes/allocation_confirmation.bpmn: two-level confirmation, levels satisfied at once
when the allocator is the approver, refusals that free the person (DOMAIN §3)."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, AuditEntry, HumanTask, ProcessInstance
from app.services import allocation as service, roles
from app.services.errors import Conflict
from app.web.inbox import has_diagram
from app.workflow import definitions, runtime
from tests.support.staffing import employee, staffing

BPMN = definitions.PROCESSES_DIR / "allocation_confirmation.bpmn"
AGREE = {"decision": "agree", "comment": ""}


def allocate(actor, project, people, role="worker"):
    results = service.allocate(actor, project, [p.id for p in people], role)
    assert all(r.ok for r in results), results
    return [db.session.get(Allocation, r.allocation_id) for r in results]


def open_task(allocation, key=None):
    rows = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == allocation.process_instance_id,
                                                      HumanTask.status == "open")).all()
    assert len(rows) <= 1
    if key is None:
        return rows[0] if rows else None
    assert rows and rows[0].task_key == key, [r.task_key for r in rows]
    return rows[0]


def complete(allocation, key, user, data=AGREE):
    runtime.complete(open_task(allocation, key), user, data)
    db.session.expire_all()


def instance_status(allocation):
    return db.session.get(ProcessInstance, allocation.process_instance_id).status


def test_the_definition_has_lanes_approval_forms_distinct_handler_ids_and_a_diagram(app):
    xml = BPMN.read_text(encoding="utf-8")
    parsed = definitions.parse(xml.encode(), BPMN.name)
    assert (parsed.key, parsed.name) == ("allocation_confirmation", "分配确认")
    specs = parsed.spec.task_specs
    assert (specs["level1_accept"].lane, specs["gc_confirm"].lane) == ("alloc_level1", "gc_pm")
    assert (specs["level1_accept"].bpmn_name, specs["gc_confirm"].bpmn_name) == ("项目人员接收", "待同意分配（施工总包确认）")
    assert {specs[k].extensions["properties"]["formKey"] for k in ("level1_accept", "gc_confirm")} == {"approval"}
    services = {k: s.operation_name for k, s in specs.items() if hasattr(s, "operation_name")}
    assert set(services.values()) == {"allocation_plan", "allocation_level1_passed", "allocation_gc_passed",
                                      "allocation_confirmed", "allocation_rejected"}
    assert all(task_id != name for task_id, name in services.items())
    assert has_diagram(xml)


def test_subcontractor_allocation_needs_both_levels_and_a_refusal_frees_the_person(app, world):
    s = staffing(world)
    a, b, c = allocate(s.sub.hr, s.project, s.sub.workers)
    assert {x.status for x in (a, b, c)} == {"pending_level1"}
    assert open_task(a, "level1_accept").title == "项目人员接收"

    complete(a, "level1_accept", s.sub.pm)
    complete(b, "level1_accept", s.sub.pm)
    complete(c, "level1_accept", s.sub.pm, {"decision": "reject", "comment": "工种不符"})
    assert (a.status, b.status, c.status) == ("pending_gc", "pending_gc", "rejected")
    assert (a.level1_by_id, a.level1_auto, a.level1_at is not None) == (s.sub.pm.id, False, True)
    assert (c.rejected_by_id, c.rejected_reason, instance_status(c)) == (s.sub.pm.id, "工种不符", "completed")

    complete(a, "gc_confirm", s.gc.pm)
    complete(b, "gc_confirm", s.gc.pm)
    assert (a.status, b.status) == ("confirmed", "confirmed")
    assert (a.gc_by_id, a.gc_auto, instance_status(a)) == (s.gc.pm.id, False, "completed")
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "allocation.reject")).actor_id == s.sub.pm.id

    refused = s.sub.workers[2]
    assert refused.id in {e.person_id for e in service.allocatable(s.sub.enterprise)}
    assert not {p.id for p in s.sub.workers[:2]} & {e.person_id for e in service.allocatable(s.sub.enterprise)}
    again, = allocate(s.sub.hr, s.project, [refused])
    assert again.status == "pending_level1" and again.id != c.id


def test_a_gc_allocation_needs_one_level(app, world):
    s = staffing(world, workers=1)
    allocation, = allocate(s.gc.hr, s.project, s.gc.workers)
    complete(allocation, "level1_accept", s.gc.pm)
    assert (allocation.status, allocation.gc_at, instance_status(allocation)) == ("confirmed", None, "completed")


def test_the_gc_pm_allocating_gc_workers_confirms_at_once(app, world):
    s = staffing(world, workers=2)
    allocations = allocate(s.gc.pm, s.project, s.gc.workers)
    for allocation in allocations:
        assert (allocation.status, allocation.level1_auto, allocation.level1_by_id) == ("confirmed", True, s.gc.pm.id)
        assert open_task(allocation) is None and instance_status(allocation) == "completed"


def test_a_sub_pm_allocating_satisfies_level1_and_waits_for_the_gc(app, world):
    s = staffing(world, workers=1)
    allocation, = allocate(s.sub.pm, s.project, s.sub.workers)
    assert (allocation.status, allocation.level1_auto, allocation.level1_by_id) == ("pending_gc", True, s.sub.pm.id)
    complete(allocation, "gc_confirm", s.gc.pm, {"decision": "reject", "comment": "人员超编"})
    assert (allocation.status, allocation.rejected_reason, allocation.rejected_by_id) == \
        ("rejected", "人员超编", s.gc.pm.id)


def test_an_allocator_who_is_also_the_gc_pm_satisfies_the_gc_level(app, world):
    s = staffing(world, workers=1)
    roles.grant(s.sub.hr, roles.PROJECT_MANAGER, enterprise_id=s.gc.enterprise.id, project_id=s.project.id)
    db.session.commit()
    allocation, = allocate(s.sub.hr, s.project, s.sub.workers)
    complete(allocation, "level1_accept", s.sub.pm)
    assert (allocation.status, allocation.gc_auto, allocation.gc_by_id) == ("confirmed", True, s.sub.hr.id)


def test_a_confirmed_site_operator_gets_the_role_and_accepts_later_allocations(app, world):
    s = staffing(world, workers=1)
    operator = employee(world, s.sub.enterprise, "manager")
    op_allocation, = allocate(s.sub.pm, s.project, [operator], role="site_operator")
    complete(op_allocation, "gc_confirm", s.gc.pm)
    assert op_allocation.status == "confirmed"
    assert roles.has_role(operator.user, roles.SITE_OPERATOR, enterprise_id=s.sub.enterprise.id,
                          project_id=s.project.id)
    worker, = allocate(s.sub.hr, s.project, s.sub.workers)
    complete(worker, "level1_accept", operator.user)
    assert (worker.status, worker.level1_by_id) == ("pending_gc", operator.user.id)


def test_a_flow_step_on_a_changed_allocation_is_a_conflict(app, world):
    s = staffing(world, workers=1)
    allocation, = allocate(s.sub.hr, s.project, s.sub.workers)
    allocation.status = "rejected"  # e.g. changed by hand by an administrator
    db.session.commit()
    with pytest.raises(Conflict):
        complete(allocation, "level1_accept", s.sub.pm)
