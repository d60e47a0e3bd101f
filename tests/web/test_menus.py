"""The navigation bar by who you are (issue 19 item 7): a worker sees the worker's
entries and no staff ones, staff see theirs and no 个人建设码, and a 班前签到员 chooses
选择身份 → 【班前签到员】 · the project → the project's 【班前签到】 scanner."""
import re

import pytest

from app.extensions import db
from app.services import accounts, roles
from tests.support.factories import log_in
from tests.support.site import officer
from tests.support.staffing import staffing

WORKER_ITEMS = ("个人建设码", "班前签到", "工资条", "聘用信息")
STAFF_ITEMS = ("企业聘用管理", "项目人员管理", "审计日志", "账号与角色")


@pytest.fixture
def s(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=2)


def nav_labels(app, user) -> list[str]:
    browser = app.test_client()
    log_in(browser, user)
    html = browser.get("/").get_data(as_text=True)
    bar = re.search(r'<ul class="navbar-nav me-auto">(.*?)</ul>', html, re.S).group(1)
    return [re.sub(r"\s+", " ", label).strip() for label in re.findall(r"<a [^>]*>(.*?)</a>", bar, re.S)]


def test_a_pure_worker_has_the_workers_menu_and_no_staff_items(app, s):
    labels = nav_labels(app, s.gc.workers[0].user)
    assert labels == ["首页", "聘用信息", "个人建设码", "班前签到", "工资条", "个人信息登记"]
    assert not set(labels) & set(STAFF_ITEMS)


def test_a_newcomer_without_employment_still_reaches_registration(app, world):
    newcomer = accounts.sign_up("newcomer1", "secret123", "新人", "13900000001")
    db.session.commit()
    assert "个人信息登记" in nav_labels(app, newcomer)


def test_staff_see_staff_items_only(app, s, world):
    hr = nav_labels(app, s.gc.hr)
    assert hr == ["首页", "企业聘用管理", "项目人员管理", "聘用登记", "工资支付表推送银行"]  # manuals 000, 004
    pm = nav_labels(app, s.gc.pm)  # a 管理人员 employed and designated PM: staff, not a worker
    assert "项目人员管理" in pm and not set(pm) & set(WORKER_ITEMS)
    admin = nav_labels(app, world.admin())
    assert {"账号与角色", "审计日志", "流程监控"} <= set(admin) and not set(admin) & set(WORKER_ITEMS)
    assert len(admin) == len(set(admin))  # 流程建模 once, though both admin and analyst offer it


def test_the_inbox_is_called_as_the_manual_calls_it(app, s, world):
    for user in (s.gc.hr, s.gc.pm, s.gc.workers[0].user):
        browser = app.test_client()
        log_in(browser, user)
        link = re.search(r'data-testid="inbox-link">(.*?)</a>', browser.get("/").get_data(as_text=True), re.S)
        assert link.group(1).strip().startswith("消息通知")
    admin = app.test_client()
    log_in(admin, world.admin())
    assert "待办事项" in admin.get("/").get_data(as_text=True)


def test_an_officer_chooses_the_identity_and_reaches_the_projects_signin(app, s):
    clerk = officer(s, s.gc.workers[0])
    labels = nav_labels(app, clerk.user)
    assert "选择身份" in labels and "个人建设码" in labels  # a worker who is also an officer
    browser = app.test_client()
    log_in(browser, clerk.user)
    html = browser.get("/me/identities").get_data(as_text=True)
    choice = re.search(r'<a [^>]*data-testid="identity-signin_officer">(.*?)</a>', html, re.S)
    assert choice and "班前签到员" in choice.group(1) and s.project.name in choice.group(1)
    href = re.search(r'href="([^"]+)"\s+data-testid="identity-signin_officer"', html).group(1)
    assert href == f"/projects/{s.project.id}/site/scan?purpose=signin"
    scanner = browser.get(href)
    assert scanner.status_code == 200 and "班前签到" in scanner.get_data(as_text=True)
    assert 'data-testid="identity-worker"' in html  # the worker's own identity beside it


def test_identities_list_only_ones_own_grants(app, s, world):
    other = staffing(world, workers=1)
    clerk = officer(s, s.gc.workers[0])
    browser = app.test_client()
    log_in(browser, clerk.user)
    html = browser.get("/me/identities").get_data(as_text=True)
    assert other.project.name not in html and other.gc.enterprise.name not in html
    hr = app.test_client()
    log_in(hr, s.gc.hr)
    page = hr.get("/me/identities").get_data(as_text=True)
    assert "人事聘用管理员" in page and s.gc.enterprise.name in page and "班前签到员" not in page
    roles.grant(s.gc.hr, roles.ANALYST)
    db.session.commit()
    assert 'data-testid="identity-analyst"' in hr.get("/me/identities").get_data(as_text=True)


def test_the_menus_hire_registration_and_acceptance_lead_to_the_users_own_enterprise_and_project(app, s, world):
    hr = app.test_client()
    log_in(hr, s.gc.hr)
    answer = hr.get("/hire-registration")
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/enterprises/{s.gc.enterprise.id}/hire-registration/")
    pm = app.test_client()
    log_in(pm, s.sub.pm)
    assert "项目人员接收" in nav_labels(app, s.sub.pm)
    answer = pm.get("/project-acceptance")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(f"/projects/{s.project.id}/site/receive/")
    stranger = app.test_client()
    log_in(stranger, world.user("no_roles"))  # no enterprise, no project: the lists, which show nothing of others
    assert stranger.get("/hire-registration").headers["Location"].endswith("/enterprises/")
    assert stranger.get("/project-acceptance").headers["Location"].endswith("/projects/")
