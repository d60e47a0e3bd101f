"""Allocation to projects (DOMAIN §3) and project-manager designation.

Pages and the API call designate_manager, allocatable, allocate, allocations_pending_for,
roster and visible_allocation; the confirmation flow (processes/allocation_confirmation.bpmn,
through app/handlers/allocation.py) calls plan, record_level, confirm and reject.

Who may allocate: the employer's legal rep / HR, or the employer's PM on the project.
A caller who holds none of these roles anywhere is refused for the whole call (Forbidden);
otherwise each person succeeds or fails on their own, with the reason in `detail`.
Statuses: pending_level1 → (pending_gc) → confirmed, or → rejected / cancelled (an
administrator terminated the flow); after either the person is free again.
"""
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Allocation, Employment, HumanTask, Person, User
from app.models.allocation import OPEN_ALLOCATION
from app.models.employment import OPEN_STATUSES
from app.models.types import utcnow
from app.services import audit, project_managers, roles
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_
from app.services.job_types import JOB_TYPES, fits_identity
from app.workflow import inbox, runtime
from app.workflow.errors import WorkflowFailure

log = logging.getLogger(__name__)

PROCESS = "allocation_confirmation"
ALLOCATABLE_ROLES = ("worker", "site_operator")

NOT_ALLOWED = N_("只有本单位的法人、人事聘用管理员或本项目的项目经理可以分配人员")
NOT_STAFF = N_("只有参建单位的法人或人事聘用管理员可以指定项目经理")
NOT_EMPLOYEE = N_("该人员不是本单位在职人员")
NOT_ACTIVE = N_("只有聘用登记成功且在职的人员才能分配")
NOT_PARTICIPANT = N_("本单位未参建该项目")
ON_OTHER_PROJECT = N_("该人员已在其他项目中，需先退场")
ON_THIS_PROJECT = N_("该人员已分配到本项目")
NOT_A_WORKER = N_("只有身份为建筑工人的人员才能作为建筑工人分配")
NOT_A_MANAGER = N_("只有身份为管理人员的人员才能担任项目经理")
NO_ACCOUNT = N_("该人员尚无登录账号")
ALREADY_PM = N_("该人员已是本单位在本项目的项目经理")
BAD_ROLE = N_("请选择分配角色：建筑工人或现场操作用户")
BAD_JOB_TYPE = N_("请从工种列表中选择")
JOB_TYPE_NOT_WORKER = N_("建筑工人不能选择“管理人员”工种")
FLOW_FAILED = N_("分配确认流程启动失败，请稍后重试或联系管理员")
WRONG_STATE = N_("该分配记录的状态已变化，请刷新后重试")


@dataclass
class Result:
    """One person's outcome in a batch allocation."""

    person_id: int
    ok: bool
    allocation_id: int | None = None
    detail: str | None = None  # a Chinese msgid when refused


@dataclass
class Designation:
    """A PM designated: their allocation, and the PMs it replaced (users), who stay on
    the project until exited."""

    allocation: Allocation
    replaced: list


class _Refused(Exception):
    def __init__(self, message: str):
        self.message = message


# --- shared checks ---------------------------------------------------------------------

def _participants(project) -> set[int]:
    return {p.enterprise_id for p in project.participants}


def _staff_of(user) -> set[int]:
    return roles.enterprise_ids_with(user, *roles.ENTERPRISE_ROLES)


def _pm_of(user, project_id: int) -> set[int]:
    return {g.enterprise_id for g in user.grants if g.role == roles.PROJECT_MANAGER and g.project_id == project_id}


def _open_allocation(person_id: int) -> Allocation | None:
    return db.session.scalar(select(Allocation).where(Allocation.person_id == person_id,
                                                      Allocation.status.in_(OPEN_ALLOCATION)).limit(1))


def _refuse_if_on_a_project(person_id: int, project_id: int) -> None:
    current = _open_allocation(person_id)
    if current is not None:
        raise _Refused(ON_THIS_PROJECT if current.project_id == project_id else ON_OTHER_PROJECT)


def _employment_at(person_id: int, enterprise_ids: set[int]) -> Employment:
    """The person's open employment at one of these enterprises; anything else is
    "not our employee" (another employer's staff is not revealed). Locked until commit
    (PostgreSQL), as a dismissal locks it: a manager is never allocated while a
    dismissal that found them on no project is under way."""
    employment = db.session.scalar(select(Employment).where(Employment.person_id == person_id,
                                                            Employment.status.in_(OPEN_STATUSES)).limit(1)
                                   .with_for_update().execution_options(populate_existing=True))
    if employment is None or employment.enterprise_id not in enterprise_ids:
        raise _Refused(NOT_EMPLOYEE)
    if employment.status != "active":
        raise _Refused(NOT_ACTIVE)
    return employment


