"""The worker's own pages of issue 19: 消息通知 (own notices only, newest first, 20 a
page, read once shown), attendance and sign-ins by month with ‹ 上月 / 下月 ›, 今日已签到
on the sign-in page, and the dismissal task's reason, initiator and time."""
import re
from datetime import datetime, timezone

import pytest
import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import Attendance, HumanTask, Notice, SignIn
from app.services import notices, separation as separation_service
from tests.support.factories import log_in
from tests.support.site import confirmed
from tests.support.staffing import staffing

NOW = datetime(2026, 11, 20, 2, 0, tzinfo=timezone.utc)  # 10:00 in Shanghai


@pytest.fixture
def s(world, client):  # `client` installs the isolating client class signed_in() uses
    return staffing(world, workers=2)


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


# --- 消息通知 -------------------------------------------------------------------------------------

def test_notices_are_the_persons_own_newest_first_and_read_once_shown(app, s):
    me, other = s.gc.workers
    notices.notify(me.id, "registration_verified")
    notices.notify(me.id, "wage_failed", project="浦东一期", month="2026-10", amount="6,000.00", reason="账户已冻结")
    notices.notify(other.id, "hire_consent", enterprise="别人的公司")
    db.session.commit()
    browser = signed_in(app, me.user)
    html = browser.get("/me/notices").get_data(as_text=True)
    texts = re.findall(r'data-testid="notice-text">([^<]*)<', html)
    assert texts == ["浦东一期 2026-10 的工资 6,000.00 元发放失败（账户已冻结），请绑定或更正本人银行卡。",
                     "您的个人信息登记已审核通过，现在可以接受企业聘用。"]
    assert "别人的公司" not in html and html.count('data-testid="unread"') == 2
    assert 'href="/me/bank-card"' in html and 'href="/me/registration"' in html
    assert db.session.scalar(select(Notice.read_at).where(Notice.person_id == other.id)) is None
    again = browser.get("/me/notices").get_data(as_text=True)
    assert 'data-testid="unread"' not in again and len(re.findall(r'data-testid="notice-text"', again)) == 2


def test_notices_come_twenty_a_page(app, s):
    me = s.gc.workers[0]
    for _ in range(21):
        notices.notify(me.id, "registration_verified")
    db.session.commit()
    browser = signed_in(app, me.user)
    assert browser.get("/me/notices").get_data(as_text=True).count('data-testid="notice"') == 20
    second = browser.get("/me/notices?page=2").get_data(as_text=True)
    assert second.count('data-testid="notice"') == 1
    assert browser.get("/me/notices?page=abc").status_code == 200
    assert browser.get("/me/notices?page=-5").status_code == 200


def test_staff_without_a_person_have_no_notice_page(app, client):
    from app.services import accounts
    staff = accounts.create_staff_account("operator9", "secret123", "运维")
    db.session.commit()
    assert signed_in(app, staff).get("/me/notices").status_code == 404
    assert client.get("/me/notices").status_code == 302  # to the login page


# --- attendance and sign-ins by month ------------------------------------------------------------

def _punch(allocation, at, kind="clock_in"):
    db.session.add(Attendance(project_id=allocation.project_id, person_id=allocation.person_id,
                              allocation_id=allocation.id, enterprise_id=allocation.enterprise_id, kind=kind,
                              method="site_code", at=at, work_date=at.astimezone(timezone.utc).date()))


def _sign_in(allocation, at, officer_id):
    db.session.add(SignIn(project_id=allocation.project_id, person_id=allocation.person_id,
                          allocation_id=allocation.id, enterprise_id=allocation.enterprise_id,
                          work_date=at.date(), signed_at=at, method="worker_scan", officer_person_id=officer_id))


