"""On site (DOMAIN §4): entry by scanning the personal construction code, attendance,
and exit; the scan dispatcher for every purpose of the scanner page and the API.

Entry, attendance and exit belong to the general contractor's side: its PM or site
operators on the project — subcontractors' people are entered by the GC side too.
Pre-shift sign-in (the `signin` purpose) lives in app/services/signin.py.
Callers commit; every function leaves the session unchanged when it raises.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from app.extensions import db
from app.models import Attendance, Project
from app.models.types import utcnow
from app.services import audit, geo, roles, signin
from app.services.construction_code import read_site_code
from app.services.errors import Forbidden, RuleViolation
from app.services.i18n import N_
from app.services.idcard import SHANGHAI
from app.services.project_members import (  # noqa: F401 (callers read these as site.X)
    ACCEPTED, NOT_ON_PROJECT, UNKNOWN_PERSON, Outcome, allocation_on, person_from_code)

PURPOSES = ("entry", "clock_in", "clock_out", "signin")
REPEAT_WINDOW = timedelta(minutes=5)  # a second punch of the same kind within it is the first

NOT_SITE_STAFF = N_("只有施工总包在本项目的项目经理或现场操作用户可以进行进场、考勤和退场操作")
BAD_PURPOSE = N_("请选择扫码用途：确认进场、上班打卡、下班打卡或班前签到")
NOT_CONFIRMED = N_("该人员在本项目的分配尚未确认，不能进场")
NOT_ENTERED = N_("该人员尚未进场，请先【确认进场】")

ENTERED = N_("%(name)s已成功进入%(project)s")
ALREADY_ENTERED = N_("%(name)s已在%(project)s场内，无需重复进场")
CLOCKED_IN = N_("%(name)s上班打卡成功")
CLOCKED_OUT = N_("%(name)s下班打卡成功")
ALREADY_CLOCKED = N_("%(name)s刚刚已打过卡，本次不重复记录")
EXITED = N_("已退场")
ALREADY_EXITED = N_("该人员不在本项目中")
EXIT_NOT_CONFIRMED = N_("该人员的分配尚未确认，无需退场")


@dataclass
class ExitResult:
    person_id: int
    ok: bool
    detail: str | None = None  # a msgid


def is_site_staff(user, project) -> bool:
    """The GC's PM or site operators on this project."""
    gc = project.gc_enterprise_id
    return any(roles.has_role(user, role, enterprise_id=gc, project_id=project.id)
               for role in (roles.PROJECT_MANAGER, roles.SITE_OPERATOR))


def require_site_staff(user, project) -> None:
    if not is_site_staff(user, project):
        raise Forbidden(NOT_SITE_STAFF)


def scan(actor, project, token, purpose: str, lng=None, lat=None, coord_system: str = "wgs84") -> Outcome:
    """The scanner: the actor scanned a personal construction code for `purpose`."""
    if purpose not in PURPOSES:
        raise RuleViolation(BAD_PURPOSE, field="purpose")
    if purpose == "signin":
        return signin.officer_scan(actor, project, token, lng, lat, coord_system)
    require_site_staff(actor, project)
    person = person_from_code(token)
    allocation = allocation_on(person.id, project.id, lock=True)
    if allocation is None:
        raise RuleViolation(NOT_ON_PROJECT, field="token")
    if purpose == "entry":
        return enter(actor, allocation)
    return clock(actor, allocation, purpose, method="scan")


def enter(actor, allocation) -> Outcome:
    """【确认进场】: a confirmed allocation becomes on site."""
    person = allocation.person
    if allocation.status == "on_site":
        return Outcome(person, "already_entered", ALREADY_ENTERED, False, allocation)
    if allocation.status != "confirmed":
        raise RuleViolation(NOT_CONFIRMED, field="token")
    allocation.status, allocation.entered_at, allocation.entered_by_id = "on_site", utcnow(), actor.id
    audit.record(actor, "site.entry", "allocation", allocation.id, person_id=person.id,
                 project_id=allocation.project_id)
    return Outcome(person, "entered", ENTERED, True, allocation)


