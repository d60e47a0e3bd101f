"""Working days with China's statutory holidays and make-up working days."""
from datetime import date, datetime, timezone

import chinese_calendar
import pytest
import time_machine

from app.services.calendar import add_working_days, is_estimate, is_working_day, today_in_shanghai


def test_fifteen_working_days_across_national_day_2026():
    # Mon 28 Sep 2026: 29, 30 Sep; 1-7 Oct holiday; 8, 9 Oct; Sat 10 Oct is a make-up
    # working day (调休) and counts; then 12-23 Oct. The 15th is Fri 23 Oct.
    assert chinese_calendar.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5
    assert not chinese_calendar.is_workday(date(2026, 10, 5))  # a Monday inside the holiday
    assert add_working_days(date(2026, 9, 28), 15) == date(2026, 10, 23)
    assert not is_estimate(date(2026, 10, 23))


def test_the_make_up_working_day_is_counted():
    # From Fri 9 Oct, the 1st working day after it is Sat 10 Oct, not Mon 12 Oct.
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    # Sun 20 Sep 2026 is also a make-up working day.
    assert add_working_days(date(2026, 9, 19), 1) == date(2026, 9, 20)


def test_submission_day_does_not_count_and_holidays_are_skipped():
    assert add_working_days(date(2026, 9, 24), 0) == date(2026, 9, 24)
    assert add_working_days(date(2026, 9, 24), 1) == date(2026, 9, 28)  # 25-27 Sep: Mid-autumn
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 9, 24), -1)


def test_beyond_the_package_data_counts_monday_to_friday_and_says_so():
    assert is_estimate(date(2099, 1, 5))
    assert is_working_day(date(2099, 1, 5)) and not is_working_day(date(2099, 1, 3))
    # Thu 24 Dec 2099 + 15 weekdays: 25, 28-31 Dec, 1, 4-8, 11-14 Jan (no holidays known).
    assert add_working_days(date(2099, 12, 24), 15) == date(2100, 1, 14)
    assert is_estimate(add_working_days(date(2099, 12, 24), 15))


def test_crossing_from_known_into_unknown_years():
    last = max(y for y in range(2004, 2101) if not is_estimate(date(y, 1, 1)))
    result = add_working_days(date(last, 12, 20), 15)
    assert result.year == last + 1 and is_estimate(result)


def test_today_is_the_shanghai_calendar_day():
    with time_machine.travel(datetime(2026, 9, 27, 16, 30, tzinfo=timezone.utc), tick=False):
        assert today_in_shanghai() == date(2026, 9, 28)  # 00:30 in Shanghai
    with time_machine.travel(datetime(2026, 9, 27, 15, 30, tzinfo=timezone.utc), tick=False):
        assert today_in_shanghai() == date(2026, 9, 27)