def test_the_month_selector_lists_that_months_punches_and_signins(app, s):
    me, other = s.gc.workers
    mine = confirmed(s.project, me, status="on_site")
    theirs = confirmed(s.project, other, status="on_site")
    _punch(mine, datetime(2026, 11, 3, 0, 30, tzinfo=timezone.utc))  # 08:30 Shanghai
    _punch(mine, datetime(2026, 11, 3, 9, 45, tzinfo=timezone.utc), "clock_out")  # 17:45
    _sign_in(mine, datetime(2026, 11, 3, 0, 20, tzinfo=timezone.utc), other.id)  # 08:20
    _punch(mine, datetime(2026, 10, 30, 0, 30, tzinfo=timezone.utc))
    _punch(theirs, datetime(2026, 11, 4, 0, 30, tzinfo=timezone.utc))
    db.session.commit()
    with time_machine.travel(NOW, tick=False):
        browser = signed_in(app, me.user)
        html = browser.get("/me/attendance").get_data(as_text=True)
        assert re.search(r'data-testid="month">2026-11<', html)
        rows = re.findall(r'data-testid="record" data-kind="(\w+)">\s*<span><span[^>]*>([\d\- :]+)</span>', html)
        assert rows == [("clock_out", "2026-11-03 17:45"), ("clock_in", "2026-11-03 08:30"),
                        ("signin", "2026-11-03 08:20")]
        assert s.project.name in html and "班前签到" in html and "下班打卡" in html
        assert 'href="/me/attendance?month=2026-10#records"' in html and 'data-testid="next-month"' not in html
        october = browser.get("/me/attendance?month=2026-10").get_data(as_text=True)
        assert october.count('data-testid="record"') == 1 and "2026-10-30 08:30" in october
        assert 'href="/me/attendance?month=2026-11#records"' in october
        for bad in ("2026-13", "abc", "2099-01", "1999-12", "2026-1"):
            page = browser.get(f"/me/attendance?month={bad}")
            assert page.status_code == 200 and 'data-testid="month">2026-11<' in page.get_data(as_text=True), bad
        empty = browser.get("/me/attendance?month=2026-09").get_data(as_text=True)
        assert "本月暂无考勤和签到记录" in empty


# --- 今日已签到 -------------------------------------------------------------------------------------

def test_the_signin_page_says_signed_today_with_time_and_project(app, s):
    me, officer = s.gc.workers
    mine = confirmed(s.project, me)
    with time_machine.travel(NOW, tick=False):
        browser = signed_in(app, me.user)
        html = browser.get("/me/signin").get_data(as_text=True)
        assert re.search(r'data-testid="signed-today"\s+hidden', html)
        _sign_in(mine, datetime(2026, 11, 20, 0, 5, tzinfo=timezone.utc), officer.id)  # 08:05 Shanghai
        db.session.commit()
        html = browser.get("/me/signin").get_data(as_text=True)
    box = re.search(r'data-testid="signed-today"\s*>(.*?)</div>', html, re.S).group(1)
    assert "今日已签到" in box and f"{s.project.name}，08:05 签到" in box
    assert re.search(r'data-testid="location-status"[^>]*\s+hidden>', html)  # the position no longer matters
    assert re.search(r'data-testid="signin-button">已签到<', html)
    assert '"signed_at": "08:05"' in html


# --- the dismissal task -------------------------------------------------------------------------

def test_the_dismissal_task_shows_reason_initiator_and_time(app, s):
    worker = s.gc.workers[0]
    with time_machine.travel(NOW, tick=False):
        [result] = separation_service.dismiss(s.gc.hr, s.gc.enterprise, [worker.id], "工程收尾，岗位撤销")
    assert result.ok
    task = db.session.scalar(select(HumanTask).where(HumanTask.task_key == "worker_consent",
                                                     HumanTask.status == "open"))
    html = signed_in(app, worker.user).get(f"/inbox/{task.id}").get_data(as_text=True)
    assert re.search(r'data-testid="dismissal-reason">工程收尾，岗位撤销<', html)
    initiator = re.search(r'data-testid="dismissal-initiator">(.*?)</dd>', html, re.S).group(1)
    assert s.gc.hr.name in initiator and s.gc.enterprise.name in initiator
    assert re.search(r'data-testid="dismissal-time">2026-11-20 10:00<', html)
    # another worker cannot open it
    assert signed_in(app, s.gc.workers[1].user).get(f"/inbox/{task.id}").status_code == 404
