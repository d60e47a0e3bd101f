"""Separation (DOMAIN §6–7): resignation with the 24-hour rule, and dismissal that
requires managers to exit the site first.

Pages and the API call apply_resignation, withdraw_resignation, dismiss and
cancel_dismissal; the flows (processes/resignation.bpmn, dismissal.bpmn, through
app/handlers/separation.py) call complete_resignation, complete_dismissal and
decline_dismissal; an administrator's terminate of either flow calls withdraw. Ending
an employment exits the person's open allocation and ends any allocation still
awaiting confirmation. Callers commit unless a docstring says so.
"""
import logging
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Allocation, Employment, ProcessInstance, Separation, User
from app.models.allocation import OPEN_ALLOCATION
from app.models.types import utcnow
from app.services import audit, notices, project_managers, roles
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_
from app.services.site import ACCEPTED, exit_allocation
from app.workflow import runtime
from app.workflow.errors import WorkflowFailure

log = logging.getLogger(__name__)

RESIGNATION, DISMISSAL = "resignation", "dismissal"

NOT_EMPLOYED = N_("您当前没有在职的聘用关系")
ALREADY_PENDING = N_("已有进行中的离职或解聘，请勿重复提交")
NO_PENDING_RESIGNATION = N_("没有进行中的离职申请")
REASON_NEEDED = N_("请填写原因")
NOT_STAFF = N_("只有本单位的法人或人事聘用管理员可以解聘人员")
NOT_EMPLOYEE = N_("该人员不是本单位在职人员")
MANAGER_ON_PROJECT = N_("请先办理退场或更换项目经理")
MANAGER_PENDING_ALLOCATION = N_("该管理人员有待确认的项目分配，请待项目接收或拒绝后再解聘")
NO_PENDING_DISMISSAL = N_("该人员没有进行中的解聘")
FLOW_FAILED = N_("解聘流程启动失败，请稍后重试或联系管理员")
WRONG_STATE = N_("离职或解聘的状态已变化，请刷新后重试")


@dataclass
class Result:
    """One person's outcome in 【批量解聘】."""

    person_id: int
    ok: bool
    separation_id: int | None = None
    detail: str | None = None  # a msgid when refused
    places: list["OnProject"] = field(default_factory=list)  # why a manager was refused


@dataclass
class OnProject:
    """A project a 管理人员 is still on: as its 项目经理, or with an allocation in
    `position` (its status: pending_level1, pending_gc, confirmed, on_site)."""

    project_id: int
    position: str


def _subject(separation) -> dict:
    return {"separation_id": separation.id, "employment_id": separation.employment_id,
            "person_id": separation.person_id, "enterprise_id": separation.enterprise_id}


def _open(separation: Separation) -> None:
    """Inserts the pending row; a concurrent second request loses on the partial unique index."""
    db.session.add(separation)
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Conflict(ALREADY_PENDING) from None


def _reason(text) -> str:
    reason = (text or "").strip()[:255]
    if not reason:
        raise RuleViolation(REASON_NEEDED, field="reason")
    return reason


# --- resignation -------------------------------------------------------------------------

def current_employment(person) -> Employment | None:
    """The person's employment that can be left: active, resigning or dismissing."""
    return db.session.scalar(select(Employment).where(
        Employment.person_id == person.id, Employment.status.in_(("active", "resigning", "dismissing"))).limit(1))


def pending_separation(employment) -> Separation | None:
    if employment is None:
        return None
    return db.session.scalar(select(Separation).where(Separation.employment_id == employment.id,
                                                      Separation.status == "pending").limit(1))


def apply_resignation(user, reason: str) -> Separation:
    """【申请离职】: starts the resignation flow. Raises RuleViolation / Conflict."""
    reason = _reason(reason)
    person = user.person
    employment = current_employment(person) if person is not None else None
    if employment is None:
        raise RuleViolation(NOT_EMPLOYED)
    if employment.status != "active":
        raise Conflict(ALREADY_PENDING)
    separation = Separation(kind=RESIGNATION, employment_id=employment.id, person_id=person.id,
                            enterprise_id=employment.enterprise_id, reason=reason, requested_by_id=user.id)
    _open(separation)
    employment.status = "resigning"
    audit.record(user, "separation.resign", "employment", employment.id, reason=reason)
    separation.process_instance_id = runtime.start(RESIGNATION, _subject(separation), user).id
    return separation


def withdraw_resignation(user) -> Separation:
    """The person withdraws before the resignation completes: the flow is terminated and
    every task of it leaves the inboxes."""
    employment = current_employment(user.person) if user.person is not None else None
    separation = pending_separation(employment)
    if separation is None or separation.kind != RESIGNATION:
        raise NotFound(NO_PENDING_RESIGNATION)
    _stop(separation, user, "withdrawn", "本人撤回离职申请")
    audit.record(user, "separation.withdraw", "employment", employment.id)
    return separation