def _add(allocation: Allocation, person_id: int, project_id: int) -> None:
    """Inserts the row; a concurrent allocation of the same person loses on the partial
    unique index (one open allocation per person) and gets the same message."""
    db.session.add(allocation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        _refuse_if_on_a_project(person_id, project_id)
        raise _Refused(ON_OTHER_PROJECT) from None


# --- 项目经理 ----------------------------------------------------------------------------

def designate_manager(actor, project, person_id: int) -> Designation:
    """The participant enterprise's legal rep / HR makes its active 管理人员 employee the
    enterprise's PM on the project: a RoleGrant(project_manager, enterprise, project) and
    a confirmed Allocation(role="project_manager"). One PM per enterprise per project: a
    PM already designated is replaced (app/services/project_managers.hand_over) and stays
    on the project until exited. Raises RuleViolation / Conflict / Forbidden. Caller
    commits."""
    mine = _staff_of(actor) & _participants(project)
    if not mine:
        raise Forbidden(NOT_STAFF)
    project_id = project.id
    try:
        employment = _employment_at(person_id, mine)
        if employment.identity != "manager":
            raise _Refused(NOT_A_MANAGER)
        user = employment.person.user
        if user is None:
            raise _Refused(NO_ACCOUNT)
        enterprise_id = employment.enterprise_id
        project_managers.lock_participation(enterprise_id, project_id)
        if any(g.user_id == user.id for g in project_managers.designated(enterprise_id, project_id)):
            raise Conflict(ALREADY_PM)
        _refuse_if_on_a_project(person_id, project_id)
        allocation = Allocation(project_id=project_id, enterprise_id=enterprise_id, person_id=person_id,
                                employment_id=employment.id, role=roles.PROJECT_MANAGER, status="confirmed",
                                job_type=employment.job_type, allocated_by_id=actor.id, allocated_at=utcnow())
        _add(allocation, person_id, project_id)
    except _Refused as refusal:
        raise RuleViolation(refusal.message, field="person_id") from None
    replaced = project_managers.hand_over(actor, enterprise_id, project_id, user)
    roles.grant(user, roles.PROJECT_MANAGER, enterprise_id=enterprise_id, project_id=project_id, granted_by=actor)
    audit.record(actor, "allocation.designate_manager", "allocation", allocation.id, person_id=person_id,
                 enterprise_id=enterprise_id, project_id=project_id,
                 replaced_user_ids=[u.id for u in replaced] or None)
    return Designation(allocation, replaced)


# --- 人员分配 ----------------------------------------------------------------------------

def allocatable(enterprise, project=None, role: str | None = None) -> list:
    """Active employments of `enterprise` whose person is on no project (no open
    allocation) — the candidate list of 【人员分配】. Returns Employment rows (with .person)."""
    on_a_project = select(Allocation.person_id).where(Allocation.status.in_(OPEN_ALLOCATION))
    query = (select(Employment).join(Person, Employment.person_id == Person.id)
             .where(Employment.enterprise_id == enterprise.id, Employment.status == "active",
                    Employment.person_id.not_in(on_a_project))
             .options(selectinload(Employment.person)).order_by(Person.name, Employment.id))
    if role == "worker":
        query = query.where(Employment.identity == "worker")
    elif role == roles.PROJECT_MANAGER:
        query = query.where(Employment.identity == "manager")
    return list(db.session.scalars(query))


def _check_job_type(job_type):
    if job_type in (None, ""):
        return None
    if job_type not in JOB_TYPES:
        raise RuleViolation(BAD_JOB_TYPE, field="job_type")
    if not fits_identity("worker", job_type):
        raise RuleViolation(JOB_TYPE_NOT_WORKER, field="job_type")
    return job_type


def allocate(actor, project, person_ids: list[int], role: str, job_type: str | None = None) -> list[Result]:
    """Allocates each person (per-person results, each its own savepoint-free check):
    the allocating enterprise is the person's employer; the actor must be its legal rep /
    HR, or its PM on the project. Starts allocation_confirmation per allocation. Commits."""
    if role not in ALLOCATABLE_ROLES:
        raise RuleViolation(BAD_ROLE, field="role")
    job_type = _check_job_type(job_type)
    project_id = project.id
    allowed = _staff_of(actor) | _pm_of(actor, project_id)
    if not allowed:
        raise Forbidden(NOT_ALLOWED)
    participants = _participants(project)
    results = []
    for person_id in dict.fromkeys(person_ids):  # each person once, in the order given
        try:
            allocation = _allocate_one(actor, project_id, person_id, role, job_type, allowed, participants)
        except _Refused as refusal:
            results.append(Result(person_id, False, detail=refusal.message))
            continue
        except WorkflowFailure:
            db.session.rollback()
            log.exception("allocation flow failed to start for person %s on project %s", person_id, project_id)
            results.append(Result(person_id, False, detail=FLOW_FAILED))
            continue
        # One transaction per person: a later refusal or failure never undoes an earlier success.
        db.session.commit()
        results.append(Result(person_id, True, allocation_id=allocation.id))
    return results


def _allocate_one(actor, project_id, person_id, role, job_type, allowed, participants) -> Allocation:
    employment = _employment_at(person_id, allowed)
    if employment.enterprise_id not in participants:
        raise _Refused(NOT_PARTICIPANT)
    if role == "worker" and employment.identity != "worker":
        raise _Refused(NOT_A_WORKER)
    _refuse_if_on_a_project(person_id, project_id)
    allocation = Allocation(project_id=project_id, enterprise_id=employment.enterprise_id, person_id=person_id,
                            employment_id=employment.id, role=role, status="pending_level1",
                            job_type=(job_type or employment.job_type) if role == "worker" else None,
                            allocated_by_id=actor.id, allocated_at=utcnow())
    _add(allocation, person_id, project_id)
    subject = {"allocation_id": allocation.id, "project_id": project_id,
               "enterprise_id": allocation.enterprise_id, "person_id": person_id}
    audit.record(actor, "allocation.create", "allocation", allocation.id, person_id=person_id,
                 project_id=project_id, enterprise_id=allocation.enterprise_id, role=role)
    allocation.process_instance_id = runtime.start(PROCESS, subject, actor).id
    return allocation


# --- the confirmation flow's steps -------------------------------------------------------

def _in_state(allocation_id: int, *expected: str) -> Allocation:
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or allocation.status not in expected:
        raise Conflict(WRONG_STATE)
    return allocation


def _needs_gc(allocation) -> bool:
    return allocation.enterprise_id != allocation.project.gc_enterprise_id


def plan(allocation_id: int) -> dict:
    """Which levels the flow asks for. A level whose approver is the allocator is
    satisfied at once: level 1 when the allocator is the allocating enterprise's PM or
    site operator on the project, the GC level when they are the GC's PM there."""
    allocation = _in_state(allocation_id, "pending_level1")
    allocator = db.session.get(User, allocation.allocated_by_id) if allocation.allocated_by_id else None
    project_id, gc_id = allocation.project_id, allocation.project.gc_enterprise_id
    level1_auto = any(roles.has_role(allocator, r, enterprise_id=allocation.enterprise_id, project_id=project_id)
                      for r in (roles.PROJECT_MANAGER, roles.SITE_OPERATOR))
    gc_auto = roles.has_role(allocator, roles.PROJECT_MANAGER, enterprise_id=gc_id, project_id=project_id)
    return {"level1_auto": level1_auto, "gc_auto": gc_auto, "needs_gc": _needs_gc(allocation)}


def record_level(allocation_id: int, level: str, user_id, auto: bool = False) -> Allocation:
    """Level 1 (项目人员接收) or the GC's confirmation passed; an automatic level is
    recorded as the allocator's. Level 1 of a subcontractor's allocation → pending_gc."""
    if level == "level1":
        allocation = _in_state(allocation_id, "pending_level1")
    elif level == "gc":
        allocation = _in_state(allocation_id, "pending_gc")
    else:
        raise ValueError(f"unknown level {level!r}")
    by_id = allocation.allocated_by_id if auto else user_id
    setattr(allocation, f"{level}_by_id", by_id)
    setattr(allocation, f"{level}_at", utcnow())
    setattr(allocation, f"{level}_auto", bool(auto))
    if level == "level1" and _needs_gc(allocation):
        allocation.status = "pending_gc"
    audit.record(db.session.get(User, by_id) if by_id else None, f"allocation.{level}", "allocation",
                 allocation.id, auto=bool(auto))
    return allocation


def confirm(allocation_id: int) -> Allocation:
    """Every level passed: the person is on the project; a site operator gets the role."""
    allocation = _in_state(allocation_id, "pending_level1", "pending_gc")
    if allocation.level1_at is None or (_needs_gc(allocation) and allocation.gc_at is None):
        raise Conflict(WRONG_STATE)  # a redeployed diagram must not skip a level
    allocation.status = "confirmed"
    if allocation.role == roles.SITE_OPERATOR and allocation.person.user is not None:
        roles.grant(allocation.person.user, roles.SITE_OPERATOR, enterprise_id=allocation.enterprise_id,
                    project_id=allocation.project_id)
    audit.record(None, "allocation.confirm", "allocation", allocation.id, role=allocation.role)
    return allocation


def reject(allocation_id: int, user_id, reason: str | None = None) -> Allocation:
    """Refused at either level: the person becomes allocatable again."""
    allocation = _in_state(allocation_id, "pending_level1", "pending_gc")
    allocation.status, allocation.rejected_by_id, allocation.rejected_at = "rejected", user_id, utcnow()
    allocation.rejected_reason = (reason or "").strip()[:255] or None
    audit.record(db.session.get(User, user_id) if user_id else None, "allocation.reject", "allocation",
                 allocation.id, reason=allocation.rejected_reason)
    return allocation


# --- an administrator terminates the confirmation flow (app/handlers/terminations.py) --

def cancel(allocation_id: int, actor, reason: str) -> Allocation | None:
    """An allocation still awaiting confirmation is cancelled: the person is allocatable
    again. One that has moved on (confirmed, on site, rejected) is left as it is — leaving
    a project is 【确认退场】's business, with its site records, not a stopped flow's."""
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or allocation.status not in ("pending_level1", "pending_gc"):
        log.info("allocation %s not awaiting confirmation at termination; left as it is", allocation_id)
        return allocation
    allocation.status = "cancelled"
    audit.record(actor, "allocation.cancel", "allocation", allocation.id, reason=reason,
                 person_id=allocation.person_id, project_id=allocation.project_id)
    return allocation


# --- reading ---------------------------------------------------------------------------

def allocations_pending_for(user, project) -> dict[int, int]:
    """{enterprise_id: number of allocations awaiting this user's confirmation on the
    project} — the 【待同意分配人数】 counts (from the user's open inbox tasks)."""
    rows = db.session.scalars(inbox.my_tasks(user, process_key=PROCESS)
                              .where(HumanTask.candidate_project_id == project.id))
    counts: dict[int, int] = {}
    for row in rows:
        enterprise_id = (row.subject or {}).get("enterprise_id")
        counts[enterprise_id] = counts.get(enterprise_id, 0) + 1
    return counts


def roster(project) -> list:
    """Open allocations of the project (Allocation rows), ordered by enterprise, role, name."""
    return list(db.session.scalars(
        select(Allocation).join(Person, Allocation.person_id == Person.id)
        .where(Allocation.project_id == project.id, Allocation.status.in_(OPEN_ALLOCATION))
        .options(selectinload(Allocation.person), selectinload(Allocation.enterprise))
        .order_by(Allocation.enterprise_id, Allocation.role, Person.name, Allocation.id)))


def _involved(user, allocation) -> bool:
    if roles.has_role(user, roles.ADMIN) or allocation.person.user_id == user.id:
        return True
    project_id, gc_id = allocation.project_id, allocation.project.gc_enterprise_id
    for enterprise_id in {allocation.enterprise_id, gc_id}:
        if enterprise_id in _staff_of(user):
            return True
        if any(roles.has_role(user, r, enterprise_id=enterprise_id, project_id=project_id)
               for r in (roles.PROJECT_MANAGER, roles.SITE_OPERATOR)):
            return True
    return False


def visible_allocation(user, allocation_id: int):
    """The allocation if the user is involved (the person, the allocating enterprise's
    staff or PM/site operators on the project, the GC's PM/staff), else None."""
    allocation = db.session.get(Allocation, allocation_id)
    if allocation is None or user is None or not getattr(user, "is_authenticated", False):
        return None
    return allocation if _involved(user, allocation) else None


def allocation_for(user, allocation_id: int) -> Allocation:
    """visible_allocation, or NotFound (absent and hidden alike)."""
    allocation = visible_allocation(user, allocation_id)
    if allocation is None:
        raise NotFound(N_("记录不存在或无权查看"))
    return allocation