def _work_date(at: datetime):
    return at.astimezone(SHANGHAI).date()


def clock(actor, allocation, kind: str, method: str, lng=None, lat=None) -> Outcome:
    """【上班打卡】/【下班打卡】; a repeat of the same kind within a few minutes is the first."""
    person = allocation.person
    if allocation.status != "on_site":
        raise RuleViolation(NOT_ENTERED, field="token")
    now = utcnow()
    recent = db.session.scalar(select(Attendance).where(
        Attendance.project_id == allocation.project_id, Attendance.person_id == person.id,
        Attendance.kind == kind, Attendance.at >= now - REPEAT_WINDOW)
        .order_by(Attendance.at.desc()).limit(1))
    if recent is not None:
        return Outcome(person, kind, ALREADY_CLOCKED, False, recent)
    record = Attendance(project_id=allocation.project_id, person_id=person.id, allocation_id=allocation.id,
                        enterprise_id=allocation.enterprise_id, kind=kind, method=method, at=now,
                        work_date=_work_date(now), recorded_by_id=getattr(actor, "id", None), lng=lng, lat=lat)
    db.session.add(record)
    db.session.flush()
    if method == "scan":  # site staff acted on the person's record
        audit.record(actor, f"site.{kind}", "attendance", record.id, person_id=person.id,
                     project_id=allocation.project_id, method=method)
    return Outcome(person, kind, CLOCKED_IN if kind == "clock_in" else CLOCKED_OUT, True, record)


def exit_allocation(allocation, actor, reason: str = "manual") -> None:
    """Closes the allocation (the person is allocatable again) and takes back the project
    roles it gave: PM, site operator, sign-in officer on this project for that employer."""
    allocation.status, allocation.exited_at = "exited", utcnow()
    allocation.exited_by_id, allocation.exit_reason = getattr(actor, "id", None), reason
    user = allocation.person.user
    if user is not None:
        for grant in [g for g in user.grants if (g.enterprise_id, g.project_id)
                      == (allocation.enterprise_id, allocation.project_id)]:
            roles.revoke(user, grant.role, grant.enterprise_id, grant.project_id)
    audit.record(actor, "site.exit", "allocation", allocation.id, person_id=allocation.person_id,
                 project_id=allocation.project_id, reason=reason)


def exit_people(actor, project, person_ids: list[int]) -> list[ExitResult]:
    """【确认退场】 for one or many; each person succeeds or fails on their own."""
    require_site_staff(actor, project)
    results = []
    for person_id in dict.fromkeys(person_ids):
        allocation = allocation_on(person_id, project.id, lock=True)
        if allocation is None:
            results.append(ExitResult(person_id, False, ALREADY_EXITED))
        elif allocation.status not in ACCEPTED:
            results.append(ExitResult(person_id, False, EXIT_NOT_CONFIRMED))
        else:
            exit_allocation(allocation, actor)
            results.append(ExitResult(person_id, True))
    return results


def clock_by_site_code(user, site_token, kind: str, lng, lat, coord_system: str = "wgs84") -> Outcome:
    """The worker scanned the project's 工地建设码 with location on: attendance, if on
    site and inside the project's sign-in range."""
    if kind not in ("clock_in", "clock_out"):
        raise RuleViolation(BAD_PURPOSE, field="kind")
    project = db.session.get(Project, read_site_code(site_token))
    person = user.person
    allocation = allocation_on(person.id, project.id, lock=True) if person is not None and project is not None else None
    if allocation is None:
        raise RuleViolation(NOT_ON_PROJECT, field="site_token")
    signin.require_in_range(project, lng, lat, coord_system)
    w_lng, w_lat = geo.to_wgs84(float(lng), float(lat), coord_system)
    return clock(user, allocation, kind, method="site_code", lng=w_lng, lat=w_lat)
