"""The administrator enters a year's holidays (放假日期) and make-up working days (调休上班日期)
when the State Council publishes them, and is reminded from 1 November while next year is
missing. Entering a year recounts the expected dates of pending registrations that run
through it: they may have been Monday–Friday estimates."""
import hashlib
from datetime import date

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import CalendarDay, CalendarYear
from app.models.calendar import HOLIDAY, WORKDAY
from app.models.types import utcnow
from app.services import audit, calendar, registration
from app.services.errors import Conflict, NotFound, RuleViolation
from app.services.i18n import N_

FIRST_YEAR, LAST_YEAR = 2000, 2099
MAX_DAYS = {"holidays": 60, "workdays": 20}  # 2026: 33 and 6; more is a slip of the keyboard
REMIND_FROM = (11, 1)  # the State Council publishes next year's schedule in the autumn

YEAR_OUT_OF_RANGE = N_("只能查看或录入%(first)d年至%(last)d年的节假日安排")
HOLIDAYS_REQUIRED = N_("请填写放假日期")
TOO_MANY = N_("最多填写%(max)d个日期")
NOT_IN_YEAR = N_("%(day)s不在%(year)d年内")
REPEATED = N_("日期重复：%(day)s")
BOTH_KINDS = N_("%(day)s不能既是放假日期又是调休上班日期")
WORKDAY_NOT_WEEKEND = N_("调休上班日期应为周六或周日，%(day)s不是")
ONLY_WEEKENDS = N_("放假日期全部是周六、周日，不影响工作日，请核对是否漏填")
ENTERED_MEANWHILE = N_("该年度的节假日安排刚被他人修改，请刷新后重试")


def require_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFound(YEAR_OUT_OF_RANGE, first=FIRST_YEAR, last=LAST_YEAR)


def _checked_days(field: str, days, year: int) -> frozenset:
    if len(days) > MAX_DAYS[field]:
        raise RuleViolation(TOO_MANY, field=field, max=MAX_DAYS[field])
    seen = set()
    for day in days:
        if day.year != year:
            raise RuleViolation(NOT_IN_YEAR, field=field, day=day.isoformat(), year=year)
        if day in seen:
            raise RuleViolation(REPEATED, field=field, day=day.isoformat())
        seen.add(day)
    return frozenset(seen)


def check_schedule(year: int, holidays, workdays) -> tuple[frozenset, frozenset]:
    """The two sets, or a RuleViolation naming the field and the first date at fault."""
    require_year(year)
    if not holidays:
        raise RuleViolation(HOLIDAYS_REQUIRED, field="holidays")
    holidays = _checked_days("holidays", holidays, year)
    workdays = _checked_days("workdays", workdays or [], year)
    both = sorted(holidays & workdays)
    if both:
        raise RuleViolation(BOTH_KINDS, field="workdays", day=both[0].isoformat())
    for day in sorted(workdays):
        if day.weekday() < 5:
            raise RuleViolation(WORKDAY_NOT_WEEKEND, field="workdays", day=day.isoformat())
    if all(day.weekday() >= 5 for day in holidays):
        raise RuleViolation(ONLY_WEEKENDS, field="holidays")
    return holidays, workdays


def enter_year(actor, year: int, holidays, workdays) -> int:
    """Replaces the year's schedule, recounts pending registrations and audits it all; the
    caller commits. Returns how many registrations got a new expected date."""
    holidays, workdays = check_schedule(year, holidays, workdays)
    previous = calendar.schedule_for(year)
    entry = db.session.get(CalendarYear, year, with_for_update=True)  # two administrators queue up
    if entry is None:
        entry = CalendarYear(year=year)
        db.session.add(entry)
    entry.entered_at, entry.entered_by_id = utcnow(), actor.id
    try:
        db.session.flush()
        db.session.execute(delete(CalendarDay).where(CalendarDay.year == year))
        db.session.execute(insert(CalendarDay), [{"day": d, "year": year, "kind": HOLIDAY} for d in holidays]
                           + [{"day": d, "year": year, "kind": WORKDAY} for d in workdays])
    except IntegrityError:  # another administrator entered this year for the first time meanwhile
        db.session.rollback()
        raise Conflict(ENTERED_MEANWHILE) from None
    calendar.forget_loaded_schedules()
    moved = registration.reschedule_pending(actor, year)
    audit.record(actor, "calendar.enter_year", "calendar_year", year, previous_source=previous.source,
                 holidays=_iso(holidays), workdays=_iso(workdays), rescheduled=moved)
    return moved


def _iso(days) -> list[str]:
    return [d.isoformat() for d in sorted(days)]


def replacement_key(current: calendar.YearSchedule, holidays, workdays) -> str:
    """Names one replacement of one state of a year: the page's 【确认替换】 carries it, so a
    confirmation never applies to other dates, or after someone else changed the year."""
    parts = [str(current.year), current.source, str(current.entered_at), *_iso(current.holidays), "|",
             *_iso(current.workdays), "|", *_iso(holidays), "|", *_iso(workdays)]
    return hashlib.sha256(" ".join(parts).encode()).hexdigest()[:24]


def year_to_remind(today: date) -> int | None:
    """The year the administrator should enter now: this year whenever it is missing, next
    year from 1 November."""
    if calendar.schedule_for(today.year).is_estimate:
        return today.year
    if (today.month, today.day) >= REMIND_FROM and calendar.schedule_for(today.year + 1).is_estimate:
        return today.year + 1
    return None


def overview(today: date) -> list[calendar.YearSchedule]:
    """Last, this and next year, and every year entered, newest first."""
    entered = db.session.scalars(select(CalendarYear.year)).all()
    years = {today.year - 1, today.year, today.year + 1, *entered}
    return [calendar.schedule_for(year) for year in sorted(years, reverse=True)
            if FIRST_YEAR <= year <= LAST_YEAR]
