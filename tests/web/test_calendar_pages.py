"""【节假日安排】 for the administrator, and the reminder on the home page from 1 November."""
import re
from datetime import date, datetime, timezone

import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, CalendarDay, CalendarYear
from tests.support.factories import csrf_from, log_in, submit

PAGE = "/admin/calendar/2027"
NEW_YEAR_AND_SPRING = {"holidays": "2027-01-01~2027-01-03\n2027-02-06 ~ 2027-02-14", "workdays": "2027-02-20"}


def confirm_key(html: str) -> str:
    match = re.search(r'id="confirm" name="confirm" type="hidden" value="([^"]*)"', html)
    assert match, "no confirmation key on the page"
    return match.group(1)


def days(kind: str) -> list[date]:
    return sorted(db.session.scalars(select(CalendarDay.day).where(CalendarDay.kind == kind)))


def test_the_administrator_enters_a_year_then_replaces_it_after_confirming(client, world):
    log_in(client, world.admin())
    overview = client.get("/admin/calendar").get_data(as_text=True)
    assert "节假日安排" in overview and 'data-testid="year-2027"' in overview and "未录入" in overview
    form = client.get(PAGE).get_data(as_text=True)
    assert "放假日期" in form and "调休上班日期" in form and "按周一至周五预计" in form

    saved = submit(client, PAGE, NEW_YEAR_AND_SPRING)  # nothing to replace: saved at once
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/admin/calendar")
    assert "已保存2027年的节假日安排" in client.get("/admin/calendar").get_data(as_text=True)
    assert days("holiday")[0] == date(2027, 1, 1) and len(days("holiday")) == 12
    assert days("workday") == [date(2027, 2, 20)]

    # The page shows the year as runs; changing it asks first and changes nothing yet.
    shown = client.get(PAGE).get_data(as_text=True)
    assert "2027-02-06~2027-02-14" in shown and "管理员录入" in shown
    change = {"holidays": "2027-01-01\n2027-02-05~2027-02-11", "workdays": ""}
    asked = submit(client, PAGE, change)
    html = asked.get_data(as_text=True)
    assert asked.status_code == 200 and 'data-testid="confirm-replace"' in html and "确认替换" in html
    assert "新增放假日期</span>：2027-02-05" in html and "取消放假日期</span>：2027-01-02~2027-01-03、2027-02-12~2027-02-14" in html
    assert "取消调休上班日期</span>：2027-02-20" in html
    assert len(days("holiday")) == 12

    # A confirmation covers exactly what it showed: other dates are asked about again.
    other = client.post(PAGE, data={**change, "holidays": "2027-01-01", "confirm": confirm_key(html),
                                    "csrf_token": csrf_from(html)})
    assert 'data-testid="confirm-replace"' in other.get_data(as_text=True) and len(days("holiday")) == 12
    done = client.post(PAGE, data={**change, "confirm": confirm_key(html), "csrf_token": csrf_from(html)})
    assert done.status_code == 302
    assert days("holiday") == [date(2027, 1, 1)] + [date(2027, 2, d) for d in range(5, 12)] and days("workday") == []
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "calendar.enter_year")) == 2


def test_a_package_year_is_replaced_only_after_confirming(client, world):
    log_in(client, world.admin())
    page = client.get("/admin/calendar/2026").get_data(as_text=True)
    assert "系统内置" in page and "2026-10-01~2026-10-07" in page
    asked = submit(client, "/admin/calendar/2026", {"holidays": "2026-10-01~2026-10-08", "workdays": ""},
                   page="/admin/calendar/2026")
    assert 'data-testid="confirm-replace"' in asked.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_mistakes_are_shown_next_to_the_field_and_nothing_is_saved(client, world):
    log_in(client, world.admin())
    for data, message in (
            ({**NEW_YEAR_AND_SPRING, "workdays": "2027-02-19"}, "调休上班日期应为周六或周日，2027-02-19不是"),
            ({**NEW_YEAR_AND_SPRING, "holidays": "2027-01-01 2028-01-01"}, "2028-01-01不在2027年内"),
            ({**NEW_YEAR_AND_SPRING, "holidays": "2027-1-1 元旦"}, "无法识别的日期：元旦"),
            ({"holidays": "", "workdays": ""}, "请填写放假日期")):
        response = submit(client, PAGE, data)
        html = response.get_data(as_text=True)
        assert response.status_code == 200 and message in html and "invalid-feedback" in html, message
        assert data["holidays"].split("\n")[0] in html  # what was typed stays in the box
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_others_may_not_open_the_calendar(client, world):
    log_in(client, world.user())
    assert client.get("/admin/calendar").status_code == 403
    assert client.get(PAGE).status_code == 403
    html = client.get("/").get_data(as_text=True)
    assert client.post(PAGE, data={**NEW_YEAR_AND_SPRING, "csrf_token": csrf_from(html)}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 0


def test_the_home_page_reminds_the_administrator_from_1_november(client, world):
    admin, worker = world.admin(), world.user()
    other_client = client.application.test_client()
    # 23:59 on 31 October in Shanghai: no reminder yet.
    with time_machine.travel(datetime(2026, 10, 31, 15, 59, tzinfo=timezone.utc), tick=False):
        log_in(client, admin)
        assert 'data-testid="calendar-reminder"' not in client.get("/").get_data(as_text=True)
        log_in(other_client, worker)
    # 00:01 on 1 November: 2027 is missing.
    with time_machine.travel(datetime(2026, 10, 31, 16, 1, tzinfo=timezone.utc), tick=False):
        home = client.get("/").get_data(as_text=True)
        assert 'data-testid="calendar-reminder"' in home and "2027年的放假和调休安排尚未录入" in home
        assert 'href="/admin/calendar/2027"' in home
        # only the administrator is reminded
        assert 'data-testid="calendar-reminder"' not in other_client.get("/").get_data(as_text=True)
        assert submit(client, PAGE, NEW_YEAR_AND_SPRING).status_code == 302
        assert db.session.scalar(select(func.count()).select_from(CalendarYear)) == 1
        assert 'data-testid="calendar-reminder"' not in client.get("/").get_data(as_text=True)
