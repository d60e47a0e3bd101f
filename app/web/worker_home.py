"""The worker's half of the home page (实名制首页 / 个人服务): built from the person's own
registration, employments and allocation — never from role grants, which a worker has
none of. home.py asks `for_user`; the partial worker/_home.html shows it."""
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Employment, SignIn
from app.models.allocation import OPEN_ALLOCATION
from app.models.employment import OPEN_STATUSES
from app.services import calendar, employment as employment_service, registration as registrations
from app.services import notices
from app.services.idcard import mask_id_number

from app.web.helpers import trade_name
from app.web.employment_labels import STATUS_BADGES, STATUS_LABELS

# The worker's words for an allocation (DOMAIN §3–4): awaiting either level, confirmed, entered.
ALLOCATION_LABELS = {"pending_level1": _l("待确认"), "pending_gc": _l("待确认"), "confirmed": _l("已确认"),
                     "on_site": _l("已进场")}
ALLOCATION_BADGES = {"pending_level1": "text-bg-warning", "pending_gc": "text-bg-warning",
                     "confirmed": "text-bg-info", "on_site": "text-bg-success"}
HIRE_PENDING = ("pending_consent", "pending_registration")


def _open_employments(person_id: int) -> list[Employment]:
    return list(db.session.scalars(select(Employment).where(
        Employment.person_id == person_id, Employment.status.in_(OPEN_STATUSES)).order_by(Employment.id)))


def is_worker(user) -> bool:
    """Whether the home shows the worker's side: a person who is not staff, or who is
    (or is being hired as) a 建筑工人 — a 管理人员 with grants keeps the staff home."""
    person = user.person
    if person is None:
        return False
    if not user.grants:
        return True
    return any(e.identity == "worker" or e.status in HIRE_PENDING for e in _open_employments(person.id))


def _registration(person) -> dict | None:
    """The first step until verified: its status, the expected date or the reason."""
    if person.id_number:
        return None
    latest = registrations.current_registration(person)
    if latest is None:
        return {"status": "none"}
    if latest.status == "verified":
        return None
    return {"status": latest.status, "expected_by": latest.expected_by, "reason": latest.reason or "",
            "estimate": latest.status == "submitted" and registrations.expected_by_is_estimate(latest)}


def _employer(e: Employment) -> dict:
    consent = employment_service.open_task(e, "worker_consent") if e.status == "pending_consent" else None
    return {"enterprise": e.enterprise.name, "status": e.status, "status_label": STATUS_LABELS.get(e.status, e.status),
            "badge": STATUS_BADGES.get(e.status, "text-bg-secondary"),
            "job_type": trade_name(e.job_type) if e.job_type else "", "consent_task_id": consent.id if consent else None}


def pending_hire(person) -> dict | None:
    """A hire request awaiting the person's consent or the enterprise's 聘用登记, for 【聘用信息】."""
    e = db.session.scalar(select(Employment).where(
        Employment.person_id == person.id, Employment.status.in_(HIRE_PENDING)).limit(1))
    return None if e is None else {**_employer(e), "requested_at": e.requested_at}


def _project(person_id: int) -> dict | None:
    allocation = db.session.scalar(select(Allocation).where(
        Allocation.person_id == person_id, Allocation.status.in_(OPEN_ALLOCATION)).limit(1))
    if allocation is None:
        return None
    return {"name": allocation.project.name, "status": allocation.status,
            "status_label": ALLOCATION_LABELS[allocation.status], "badge": ALLOCATION_BADGES[allocation.status]}


def _signed_today(person_id: int) -> bool:
    return db.session.scalar(select(SignIn.id).where(
        SignIn.person_id == person_id, SignIn.work_date == calendar.today_in_shanghai()).limit(1)) is not None


def for_user(user) -> dict | None:
    """What the worker home shows this user, or None when it is not theirs to see."""
    if not is_worker(user):
        return None
    person = user.person
    return {"name": person.name, "id_number": mask_id_number(person.id_number) if person.id_number else "",
            "registration": _registration(person),
            "employers": [_employer(e) for e in _open_employments(person.id)],
            "project": _project(person.id), "signed_today": _signed_today(person.id),
            "unread": notices.unread_count(person.id)}
