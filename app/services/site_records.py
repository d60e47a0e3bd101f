"""Daily lists of a project's entries, attendance and sign-ins, and their CSV export.

Who sees what: the GC's legal rep / HR, PM and site operators, the project's sign-in
officers and administrators see everyone on the project; a subcontractor's legal rep /
HR, PM or site operator sees only that subcontractor's people; anyone else, nobody.
"""
import csv
import io
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.models import Allocation, Attendance, Person, SignIn
from app.services import roles
from app.services.idcard import SHANGHAI, mask_id_number

EVERYONE = None


def scope(user, project) -> set[int] | None:
    """EVERYONE (None) or the set of employer ids whose people the user may list."""
    gc = project.gc_enterprise_id
    if roles.has_role(user, roles.ADMIN) or roles.has_role(user, roles.SIGNIN_OFFICER, project_id=project.id):
        return EVERYONE
    participants = {p.enterprise_id for p in project.participants}
    mine = {g.enterprise_id for g in user.grants
            if (g.role in roles.ENTERPRISE_ROLES and g.project_id is None)
            or (g.role in (roles.PROJECT_MANAGER, roles.SITE_OPERATOR) and g.project_id == project.id)}
    mine &= participants
    return EVERYONE if gc in mine else mine


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI).astimezone(timezone.utc)
    return start, start + timedelta(days=1)


def _limit(query, column, who):
    return query if who is EVERYONE else query.where(column.in_(sorted(who) or [-1]))


def entries_on(project, day: date, who=EVERYONE) -> list[Allocation]:
    start, end = _day_bounds(day)
    query = (select(Allocation).where(Allocation.project_id == project.id, Allocation.entered_at >= start,
                                      Allocation.entered_at < end)
             .options(selectinload(Allocation.person), selectinload(Allocation.enterprise))
             .order_by(Allocation.entered_at, Allocation.id))
    return list(db.session.scalars(_limit(query, Allocation.enterprise_id, who)))


def exits_on(project, day: date, who=EVERYONE) -> list[Allocation]:
    start, end = _day_bounds(day)
    query = (select(Allocation).where(Allocation.project_id == project.id, Allocation.exited_at >= start,
                                      Allocation.exited_at < end)
             .options(selectinload(Allocation.person), selectinload(Allocation.enterprise))
             .order_by(Allocation.exited_at, Allocation.id))
    return list(db.session.scalars(_limit(query, Allocation.enterprise_id, who)))


def attendance_on(project, day: date, who=EVERYONE) -> list[Attendance]:
    query = (select(Attendance).where(Attendance.project_id == project.id, Attendance.work_date == day)
             .options(selectinload(Attendance.person)).order_by(Attendance.at, Attendance.id))
    return list(db.session.scalars(_limit(query, Attendance.enterprise_id, who)))


def signins_on(project, day: date, who=EVERYONE) -> list[SignIn]:
    query = (select(SignIn).where(SignIn.project_id == project.id, SignIn.work_date == day)
             .options(selectinload(SignIn.person), selectinload(SignIn.officer))
             .order_by(SignIn.signed_at, SignIn.id))
    return list(db.session.scalars(_limit(query, SignIn.enterprise_id, who)))


def local(at: datetime | None) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") if at else ""


def _masked(person: Person) -> str:
    return mask_id_number(person.id_number) if person.id_number else ""


KIND_LABELS = {"clock_in": "上班打卡", "clock_out": "下班打卡"}
METHOD_LABELS = {"scan": "现场扫码", "site_code": "扫工地建设码",
                 "officer_scan": "签到员扫码", "worker_scan": "工人扫签到员码"}


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _SafeWriter:
    """A csv.writer whose text cells cannot start a spreadsheet formula: a name typed as
    =HYPERLINK(...) would run when the export is opened in Excel (CSV injection), so such
    a cell is prefixed with an apostrophe, which spreadsheets show as text."""

    def __init__(self, out):
        self._writer = csv.writer(out)

    def writerow(self, row):
        self._writer.writerow(["'" + c if isinstance(c, str) and c.startswith(FORMULA_START) else c for c in row])


def csv_of(kind: str, project, day: date, who=EVERYONE) -> str:
    """One day's list as CSV (UTF-8 with BOM so that Excel shows the Chinese); ID
    numbers masked as everywhere else."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = _SafeWriter(out)
    if kind == "entries":
        writer.writerow(["姓名", "证件号码", "单位", "进场时间", "状态"])
        for a in entries_on(project, day, who):
            writer.writerow([a.person.name, _masked(a.person), a.enterprise.name, local(a.entered_at), a.status])
    elif kind == "attendance":
        writer.writerow(["姓名", "证件号码", "类型", "方式", "时间"])
        for r in attendance_on(project, day, who):
            writer.writerow([r.person.name, _masked(r.person), KIND_LABELS.get(r.kind, r.kind),
                             METHOD_LABELS.get(r.method, r.method), local(r.at)])
    elif kind == "signins":
        writer.writerow(["姓名", "证件号码", "签到时间", "方式", "签到员", "距签到点(米)"])
        for s in signins_on(project, day, who):
            writer.writerow([s.person.name, _masked(s.person), local(s.signed_at), METHOD_LABELS.get(s.method, s.method),
                             s.officer.name, "" if s.distance_m is None else s.distance_m])
    else:
        raise ValueError(kind)
    return out.getvalue()
