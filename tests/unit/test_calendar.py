"""Working days with China's statutory holidays and make-up working days: the counting
itself, with schedules given directly (the database-backed lookup is tested in
tests/services/test_calendar.py), and the rules for a year the administrator enters."""
from datetime import date, datetime, timezone

import chinese_calendar
import pytest
import time_machine

from app.forms.calendar import as_runs, parse_days
from app.services import holidays
from app.services.calendar import (ESTIMATE, PACKAGE, YearSchedule, add_working_days, is_estimate, is_working_day,
                                   package_schedule, today_in_shanghai)
from app.services.errors import NotFound, RuleViolation


def package_only(year: int) -> YearSchedule:
    """What due dates count with when nobody has entered a year."""
    return package_schedule(year) or YearSchedule(year, ESTIMATE)


def with_2027(year: int) -> YearSchedule:
    """As after the administrator entered an (illustrative) 2027: New Year 1–3 Jan,
    Spring Festival 6–14 Feb with Sat 20 Feb worked."""
    if year == 2027:
        return YearSchedule(2027, "administrator", frozenset(parse_days("2027-01-01~2027-01-03 2027-02-06~2027-02-14")),
                            frozenset([date(2027, 2, 20)]))
    return package_only(year)


def test_the_package_year_is_read_as_it_is():
    schedule = package_schedule(2026)
    assert schedule.source == PACKAGE and not schedule.is_estimate
    assert date(2026, 10, 10) in schedule.workdays and date(2026, 10, 5) in schedule.holidays
    assert len(schedule.holidays) == 33 and len(schedule.workdays) == 6
    assert package_schedule(2027) is None  # the release in use stops at 2026


def test_fifteen_working_days_across_national_day_2026():
    # Mon 28 Sep 2026: 29, 30 Sep; 1-7 Oct holiday; 8, 9 Oct; Sat 10 Oct is a make-up
    # working day (调休) and counts; then 12-23 Oct. The 15th is Fri 23 Oct.
    assert chinese_calendar.is_workday(date(2026, 10, 10)) and date(2026, 10, 10).weekday() == 5
    assert not is_working_day(date(2026, 10, 5), package_only)  # a Monday inside the holiday
    assert add_working_days(date(2026, 9, 28), 15, package_only) == date(2026, 10, 23)
    assert not is_estimate(date(2026, 10, 23), schedule_of=package_only)


def test_the_make_up_working_day_is_counted():
    # From Fri 9 Oct, the 1st working day after it is Sat 10 Oct, not Mon 12 Oct.
    assert add_working_days(date(2026, 10, 9), 1, package_only) == date(2026, 10, 10)
    # Sun 20 Sep 2026 is also a make-up working day.
    assert add_working_days(date(2026, 9, 19), 1, package_only) == date(2026, 9, 20)


def test_submission_day_does_not_count_and_holidays_are_skipped():
    assert add_working_days(date(2026, 9, 24), 0, package_only) == date(2026, 9, 24)
    assert add_working_days(date(2026, 9, 24), 1, package_only) == date(2026, 9, 28)  # 25-27 Sep: Mid-autumn
    assert add_working_days(date(2026, 9, 30), 1, package_only) == date(2026, 10, 8)
    with pytest.raises(ValueError):
        add_working_days(date(2026, 9, 24), -1, package_only)


def test_a_year_nobody_entered_counts_monday_to_friday_and_says_so():
    assert is_estimate(date(2027, 1, 5), schedule_of=package_only)
    assert is_working_day(date(2027, 1, 1), package_only)  # New Year's Day, unknown: counted
    # Tue 15 Dec 2026 + 15: 16-18, 21-25, 28-31 Dec (12), Fri 1, Mon 4, Tue 5 Jan.
    assert add_working_days(date(2026, 12, 15), 15, package_only) == date(2027, 1, 5)


def test_an_entered_year_skips_its_holidays_and_counts_its_make_up_days():
    # The same registration once 2027 is entered: 1 Jan is a holiday, so Wed 6 Jan.
    assert add_working_days(date(2026, 12, 15), 15, with_2027) == date(2027, 1, 6)
    assert not is_estimate(date(2027, 1, 6), since=date(2026, 12, 15), schedule_of=with_2027)
    # Fri 29 Jan 2027 + 15: 1-5 Feb (5), Spring Festival 6-14 Feb, 15-19 Feb (10), Sat 20 Feb (11), 22-25 Feb.
    assert add_working_days(date(2027, 1, 29), 15, with_2027) == date(2027, 2, 25)
    assert add_working_days(date(2027, 1, 29), 15, package_only) == date(2027, 2, 19)  # what the estimate said


