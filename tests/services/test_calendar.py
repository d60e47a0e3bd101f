"""The holiday table: where a year comes from, what one due date costs in queries, and
that a year entered by another process is counted with at once."""
import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.extensions import db
from app.forms.calendar import parse_days
from app.models import AuditEntry, CalendarDay, CalendarYear, User
from app.services import calendar, holidays
from app.services.errors import Conflict
from tests.support.people import registration

HOLIDAYS_2027 = parse_days("2027-01-01~2027-01-03 2027-02-06~2027-02-14")
WORKDAYS_2027 = [date(2027, 2, 20)]


@pytest.fixture
def queries(app):
    """The SQL statements run while the test reads it."""
    seen = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    yield seen
    event.remove(db.engine, "before_cursor_execute", count)


def test_sources_package_then_estimate_then_what_the_administrator_entered(app, world):
    assert calendar.schedule_for(2026).source == calendar.PACKAGE
    assert calendar.schedule_for(2027).is_estimate
    admin = world.admin()
    holidays.enter_year(admin, 2027, HOLIDAYS_2027, WORKDAYS_2027)
    db.session.commit()
    entered = calendar.schedule_for(2027)
    assert entered.source == calendar.ADMINISTRATOR and entered.entered_by == admin.name
    assert entered.holidays == frozenset(HOLIDAYS_2027) and entered.workdays == frozenset(WORKDAYS_2027)
    assert db.session.scalar(select(func.count()).select_from(CalendarDay)) == len(HOLIDAYS_2027) + 1


def test_an_entry_overrides_the_package_for_its_year(app, world):
    # Suppose the package had National Day wrong: the administrator's entry wins.
    holidays.enter_year(world.admin(), 2026, parse_days("2026-10-01~2026-10-08"), [])
    db.session.commit()
    assert calendar.is_working_day(date(2026, 10, 10)) is False  # no longer a make-up day
    assert calendar.is_working_day(date(2026, 10, 8)) is False
    assert calendar.add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 9)


def test_a_due_date_costs_one_query_per_year_not_one_per_day(app, queries):
    db.session.commit()  # a fresh transaction
    queries.clear()
    assert calendar.add_working_days(date(2026, 12, 15), 15) == date(2027, 1, 5)
    assert len(queries) == 2  # 2026 and 2027, each looked up once
    calendar.add_working_days(date(2026, 12, 1), 40)
    calendar.is_estimate(date(2027, 1, 5), since=date(2026, 12, 15))
    assert len(queries) == 2  # the rest of the transaction counts with what it loaded


def test_a_year_entered_by_another_process_counts_from_the_next_transaction(app, world):
    admin = world.admin()
    assert calendar.add_working_days(date(2026, 12, 15), 15) == date(2027, 1, 5)
    db.session.commit()
    other = Session(db.engine)  # as another server process would, on its own connection
    try:
        holidays_2027 = frozenset(HOLIDAYS_2027)
        other.add(CalendarYear(year=2027, entered_at=datetime.now(timezone.utc), entered_by_id=admin.id))
        other.flush()
        other.add_all(CalendarDay(day=d, year=2027, kind="holiday") for d in holidays_2027)
        other.commit()
    finally:
        other.close()
    assert calendar.add_working_days(date(2026, 12, 15), 15) == date(2027, 1, 6)
    assert not calendar.is_estimate(date(2027, 1, 6))


def submitted(person, status, at, expected_by):
    row = registration(person, status)
    row.submitted_at, row.expected_by = at, expected_by
    return row


