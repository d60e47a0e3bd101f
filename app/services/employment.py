"""Employment (用工登记, DOMAIN §2): the enterprise's hire request with its refusals,
the outcomes of the hire consent flow (processes/hire_consent.bpmn), and the lists
and visibility the pages and the API share.

Statuses: pending_consent → pending_registration → active, or → declined / expired /
withdrawn (an administrator terminated the flow).
The flow decides who acts next and when a request expires; this module owns the rows.
"""
import logging
import unicodedata
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Employment, HumanTask, Person, ProcessInstance, Registration, User
from app.models.employment import IDENTITIES, OPEN_STATUSES
from app.models.types import utcnow
from app.services import access, audit, notices
from app.services.errors import Conflict, NotFound, RuleViolation
from app.services.i18n import N_
from app.services.job_types import JOB_TYPES, fits_identity
from app.workflow import history as workflow_history, runtime

log = logging.getLogger(__name__)

HIRE_PROCESS = "hire_consent"

AWAITING_DATACENTER = N_("该人员的个人信息登记尚在大数据中心处理中，无需重复登记，处理完成后即可聘用")
NOT_REGISTERED = N_("该人员尚未完成个人信息登记")
NAME_MISMATCH = N_("姓名与身份证号码登记信息不一致")
EMPLOYED_ELSEWHERE = N_("该人员在另外一家单位未离职，需先在原单位办理离职")
ALREADY_REQUESTED = N_("已存在该人员的聘用申请或聘用关系")
NOT_VISIBLE = N_("记录不存在或无权查看")
WRONG_STATE = N_("该聘用记录的状态已变化，请刷新后重试")
BAD_IDENTITY = N_("请选择身份：建筑工人或管理人员")
BAD_JOB_TYPE = N_("请从工种列表中选择")
JOB_TYPE_MISMATCH = N_("身份与工种不一致：管理人员对应“900 管理人员”")
BAD_DATE = N_("日期格式应为YYYY-MM-DD，且须为真实日期")
BAD_WAGE = N_("工资标准应为1至1000000000分之间的整数")

MAX_WAGE_FEN = 1_000_000_000
# Variants of the middle dot in minority names (e.g. 买买提·艾力) typed by different IMEs.
_DOTS = str.maketrans({"•": "·", "・": "·", "．": "·", ".": "·"})


# --- 【新建聘用关系】 -------------------------------------------------------------------

def _comparable_name(name: str) -> str:
    text = unicodedata.normalize("NFKC", name or "")
    return "".join(text.split()).translate(_DOTS)


def _verified_person(id_number: str, name: str) -> Person:
    """The person whose verified registration has this ID number and name; refusals
    (a) awaiting the data center, (b) not registered, (c) name mismatch."""
    registrations = db.session.scalars(select(Registration).where(Registration.id_number == id_number)).all()
    verified = next((r for r in registrations if r.status == "verified"), None)
    if verified is None:
        if any(r.status == "submitted" for r in registrations):
            raise RuleViolation(AWAITING_DATACENTER, field="id_number")
        raise RuleViolation(NOT_REGISTERED, field="id_number")
    if _comparable_name(verified.name) != _comparable_name(name):
        raise RuleViolation(NAME_MISMATCH, field="name")
    return verified.person


def _open_employment(person_id: int) -> Employment | None:
    return db.session.scalar(select(Employment).where(Employment.person_id == person_id,
                                                      Employment.status.in_(OPEN_STATUSES)).limit(1))


def _refuse_if_open(person_id: int, enterprise_id: int) -> None:
    """Refusals (d) open at another enterprise, (e) already requested or employed here."""
    current = _open_employment(person_id)
    if current is not None:
        raise RuleViolation(ALREADY_REQUESTED if current.enterprise_id == enterprise_id else EMPLOYED_ELSEWHERE)


def request_hire(actor, enterprise, name: str, id_number: str) -> Employment:
    """Creates the employment (pending_consent) and starts the consent flow, in the
    caller's transaction. `id_number` is already normalised by the form."""
    person = _verified_person(id_number, name)
    person_id, enterprise_id = person.id, enterprise.id
    _refuse_if_open(person_id, enterprise_id)
    employment = Employment(person_id=person_id, enterprise_id=enterprise_id, status="pending_consent",
                            requested_by_id=getattr(actor, "id", None))
    db.session.add(employment)
    try:
        db.session.flush()
    except IntegrityError:
        # A concurrent request won the partial unique index (one open employment per
        # person). Nothing else is pending in this transaction, so it is rolled back whole.
        db.session.rollback()
        _refuse_if_open(person_id, enterprise_id)
        raise RuleViolation(ALREADY_REQUESTED) from None
    subject = {"employment_id": employment.id, "person_id": person_id, "enterprise_id": enterprise_id}
    instance = runtime.start(HIRE_PROCESS, subject, actor)
    employment.process_instance_id = instance.id
    audit.record(actor, "employment.request", "employment", employment.id,
                 person_id=person_id, enterprise_id=enterprise_id)
    consent = open_task(employment, "worker_consent")  # the 【消息通知】 the person answers (DOMAIN §2)
    notices.notify(person_id, "hire_consent", link=notices.task_path(consent.id) if consent else None,
                   enterprise=enterprise.name)
    return employment


# --- outcomes of the consent flow (called by app/handlers/employment.py) ---------------

def _actor(actor_id):
    return db.session.get(User, actor_id) if actor_id is not None else None


def _in_state(employment_id: int, expected: str) -> Employment:
    employment = db.session.get(Employment, employment_id)
    if employment is None or employment.status != expected:
        raise Conflict(WRONG_STATE)
    return employment


