"""Working days in mainland China: statutory holidays and make-up working days (调休).

The promise to the person is "15 working days", so weekends that are make-up working
days count and weekdays inside a holiday do not. A year's schedule comes from, first
match wins:

1. the administrator's entry (tables calendar_year / calendar_day), made when the State
   Council publishes the year each autumn; it also corrects a year the package has wrong;
2. the chinesecalendar package, for the years its release covers. Read, not copied: the
   tables hold only what someone entered, so an upgrade copies nothing, tests that empty
   the tables still count 2026 correctly, and a newer package brings its years itself;
3. otherwise Monday to Friday, marked as an estimate (预计).

A year's schedule is loaded once per database transaction and dropped when the
transaction ends: a due date costs one query per year it touches, and no server process
keeps counting with a schedule that another process has since replaced.
"""
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import chinese_calendar
from chinese_calendar import constants as package_data
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.models import CalendarDay, CalendarYear, User
from app.models.calendar import HOLIDAY, WORKDAY
from app.services.idcard import SHANGHAI

ADMINISTRATOR, PACKAGE, ESTIMATE = "administrator", "package", "estimate"
_LOADED = "calendar.schedules"  # Session.info key: {year: YearSchedule} of this transaction


@dataclass(frozen=True)
class YearSchedule:
    """One year's days that differ from Monday–Friday, and where they come from."""

    year: int
    source: str  # ADMINISTRATOR | PACKAGE | ESTIMATE
    holidays: frozenset = frozenset()
    workdays: frozenset = frozenset()
    entered_at: datetime | None = None
    entered_by: str | None = None  # the administrator's name

    @property
    def is_estimate(self) -> bool:
        return self.source == ESTIMATE

    def is_working_day(self, d: date) -> bool:
        if d in self.workdays:
            return True
        return d not in self.holidays and d.weekday() < 5


def today_in_shanghai() -> date:
    # From the UTC clock (time-machine moves it); the calendar day is Shanghai's.
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


@lru_cache(maxsize=None)
def package_schedule(year: int) -> YearSchedule | None:
    """The year as the installed chinesecalendar release has it; None beyond its data."""
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return None
    return YearSchedule(year, PACKAGE, frozenset(d for d in package_data.holidays if d.year == year),
                        frozenset(d for d in package_data.workdays if d.year == year))


def _entered(year: int) -> YearSchedule | None:
    rows = db.session.execute(
        select(CalendarYear.entered_at, User.name, CalendarDay.day, CalendarDay.kind)
        .outerjoin(User, User.id == CalendarYear.entered_by_id)
        .outerjoin(CalendarDay, CalendarDay.year == CalendarYear.year)
        .where(CalendarYear.year == year)).all()
    if not rows:
        return None
    return YearSchedule(year, ADMINISTRATOR, frozenset(r.day for r in rows if r.kind == HOLIDAY),
                        frozenset(r.day for r in rows if r.kind == WORKDAY), rows[0].entered_at, rows[0].name)


def schedule_for(year: int) -> YearSchedule:
    """The schedule due dates count with, loaded at most once per transaction."""
    loaded = db.session.info.setdefault(_LOADED, {})
    if year not in loaded:
        loaded[year] = _entered(year) or package_schedule(year) or YearSchedule(year, ESTIMATE)
    return loaded[year]


def forget_loaded_schedules() -> None:
    """After changing a year inside a transaction, so the rest of it counts with the change."""
    db.session.info.pop(_LOADED, None)


@event.listens_for(Session, "after_transaction_end")
def _forget_at_transaction_end(session, _transaction):
    # The next transaction reads the tables again: another process may have entered a year.
    session.info.pop(_LOADED, None)


def is_working_day(d: date, schedule_of=schedule_for) -> bool:
    return schedule_of(d.year).is_working_day(d)


def add_working_days(start: date, n: int, schedule_of=schedule_for) -> date:
    """The n-th working day after start; start itself never counts (n=0 gives start)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if schedule_of(day.year).is_working_day(day):
            n -= 1
    return day


def is_estimate(d: date, since: date | None = None, schedule_of=schedule_for) -> bool:
    """True when counting working days up to d (from `since`, else within d's year) relied
    on a year that nobody has entered and the package does not know."""
    first = min(since, d).year if since else d.year
    return any(schedule_of(year).is_estimate for year in range(first, d.year + 1))
