"""Working days in mainland China: statutory holidays and make-up working days (调休).

The promise to the person is "15 working days", so weekends that are make-up working
days count and weekdays inside a holiday do not. The `chinese_calendar` package knows
the State Council's schedule only up to the year its release covers; beyond that we
count Monday to Friday and say so (`is_estimate`), because the schedule for a future
year is published only in the preceding November.
"""
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache

import chinese_calendar

from app.services.idcard import SHANGHAI


def today_in_shanghai() -> date:
    # From the UTC clock (time-machine moves it); the calendar day is Shanghai's.
    return datetime.now(timezone.utc).astimezone(SHANGHAI).date()


@lru_cache(maxsize=None)
def _covered(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def is_estimate(d: date) -> bool:
    """True when d lies beyond the official schedule the package knows."""
    return not _covered(d.year)


def is_working_day(d: date) -> bool:
    if _covered(d.year):
        return chinese_calendar.is_workday(d)
    return d.weekday() < 5


def add_working_days(start: date, n: int) -> date:
    """The n-th working day after start; start itself never counts (n=0 gives start)."""
    if n < 0:
        raise ValueError("n must not be negative")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day
