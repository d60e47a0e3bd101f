"""实名制首页 for a worker: built from the person's employments and allocation, not from
role grants — employer and status, the project and its allocation status, the shortcuts
of the manual, 个人信息登记 first until verified, 去确认 for a pending hire."""
import re

import pytest

from app.extensions import db
from app.services import employment as employment_service, notices, roles
from tests.support.factories import log_in
from tests.support.people import registration
from tests.support.site import confirmed
from tests.support.staffing import employee, staffing


@pytest.fixture
def s(world, client):  # `client` installs the isolating client class signed_in() uses
    return staffing(world, workers=2)


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def home(app, user) -> str:
    return signed_in(app, user).get("/").get_data(as_text=True)


def test_an_employed_worker_on_site_sees_employer_project_and_shortcuts(app, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker, status="on_site")
    html = home(app, worker.user)
    assert "您尚未在任何企业任职" not in html and "我的项目" not in html
    employer = re.search(r'data-testid="employer">.*?</div>', html, re.S).group(0)
    assert s.gc.enterprise.name in employer and "在职" in employer
    project = re.search(r'data-testid="project">.*?</div>', html, re.S).group(0)
    assert s.project.name in project and "已进场" in project
    assert "个人从业信息" in html and 'href="/me/code"' in html and 'aria-label="个人建设码"' in html
    for label, href in (("班前签到", "/me/signin"), ("扫码考勤", "/me/attendance"), ("工资条", "/me/wages"),
                        ("聘用信息", "/me/employment"), ("消息通知", "/me/notices")):
        assert re.search(rf'href="{re.escape(href)}"[^>]*>{label}', html), label
    assert "第一步：个人信息登记" not in html  # verified: no registration step
    assert worker.id_number not in html  # masked
    assert worker.id_number[:4] in html


def test_allocation_statuses_in_the_workers_words(app, s):
    worker = s.gc.workers[0]
    confirmed(s.project, worker, status="pending_gc")
    assert re.search(r'data-testid="project-status">待确认<', home(app, worker.user))
    s2 = s.gc.workers[1]
    confirmed(s.project, s2, status="confirmed")
    assert re.search(r'data-testid="project-status">已确认<', home(app, s2.user))


def test_unread_notices_are_counted_on_the_shortcut(app, s):
    worker = s.gc.workers[0]
    notices.notify(worker.id, "registration_verified")
    notices.notify(worker.id, "registration_verified")
    db.session.commit()
    browser = signed_in(app, worker.user)
    assert re.search(r'data-testid="unread-count">2<', browser.get("/").get_data(as_text=True))
    browser.get("/me/notices")
    assert 'data-testid="unread-count"' not in browser.get("/").get_data(as_text=True)


def test_registration_is_the_first_step_until_verified(app, world, client):
    fresh = world.user()
    html = home(app, fresh)
    assert "第一步：个人信息登记" in html and "未登记" in html and 'href="/me/registration"' in html
    registration(fresh.person, "submitted")
    db.session.commit()
    html = home(app, fresh)
    assert re.search(r'data-testid="registration-status">待处理<', html) and 'data-testid="expected-by"' in html
    other = world.user()
    registration(other.person, "rejected")
    db.session.commit()
    html = home(app, other)
    assert re.search(r'data-testid="registration-status">已退回<', html) and "身份证图片不清晰" in html


def test_a_pending_hire_shows_go_confirm_linking_to_the_consent_task(app, s, world):
    person = employee(world, s.gc.enterprise, status="ended")
    employment_service.request_hire(s.gc.hr, s.gc.enterprise, person.name, person.id_number)
    db.session.commit()
    browser = signed_in(app, person.user)
    html = browser.get("/").get_data(as_text=True)
    assert "待本人确认" in html
    task_href = re.search(r'href="(/inbox/\d+)"[^>]*data-testid="hire-consent">去确认<', html).group(1)
    assert browser.get(task_href).status_code == 200
    page = browser.get("/me/employment").get_data(as_text=True)
    assert s.gc.enterprise.name in page and f'href="{task_href}"' in page and "去确认" in page


def test_staff_keep_the_staff_home_and_a_worker_who_is_staff_sees_both(app, s, world):
    html = home(app, s.gc.hr)  # HR: a person with no employment as a worker
    assert 'data-testid="staff-home"' in html and 'data-testid="worker-home"' not in html
    html = home(app, s.gc.pm)  # the PM: a 管理人员 with grants
    assert 'data-testid="staff-home"' in html and 'data-testid="worker-home"' not in html
    both = s.gc.workers[0]
    roles.grant(both.user, roles.SITE_OPERATOR, enterprise_id=s.gc.enterprise.id, project_id=s.project.id)
    db.session.commit()
    html = home(app, both.user)
    assert 'data-testid="staff-home"' in html and 'data-testid="worker-home"' in html