def consent_given(employment_id: int, actor_id=None) -> Employment:
    employment = _in_state(employment_id, "pending_consent")
    employment.status = "pending_registration"
    audit.record(_actor(actor_id), "employment.consent", "employment", employment.id)
    return employment


def consent_declined(employment_id: int, actor_id=None, comment: str | None = None) -> Employment:
    employment = _in_state(employment_id, "pending_consent")
    employment.status, employment.ended_at = "declined", utcnow()
    employment.end_reason = (comment or "").strip()[:255] or None
    audit.record(_actor(actor_id), "employment.decline", "employment", employment.id, reason=employment.end_reason)
    return employment


def consent_expired(employment_id: int) -> Employment | None:
    """The timer's outcome. Tolerant of a changed row: a timer must not stop the poller."""
    employment = db.session.get(Employment, employment_id)
    if employment is None or employment.status != "pending_consent":
        log.warning("employment %s not pending consent at expiry; left as it is", employment_id)
        return employment
    employment.status, employment.ended_at = "expired", utcnow()
    audit.record(None, "employment.expire", "employment", employment.id)
    return employment


def _registration_terms(identity, job_type, contract_start, wage_standard_fen) -> dict:
    """Checked again here: a redeployed diagram may pass anything as parameters."""
    if identity not in IDENTITIES:
        raise RuleViolation(BAD_IDENTITY, field="identity")
    if job_type not in JOB_TYPES:
        raise RuleViolation(BAD_JOB_TYPE, field="job_type")
    if not fits_identity(identity, job_type):
        raise RuleViolation(JOB_TYPE_MISMATCH, field="job_type")
    if not isinstance(contract_start, date):
        try:
            contract_start = date.fromisoformat(str(contract_start))
        except ValueError:
            raise RuleViolation(BAD_DATE, field="contract_start") from None
    if isinstance(wage_standard_fen, bool) or not isinstance(wage_standard_fen, int) \
            or not 1 <= wage_standard_fen <= MAX_WAGE_FEN:
        raise RuleViolation(BAD_WAGE, field="wage_standard_fen")
    return {"identity": identity, "job_type": job_type, "contract_start": contract_start,
            "wage_standard_fen": wage_standard_fen}


def register(employment_id: int, actor_id, identity, job_type, contract_start, wage_standard_fen) -> Employment:
    """聘用登记 → active ("聘用成功")."""
    terms = _registration_terms(identity, job_type, contract_start, wage_standard_fen)
    employment = _in_state(employment_id, "pending_registration")
    for key, value in terms.items():
        setattr(employment, key, value)
    employment.status, employment.started_at = "active", utcnow()
    audit.record(_actor(actor_id), "employment.register", "employment", employment.id,
                 **{**terms, "contract_start": terms["contract_start"].isoformat()})
    return employment


# --- an administrator terminates the consent flow (app/handlers/terminations.py) -------

AWAITING_FLOW = ("pending_consent", "pending_registration")


def withdraw(employment_id: int, actor, reason: str) -> Employment | None:
    """A request still awaiting consent or 聘用登记 is withdrawn: the person is free to be
    hired again, here or elsewhere. A hire that has moved on (active, declined, expired)
    is left as it is — an active employment ends through a separation, not by stopping
    the flow that hired the person."""
    employment = db.session.get(Employment, employment_id)
    if employment is None or employment.status not in AWAITING_FLOW:
        log.info("employment %s not awaiting its hire flow at termination; left as it is", employment_id)
        return employment
    employment.status, employment.ended_at = "withdrawn", utcnow()
    employment.end_reason = (reason or "").strip()[:255] or None
    audit.record(actor, "employment.withdraw", "employment", employment.id, reason=reason,
                 person_id=employment.person_id, enterprise_id=employment.enterprise_id)
    return employment


# --- reading ---------------------------------------------------------------------------

def employment_for(user, employment_id: int) -> Employment:
    """The employment if the user may see it (the person, the employer's legal rep /
    HR); absent and hidden are the same NotFound."""
    employment = db.session.get(Employment, employment_id)
    if employment is None or not access.may(user, "employment.view", employment):
        raise NotFound(NOT_VISIBLE)
    return employment


def list_employees(enterprise, status: str | None = None, name: str | None = None):
    """A select() of the enterprise's employments, newest request first."""
    query = (select(Employment).join(Person, Employment.person_id == Person.id)
             .where(Employment.enterprise_id == enterprise.id)
             .options(selectinload(Employment.person))
             .order_by(Employment.requested_at.desc(), Employment.id.desc()))
    if status:
        query = query.where(Employment.status == status)
    if name:
        query = query.where(Person.name.contains(name, autoescape=True))
    return query


def status_counts(enterprise) -> dict[str, int]:
    """How many of the enterprise's employments are in each status (for the list's pills)."""
    rows = db.session.execute(select(Employment.status, func.count()).where(
        Employment.enterprise_id == enterprise.id).group_by(Employment.status))
    return dict(rows.all())


def open_task(employment, task_key: str) -> HumanTask | None:
    """The flow's open task of that key for this employment (e.g. employment_registration)."""
    if employment.process_instance_id is None:
        return None
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == employment.process_instance_id,
                                                     HumanTask.task_key == task_key,
                                                     HumanTask.status == "open").limit(1))


def history(employment) -> list:
    """The consent flow's steps, oldest first (app/workflow/history.py)."""
    instance = db.session.get(ProcessInstance, employment.process_instance_id) \
        if employment.process_instance_id is not None else None
    return workflow_history.of(instance) if instance is not None else []