def test_entering_a_year_moves_pending_registrations_through_it_and_audits(app, world):
    admin = world.admin()
    moved_one, kept_one, done_one = (world.user().person for _ in range(3))
    december = submitted(moved_one, "submitted", datetime(2026, 12, 15, 2, 0, tzinfo=timezone.utc), date(2027, 1, 5))
    october = submitted(kept_one, "submitted", datetime(2026, 9, 28, 2, 0, tzinfo=timezone.utc), date(2026, 10, 23))
    verified = submitted(done_one, "verified", december.submitted_at, date(2027, 1, 5))
    db.session.commit()
    assert holidays.enter_year(admin, 2027, HOLIDAYS_2027, WORKDAYS_2027) == 1
    db.session.commit()
    db.session.refresh(december), db.session.refresh(october), db.session.refresh(verified)
    assert december.expected_by == date(2027, 1, 6) and october.expected_by == date(2026, 10, 23)
    assert verified.expected_by == date(2027, 1, 5)  # decided already: left as it was
    entries = {e.action: e for e in db.session.scalars(select(AuditEntry))}
    assert entries["registration.reschedule"].details == {"year": 2027, "previous": "2027-01-05",
                                                          "expected_by": "2027-01-06"}
    entered = entries["calendar.enter_year"]
    assert entered.actor_id == admin.id and entered.record_id == "2027"
    assert entered.details["rescheduled"] == 1 and entered.details["previous_source"] == "estimate"
    assert entered.details["workdays"] == ["2027-02-20"] and "2027-02-14" in entered.details["holidays"]


def test_replacing_a_year_leaves_only_the_new_dates(app, world):
    admin = world.admin()
    holidays.enter_year(admin, 2027, HOLIDAYS_2027, WORKDAYS_2027)
    db.session.commit()
    holidays.enter_year(admin, 2027, parse_days("2027-01-01 2027-02-05~2027-02-11"), [])
    db.session.commit()
    assert sorted(db.session.scalars(select(CalendarDay.day).where(CalendarDay.kind == "holiday"))) == \
        parse_days("2027-01-01 2027-02-05~2027-02-11")
    assert db.session.scalar(select(func.count()).select_from(CalendarDay).where(CalendarDay.kind == "workday")) == 0
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 1


def test_the_reminder_from_1_november_while_next_year_is_missing(app, world):
    assert holidays.year_to_remind(date(2026, 10, 31)) is None
    assert holidays.year_to_remind(date(2026, 11, 1)) == 2027
    assert holidays.year_to_remind(date(2027, 3, 1)) == 2027  # this year missing: always
    holidays.enter_year(world.admin(), 2027, HOLIDAYS_2027, WORKDAYS_2027)
    db.session.commit()
    assert holidays.year_to_remind(date(2026, 12, 31)) is None
    assert holidays.year_to_remind(date(2027, 10, 31)) is None
    assert holidays.year_to_remind(date(2027, 11, 1)) == 2028


def _enter_in_another_session(app, user_id, holiday_days, outcome):
    """An administrator's request in its own app context (its own session and connection)."""
    with app.app_context():
        try:
            holidays.enter_year(db.session.get(User, user_id), 2027, holiday_days, [])
            db.session.commit()
            outcome.append("ok")
        except Conflict:
            outcome.append("conflict")
        finally:
            db.session.remove()


def test_two_administrators_entering_one_year_at_once_queue_up(app, world):
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        pytest.skip("concurrent writers: the PostgreSQL leg runs this")
    first, second = world.admin(), world.admin()
    for attempt, expected in (("new year", ["conflict"]), ("entered year", ["ok"])):
        holidays.enter_year(first, 2027, HOLIDAYS_2027, WORKDAYS_2027)  # not committed yet: holds the year
        outcome = []
        other = threading.Thread(target=_enter_in_another_session,
                                 args=(app, second.id, parse_days("2027-01-01 2027-02-05~2027-02-11"), outcome))
        other.start()
        other.join(timeout=1)
        assert other.is_alive(), f"{attempt}: the second entry must wait for the first"
        db.session.commit()
        other.join(timeout=30)
        assert outcome == expected, attempt
    # The second administrator's entry came last and is the one that counts, whole.
    assert sorted(db.session.scalars(select(CalendarDay.day))) == parse_days("2027-01-01 2027-02-05~2027-02-11")
    assert db.session.scalar(select(CalendarYear.entered_by_id)) == second.id
