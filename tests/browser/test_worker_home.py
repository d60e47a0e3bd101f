"""The worker's first screens on a 390 px phone (issue 19): 实名制首页 from the person's
employment and allocation — employer, project and 已进场, the shortcuts, the unread count —
then 个人从业信息's QR icon opens 个人建设码 whose QR code decodes to this person's token;
班前签到 inside the range says 今日已签到 with time and project as soon as it is done;
消息通知 lists the notice. Each screen also at desk width (1366 px). Screenshots."""
import re

from playwright.sync_api import expect

from app.extensions import db
from app.services import construction_code, geo, notices
from tests.browser.steps.session import Actor, log_in, path_is
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import employee, staffing
from tests.unit.test_construction_code import read_qr

DESK = {"viewport": {"width": 1366, "height": 900}}


def fits(page) -> None:
    """No horizontal scrolling at this width."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), page.url


def test_worker_home_code_and_signin_on_a_phone(world, new_page, shoot):
    site = staffing(world, workers=2)
    worker = employee(world, site.gc.enterprise, name="周杰")
    confirmed(site.project, worker, status="on_site")
    clerk = officer(site)
    set_point(site.project, site.gc.pm)
    notices.notify(worker.id, "registration_verified")
    db.session.commit()
    lng, lat = site_wgs84()

    phone = new_page(phone=True, geolocation=dict(zip(("longitude", "latitude"), geo.offset_point(lng, lat, north_m=80)),
                                                  accuracy=10), permissions=["geolocation"])
    me = Actor(phone, worker.user.username, worker.name)
    log_in(me)
    phone.goto("/")
    home = phone.get_by_test_id("worker-home")
    expect(home).to_be_visible()
    expect(phone.get_by_text("您尚未在任何企业任职")).to_have_count(0)
    expect(home.get_by_test_id("employer-name")).to_have_text(site.gc.enterprise.name)
    expect(home.get_by_test_id("employer-status")).to_have_text("在职")
    expect(home.get_by_test_id("project-name")).to_have_text(site.project.name)
    expect(home.get_by_test_id("project-status")).to_have_text("已进场")
    expect(home.get_by_test_id("unread-count")).to_contain_text("1")
    for label in ("班前签到", "扫码考勤", "工资条", "聘用信息", "消息通知"):
        expect(home.get_by_role("link", name=re.compile(label))).to_be_visible()
    fits(phone)
    shoot(phone, "phone-worker-home")

    # 个人从业信息: the QR icon in the card's corner opens 个人建设码, which names this person.
    home.get_by_test_id("practice-card").get_by_role("link", name="个人建设码").click()
    expect(phone).to_have_url(path_is("/me/code"))
    qr = phone.get_by_test_id("personal-code").locator("[data-svg] svg")
    expect(qr).to_be_visible()
    token = read_qr(qr.screenshot())
    assert construction_code.read_personal_code(token) == worker.id
    fits(phone)
    shoot(phone, "phone-personal-code")

    # 班前签到 from the home: inside the range, the officer's code typed in; 今日已签到 at once.
    phone.goto("/")
    phone.get_by_test_id("worker-home").get_by_role("link", name=re.compile("班前签到")).click()
    expect(phone).to_have_url(path_is("/me/signin"))
    expect(phone.get_by_test_id("signed-today")).to_be_hidden()
    button = phone.get_by_test_id("signin-button")
    expect(button).to_be_enabled()
    button.click()
    panel = phone.get_by_test_id("scan-panel")
    panel.get_by_label("手动输入签到员的建设码").fill(code_of(clerk))
    panel.get_by_role("button", name="提交签到").click()
    signed = phone.get_by_test_id("signed-today")
    expect(signed).to_be_visible()
    expect(signed).to_contain_text("今日已签到")
    expect(signed).to_contain_text(re.compile(rf"{re.escape(site.project.name)}，\d\d:\d\d 签到"))
    expect(phone.get_by_test_id("location-status")).to_be_hidden()
    expect(button).to_have_text("已签到")
    expect(button).to_be_disabled()
    expect(phone.get_by_text("请点击签到")).to_have_count(0)
    fits(phone)
    shoot(phone, "phone-signed-in-today")

    # The home says so too; the month's records list the sign-in.
    phone.goto("/")
    expect(phone.get_by_test_id("signed-today")).to_have_text("今日已签到")
    phone.get_by_test_id("worker-home").get_by_role("link", name="考勤记录").click()
    records = phone.get_by_test_id("records")
    expect(records.get_by_test_id("record").first).to_contain_text("班前签到")
    expect(records.get_by_test_id("record").first).to_contain_text(site.project.name)
    fits(phone)
    shoot(phone, "phone-attendance-records")

    # 消息通知: the notice, read once shown.
    phone.goto("/")
    phone.get_by_test_id("worker-home").get_by_role("link", name=re.compile("消息通知")).click()
    expect(phone.get_by_test_id("notice-text")).to_have_text("您的个人信息登记已审核通过，现在可以接受企业聘用。")
    fits(phone)
    shoot(phone, "phone-notices")
    phone.goto("/")
    expect(phone.get_by_test_id("unread-count")).to_have_count(0)

    # The same screens at a desk.
    desk = new_page(**DESK)
    log_in(Actor(desk, worker.user.username, worker.name))
    for path, name in (("/", "desk-worker-home"), ("/me/code", "desk-personal-code"),
                       ("/me/signin", "desk-signin"), ("/me/attendance", "desk-attendance-records"),
                       ("/me/notices", "desk-notices")):
        desk.goto(path)
        expect(desk.locator("h1").first).to_be_visible()
        fits(desk)
        shoot(desk, name)
    desk.goto("/")
    expect(desk.get_by_test_id("project-status")).to_have_text("已进场")
