"""Story time: a fixed moment in the real future, moved only forward.

Session cookies are signed with a timestamp and refused when they look as if they come
from the future, so a story starts after the real now and travels forward from there.
"""
import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH_END = "month_end"


def story_start(now: datetime | None = None) -> datetime:
    """09:00 Shanghai tomorrow — or on the next day that is not a 30th or 31st, so a
    settlement day (1–28, or month end) can make the pay period begin that very day."""
    day = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).date() + timedelta(days=1)
    while day.day > 29:
        day += timedelta(days=1)
    return at(day, 9)


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


@dataclass(frozen=True)
class PayPlan:
    """The settlement day that starts a pay period on `first`, its pay month and period."""

    settlement_day: str  # "1".."28" or "month_end", as the page's select posts it
    label: str  # as the page shows it
    pay_month: str  # YYYY-MM
    first: date
    last: date


def pay_plan(first: date) -> PayPlan:
    """With day D, pay month M runs from D+1 of M−1 to D of M: D = first.day − 1 starts
    the period on `first`; on the 1st of a month, 月末 does."""
    if first.day == 1:
        last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
        return PayPlan(MONTH_END, "月末", f"{first:%Y-%m}", first, last)
    d = first.day - 1
    month_after = (first.replace(day=1) + timedelta(days=32)).replace(day=1)
    return PayPlan(str(d), f"每月{d}日", f"{month_after:%Y-%m}", first, month_after.replace(day=d))