def _stop(separation, actor, status: str, reason: str) -> None:
    instance = db.session.get(ProcessInstance, separation.process_instance_id) if separation.process_instance_id else None
    if instance is not None and instance.status not in ("completed", "terminated"):
        runtime.end_flow(instance, actor, reason)
    _keep_employment(separation, actor, status)


def _keep_employment(separation, actor, status: str) -> None:
    """The separation ends without ending the employment, which is active again."""
    separation.status, separation.ended_at, separation.ended_by_id = status, utcnow(), getattr(actor, "id", None)
    separation.employment.status = "active"


def withdraw(separation_id: int, actor, reason: str) -> Separation | None:
    """An administrator terminated the resignation or dismissal flow (app/handlers/
    terminations.py): a pending separation is withdrawn and the employment active again,
    so a new resignation or dismissal can start. One already ended is left as it is — an
    ended employment is not revived by stopping a flow."""
    separation = db.session.get(Separation, separation_id)
    if separation is None or separation.status != "pending":
        log.info("separation %s not pending at termination; left as it is", separation_id)
        return separation
    _keep_employment(separation, actor, "withdrawn")
    audit.record(actor, "separation.withdraw", "employment", separation.employment_id, reason=reason,
                 kind=separation.kind, person_id=separation.person_id)
    return separation


def _pending(separation_id: int, kind: str) -> Separation:
    separation = db.session.get(Separation, separation_id)
    if separation is None or separation.kind != kind or separation.status != "pending":
        raise Conflict(WRONG_STATE)
    return separation


def complete_resignation(separation_id: int, actor_id, by: str) -> Separation:
    """The enterprise agreed, or the person resigned at once after the waiting period."""
    separation = _pending(separation_id, RESIGNATION)
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    _end(separation, actor, "completed")
    separation.completed_by = by if by in ("enterprise", "person") else None
    return separation


# --- dismissal ---------------------------------------------------------------------------

def still_on_projects(employment) -> list[OnProject]:
    """What keeps a 管理人员 from being dismissed (DOMAIN §7): their designation as a
    project's 项目经理, and every allocation not yet exited — confirmed or entered, or
    still awaiting confirmation (which, confirmed while the person is 解聘中, would be
    exited unnoticed when they agree). A worker has none: their allocation is exited
    automatically when the employment ends."""
    if employment.identity != "manager":
        return []
    places = [OnProject(project_id, "project_manager")
              for project_id in project_managers.projects_led(employment.person.user, employment.enterprise_id)]
    for project_id, status in db.session.execute(select(Allocation.project_id, Allocation.status).where(
            Allocation.person_id == employment.person_id, Allocation.status.in_(OPEN_ALLOCATION))):
        if not any(p.project_id == project_id for p in places):
            places.append(OnProject(project_id, status))
    return places


def _refusal(places: list[OnProject]) -> str:
    if any(p.position in ("project_manager", *ACCEPTED) for p in places):
        return MANAGER_ON_PROJECT
    return MANAGER_PENDING_ALLOCATION


def _locked_employment(person_id: int, enterprise_id: int) -> Employment | None:
    """The open employment, locked until commit (PostgreSQL): an allocation or a PM
    designation racing this dismissal waits, then finds it no longer active."""
    return db.session.scalar(select(Employment).where(
        Employment.person_id == person_id, Employment.enterprise_id == enterprise_id,
        Employment.status.in_(("active", "resigning", "dismissing"))).limit(1)
        .with_for_update().execution_options(populate_existing=True))


def dismiss(actor, enterprise, person_ids: list[int], reason: str) -> list[Result]:
    """【批量解聘】→【解除聘用关系】: each person on their own, one transaction each
    (commits). Forbidden for anyone but the enterprise's legal rep / HR."""
    if not any(roles.has_role(actor, r, enterprise_id=enterprise.id) for r in roles.ENTERPRISE_ROLES):
        raise Forbidden(NOT_STAFF)
    reason = _reason(reason)
    enterprise_id = enterprise.id
    results = []
    for person_id in dict.fromkeys(person_ids):
        employment = _locked_employment(person_id, enterprise_id)
        refusal, places = None, []
        if employment is None:
            refusal = NOT_EMPLOYEE
        elif employment.status != "active":
            refusal = ALREADY_PENDING
        elif places := still_on_projects(employment):
            refusal = _refusal(places)
        if refusal is not None:
            db.session.rollback()  # releases the lock; nothing was changed
            results.append(Result(person_id, False, detail=refusal, places=places))
            continue
        try:
            separation = Separation(kind=DISMISSAL, employment_id=employment.id, person_id=person_id,
                                    enterprise_id=enterprise_id, reason=reason, requested_by_id=actor.id)
            _open(separation)
            employment.status = "dismissing"
            audit.record(actor, "separation.dismiss", "employment", employment.id, person_id=person_id, reason=reason)
            separation.process_instance_id = runtime.start(DISMISSAL, _subject(separation), actor).id
            consent = open_task(separation, "worker_consent")  # the person's answer (DOMAIN §7)
            notices.notify(person_id, "dismissal_consent", link=notices.task_path(consent.id) if consent else None,
                           enterprise=enterprise.name, reason=reason)
            db.session.commit()
        except Conflict as conflict:
            results.append(Result(person_id, False, detail=conflict.message))
            continue
        except WorkflowFailure:
            db.session.rollback()
            log.exception("dismissal flow failed to start for person %s", person_id)
            results.append(Result(person_id, False, detail=FLOW_FAILED))
            continue
        results.append(Result(person_id, True, separation_id=separation.id))
    return results