def test_an_estimate_anywhere_between_submission_and_due_date_counts():
    def only_2028(year):  # 2028 entered, 2027 not
        return YearSchedule(2028, "administrator", frozenset([date(2028, 1, 3)])) if year == 2028 \
            else package_only(year)
    assert not is_estimate(date(2028, 1, 10), schedule_of=only_2028)
    assert is_estimate(date(2028, 1, 10), since=date(2027, 12, 20), schedule_of=only_2028)


def test_today_is_the_shanghai_calendar_day():
    with time_machine.travel(datetime(2026, 9, 27, 16, 30, tzinfo=timezone.utc), tick=False):
        assert today_in_shanghai() == date(2026, 9, 28)  # 00:30 in Shanghai
    with time_machine.travel(datetime(2026, 9, 27, 15, 30, tzinfo=timezone.utc), tick=False):
        assert today_in_shanghai() == date(2026, 9, 27)


def test_dates_are_read_one_by_one_or_as_runs():
    assert parse_days("2027-01-01~2027-01-03，2027-02-20\n2027-2-6 至 2027-02-07") == [
        date(2027, 1, 1), date(2027, 1, 2), date(2027, 1, 3), date(2027, 2, 20), date(2027, 2, 6), date(2027, 2, 7)]
    assert parse_days("  ") == []
    assert as_runs([date(2027, 1, 3), date(2027, 1, 1), date(2027, 1, 2), date(2027, 2, 20)]) == \
        "2027-01-01~2027-01-03\n2027-02-20"
    for bad, message in (("2027-02-30", "无法识别的日期：2027-02-30"), ("2027/01/01", "无法识别的日期"),
                         ("2027-01-03~2027-01-01", "日期范围不正确"), ("2027-01-01~2027-03-01", "一段最长31天")):
        with pytest.raises(ValueError, match=message):
            parse_days(bad)


HOLIDAYS = parse_days("2027-01-01~2027-01-03 2027-02-06~2027-02-14")


def refused(year, holiday_days, workdays) -> RuleViolation:
    with pytest.raises(RuleViolation) as caught:
        holidays.check_schedule(year, holiday_days, workdays)
    return caught.value


def test_a_sensible_year_is_accepted():
    assert holidays.check_schedule(2027, HOLIDAYS, [date(2027, 2, 20)]) == (
        frozenset(HOLIDAYS), frozenset([date(2027, 2, 20)]))
    assert holidays.check_schedule(2027, HOLIDAYS, []) == (frozenset(HOLIDAYS), frozenset())


def test_each_rule_names_its_field_and_the_date():
    cases = [
        ((2027, [], []), "holidays", holidays.HOLIDAYS_REQUIRED, {}),
        ((2027, HOLIDAYS + [date(2028, 1, 1)], []), "holidays", holidays.NOT_IN_YEAR,
         {"day": "2028-01-01", "year": 2027}),
        ((2027, HOLIDAYS, [date(2026, 12, 26)]), "workdays", holidays.NOT_IN_YEAR, {"day": "2026-12-26", "year": 2027}),
        ((2027, HOLIDAYS + [date(2027, 1, 2)], []), "holidays", holidays.REPEATED, {"day": "2027-01-02"}),
        ((2027, HOLIDAYS, [date(2027, 2, 13)]), "workdays", holidays.BOTH_KINDS, {"day": "2027-02-13"}),
        ((2027, HOLIDAYS, [date(2027, 2, 19)]), "workdays", holidays.WORKDAY_NOT_WEEKEND, {"day": "2027-02-19"}),
        ((2027, [date(2027, 1, 2), date(2027, 1, 3)], []), "holidays", holidays.ONLY_WEEKENDS, {}),
        ((2027, parse_days("2027-01-01~2027-01-31 2027-02-01~2027-03-03"), []), "holidays", holidays.TOO_MANY,
         {"max": 60}),
    ]
    for args, field, message, params in cases:
        error = refused(*args)
        assert (error.field, error.message, error.params) == (field, message, params), args


def test_only_years_of_this_century_are_kept():
    with pytest.raises(NotFound):
        holidays.check_schedule(1999, [date(1999, 1, 1)], [])
    with pytest.raises(NotFound):
        holidays.require_year(2100)
