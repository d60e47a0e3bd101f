"""The worker's own attendance punches and 班前签到 of one month (Shanghai calendar), for
the month selector ‹ 上月 / 下月 › under 扫码考勤. Only ever the signed-in person's rows."""
import re
from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.extensions import db
from app.models import Attendance, Project, SignIn
from app.services.calendar import SHANGHAI, today_in_shanghai

KIND_LABELS = {"clock_in": _l("上班打卡"), "clock_out": _l("下班打卡"), "signin": _l("班前签到")}
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")
EARLIEST = date(2000, 1, 1)


@dataclass(frozen=True)
class Month:
    first: date

    @property
    def key(self) -> str:
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def after(self) -> date:  # the first day of the next month
        y, m = self.first.year, self.first.month
        return date(y + (m == 12), m % 12 + 1, 1)

    @property
    def previous(self) -> "Month | None":
        y, m = self.first.year, self.first.month
        first = date(y - (m == 1), (m - 2) % 12 + 1, 1)
        return Month(first) if first >= EARLIEST else None

    @property
    def next(self) -> "Month | None":
        return Month(self.after) if self.after <= today_in_shanghai() else None


def month_of(text: str | None) -> Month:
    """The month asked for ("YYYY-MM"), or this month when absent, malformed or in the future."""
    this = today_in_shanghai().replace(day=1)
    match = _MONTH.match(text or "")
    if match and 1 <= int(match.group(2)) <= 12:
        first = date(int(match.group(1)), int(match.group(2)), 1)
        if EARLIEST <= first <= this:
            return Month(first)
    return Month(this)


def records(person_id: int, month: Month) -> list[dict]:
    """Punches and sign-ins of the month, newest first: date, time, project, what."""
    in_month = (month.first, month.after)
    punches = db.session.execute(
        select(Attendance.at, Attendance.kind, Project.name).join(Project, Project.id == Attendance.project_id)
        .where(Attendance.person_id == person_id, Attendance.work_date >= in_month[0],
               Attendance.work_date < in_month[1])).all()
    signins = db.session.execute(
        select(SignIn.signed_at, Project.name).join(Project, Project.id == SignIn.project_id)
        .where(SignIn.person_id == person_id, SignIn.work_date >= in_month[0], SignIn.work_date < in_month[1])).all()
    rows = [(at, kind, name) for at, kind, name in punches] + [(at, "signin", name) for at, name in signins]
    rows.sort(key=lambda row: row[0], reverse=True)
    return [{"date": at.astimezone(SHANGHAI).strftime("%Y-%m-%d"), "time": at.astimezone(SHANGHAI).strftime("%H:%M"),
             "project": name, "kind": kind, "label": KIND_LABELS[kind]} for at, kind, name in rows]