def cancel_dismissal(actor, enterprise, person_id: int) -> Separation:
    """The enterprise cancels a dismissal the person has not answered yet."""
    if not any(roles.has_role(actor, r, enterprise_id=enterprise.id) for r in roles.ENTERPRISE_ROLES):
        raise Forbidden(NOT_STAFF)
    separation = db.session.scalar(select(Separation).where(
        Separation.person_id == person_id, Separation.enterprise_id == enterprise.id,
        Separation.kind == DISMISSAL, Separation.status == "pending").limit(1))
    if separation is None:
        raise NotFound(NO_PENDING_DISMISSAL)
    _stop(separation, actor, "cancelled", "企业撤销解聘")
    audit.record(actor, "separation.cancel", "employment", separation.employment_id, person_id=person_id)
    return separation


def complete_dismissal(separation_id: int, actor_id) -> Separation:
    """The person agreed (【同意】): 离职成功."""
    separation = _pending(separation_id, DISMISSAL)
    _end(separation, db.session.get(User, actor_id) if actor_id is not None else None, "completed")
    return separation


def decline_dismissal(separation_id: int, actor_id, comment: str | None) -> Separation:
    """The person declined with a reason: the dismissal is withdrawn, the employment stays."""
    separation = _pending(separation_id, DISMISSAL)
    actor = db.session.get(User, actor_id) if actor_id is not None else None
    separation.status, separation.ended_at, separation.ended_by_id = "declined", utcnow(), actor_id
    separation.response = (comment or "").strip()[:500] or None
    separation.employment.status = "active"
    audit.record(actor, "separation.decline", "employment", separation.employment_id, reason=separation.response)
    return separation


# --- the end of an employment -----------------------------------------------------------

def _end(separation, actor, status: str) -> None:
    """Ends the employment once (a second ending finds it no longer resigning/dismissing)
    and takes the person off every project."""
    employment = db.session.scalar(select(Employment).where(Employment.id == separation.employment_id)
                                   .with_for_update())
    if employment.status not in ("resigning", "dismissing"):
        raise Conflict(WRONG_STATE)
    now = utcnow()
    employment.status, employment.ended_at, employment.end_reason = "ended", now, separation.reason
    separation.status, separation.ended_at, separation.ended_by_id = status, now, getattr(actor, "id", None)
    for allocation in db.session.scalars(select(Allocation).where(
            Allocation.person_id == employment.person_id, Allocation.status.in_(OPEN_ALLOCATION))):
        if allocation.status in ACCEPTED:
            exit_allocation(allocation, None, reason=separation.kind)
        else:  # still awaiting confirmation: it ends here, and so does its flow
            allocation.status, allocation.rejected_at = "rejected", now
            allocation.rejected_reason = "人员已离职" if separation.kind == RESIGNATION else "人员已解聘"
            flow = db.session.get(ProcessInstance, allocation.process_instance_id) \
                if allocation.process_instance_id else None
            if flow is not None and flow.status not in ("completed", "terminated"):
                runtime.end_flow(flow, None, allocation.rejected_reason)
    audit.record(actor, f"separation.{separation.kind}_completed", "employment", employment.id,
                 person_id=employment.person_id, completed_by=separation.completed_by)


def open_task(separation: Separation | None, task_key: str):
    """The separation flow's open task of that key (enterprise_agree, immediate_resignation,
    worker_consent), or None."""
    from app.models import HumanTask
    if separation is None or separation.process_instance_id is None:
        return None
    return db.session.scalar(select(HumanTask).where(
        HumanTask.instance_id == separation.process_instance_id, HumanTask.task_key == task_key,
        HumanTask.status == "open").limit(1))


def immediate_available_at(separation: Separation):
    """When 【立即离职】 opens: the flow's waiting timer, so a changed diagram changes it too."""
    from app.models import WorkflowTimer
    if separation is None or separation.process_instance_id is None:
        return None
    return db.session.scalar(select(WorkflowTimer.due_at).where(
        WorkflowTimer.instance_id == separation.process_instance_id))


def last_ended(person) -> Employment | None:
    return db.session.scalar(select(Employment).where(Employment.person_id == person.id, Employment.status == "ended")
                             .order_by(Employment.ended_at.desc(), Employment.id.desc()).limit(1))


def mine(user) -> tuple[Employment | None, Separation | None]:
    """The person's current employment and its pending separation, for 【聘用信息】."""
    employment = current_employment(user.person) if user.person is not None else None
    return employment, pending_separation(employment)
