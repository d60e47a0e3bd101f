"""On site in a real browser: a worker's 【班前签到】 on a phone whose position is inside,
then outside, the project's range (the button turns green only inside; the officer's code
goes in by the manual entry fallback, as headless Chromium has no camera); the GC PM's
【扫一扫】 → 【确认进场】 through its manual entry field, then 【确认退场】 from the roster with
its dialog; the GC PM's settings (sign-in point, officers) on a phone; the worker's
个人建设码 with its countdown and renewal; and, with Chromium's fake camera filming a QR
code, 【扫一扫】 decoding a worker's code through the vendored jsQR."""
import io
import os
import re

import pytest
import segno
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, SignIn
from app.services import geo
from tests.browser.steps import onsite
from tests.browser.steps.session import Actor, log_in_as, path_is
from tests.browser.conftest import CHROMIUM_ARGS
from tests.support.site import code_of, confirmed, officer, set_point, site_wgs84
from tests.support.staffing import employee, staffing



def read(query):
    db.session.expire_all()
    value = db.session.execute(query).all()
    db.session.rollback()  # end the read: the server thread writes to the same database
    return value


def phone_at(new_page, lng, lat):
    """A phone whose browser reports this WGS-84 position, with location allowed."""
    return new_page(phone=True, geolocation={"longitude": lng, "latitude": lat, "accuracy": 10},
                    permissions=["geolocation"])


def test_worker_signs_in_inside_the_range_and_is_held_back_outside(world, new_page, shoot):
    site = staffing(world, workers=2)
    worker = employee(world, site.sub.enterprise, name="张建国")
    confirmed(site.project, worker)
    clerk = officer(site)
    set_point(site.project, site.gc.pm)  # typed as GCJ-02, as from a Chinese map
    lng, lat = site_wgs84()

    inside = phone_at(new_page, *geo.offset_point(lng, lat, north_m=100))
    log_in_as(inside, worker.user)
    inside.goto("/me/signin")
    expect(inside.get_by_test_id("signin-project")).to_have_text(site.project.name)
    button = inside.get_by_test_id("signin-button")
    expect(button).to_be_enabled()
    expect(inside.get_by_test_id("location-status")).to_contain_text("您已进入项目签到范围（距签到点约 100 米）")
    shoot(inside, "worker-inside-range")
    button.click()
    panel = inside.get_by_test_id("scan-panel")
    expect(panel).to_be_visible()
    expect(panel.locator("[data-scan-error]")).not_to_be_empty()  # no camera here: the page says so
    shoot(inside, "worker-scanner-open")
    panel.get_by_label("手动输入签到员的建设码").fill(code_of(clerk))
    panel.get_by_role("button", name="提交签到").click()
    expect(inside.get_by_role("alert").first).to_contain_text(f"{worker.name}签到成功")
    shoot(inside, "worker-signed-in")
    assert read(select(SignIn.person_id, SignIn.method, SignIn.distance_m)) == [(worker.id, "worker_scan", 100)]

    # Held back outside the range: another worker of the project, not signed in today
    # (the first one's page now says 今日已签到 wherever they are).
    other = employee(world, site.sub.enterprise, name="李建华")
    confirmed(site.project, other)
    far = phone_at(new_page, *geo.offset_point(lng, lat, east_m=2000))
    log_in_as(far, other.user)
    far.goto("/me/signin")
    status = far.get_by_test_id("location-status")
    expect(status).to_contain_text("您不在项目签到范围内")
    expect(status).to_contain_text("签到范围 300 米")
    expect(far.get_by_test_id("signin-button")).to_be_disabled()
    expect(far.get_by_test_id("scan-panel")).to_be_hidden()
    shoot(far, "worker-outside-range")

    # Location refused: the page says location is required and the button stays grey.
    blind = new_page(phone=True)
    log_in_as(blind, other.user)
    blind.goto("/me/signin")
    expect(blind.get_by_test_id("location-status")).to_contain_text("签到需要打开手机定位")
    expect(blind.get_by_test_id("signin-button")).to_be_disabled()
    shoot(blind, "worker-location-denied")


def test_officer_signs_a_worker_in_only_with_location_on_inside_the_range(world, new_page, shoot):
    """Direction B: the officer's 【扫一扫】 → 班前签到 needs the officer's own position."""
    site = staffing(world, workers=2)
    worker = employee(world, site.sub.enterprise, name="赵永刚")
    confirmed(site.project, worker)
    clerk = officer(site)
    set_point(site.project, site.gc.pm)
    lng, lat = site_wgs84()
    scanner = f"/projects/{site.project.id}/site/scan"

    blind = new_page(phone=True)  # location not granted
    log_in_as(blind, clerk.user)
    blind.goto(scanner)
    expect(blind.get_by_label("班前签到")).to_be_checked()
    expect(blind.get_by_test_id("signin-position")).to_have_text("请开启定位后再签到")
    expect(blind.get_by_test_id("signin-position")).to_have_class(re.compile("text-danger"))
    posts = []
    blind.on("request", lambda r: posts.append(r.url) if r.method == "POST" else None)
    typed = code_of(worker)
    blind.get_by_label("手动输入建设码").fill(typed)
    blind.get_by_test_id("scan-submit").click()
    blind.wait_for_timeout(500)  # time for a submission to leave, were it not held back
    assert posts == []
    expect(blind.get_by_label("手动输入建设码")).to_have_value(typed)
    shoot(blind, "officer-location-denied")

    far = phone_at(new_page, *geo.offset_point(lng, lat, east_m=5000))
    log_in_as(far, clerk.user)
    far.goto(scanner)
    expect(far.get_by_test_id("signin-position")).to_contain_text("已获取您的位置")
    far.get_by_label("手动输入建设码").fill(code_of(worker))
    far.get_by_test_id("scan-submit").click()
    expect(far.get_by_role("alert").first).to_contain_text("您不在项目签到范围内")
    assert read(select(SignIn.id)) == []

    here = phone_at(new_page, lng, lat)
    log_in_as(here, clerk.user)
    here.goto(scanner)
    expect(here.get_by_test_id("signin-position")).to_contain_text("已获取您的位置")
    here.get_by_label("手动输入建设码").fill(code_of(worker))
    here.get_by_test_id("scan-submit").click()
    expect(here.get_by_role("alert").first).to_contain_text(f"{worker.name}签到成功")
    shoot(here, "officer-signed-in")
    assert read(select(SignIn.person_id, SignIn.method, SignIn.distance_m)) == [(worker.id, "officer_scan", 0)]


def test_gc_pm_enters_a_worker_by_the_manual_field_then_exits_them(world, new_page, shoot):
    site = staffing(world, workers=0)
    worker = employee(world, site.sub.enterprise, name="李志强")
    confirmed(site.project, worker)

    desk = new_page()
    log_in_as(desk, site.gc.pm)
    desk.goto(f"/projects/{site.project.id}/site/")
    desk.get_by_test_id("scan-link").click()
    expect(desk.get_by_label("确认进场")).to_be_checked()
    shoot(desk, "scanner")
    desk.get_by_label("手动输入建设码").fill(code_of(worker))
    desk.get_by_test_id("scan-submit").click()
    onsite.confirm_entry(desk, site.project, shoot, "entry")
    expect(desk.get_by_test_id("entry-success")).to_have_text(f"{worker.name}已成功进入{site.project.name}")
    expect(desk.get_by_role("link", name="再次扫码")).to_be_visible()
    shoot(desk, "entered")
    assert read(select(Allocation.status).where(Allocation.person_id == worker.id)) == [("on_site",)]

    desk.get_by_role("link", name=site.project.name).click()  # the breadcrumb back to the project's people
    expect(desk).to_have_url(path_is(f"/projects/{site.project.id}/site/"))
    onsite.exit_from_roster(Actor(desk, site.gc.pm.username, site.gc.pm.name), site.project, worker.name, shoot)
    shoot(desk, "exited")
    assert read(select(Allocation.status).where(Allocation.person_id == worker.id)) == [("exited",)]


def test_personal_code_counts_down_and_renews_itself_on_the_phone(world, new_page, shoot):
    site = staffing(world, workers=1)
    worker = site.gc.workers[0]
    phone = new_page(phone=True)
    log_in_as(phone, worker.user)
    phone.clock.install()  # the page's clock, moved by the test; the server keeps real time
    phone.goto("/me/code")
    card = phone.get_by_test_id("personal-code")
    left = card.locator("[data-seconds-left]")
    expect(card.locator("svg")).to_be_visible()
    expect(card.get_by_test_id("code-name")).to_have_text(worker.name)
    phone.clock.run_for(5000)
    expect(left).to_have_text("115")
    shoot(phone, "personal-code")
    with phone.expect_response(lambda r: r.url.endswith("/me/code.json")) as renewed:
        phone.clock.fast_forward(116_000)  # the two minutes are up
    assert renewed.value.ok and renewed.value.json()["token"]
    expect(left).to_have_text("120")
    expect(card.locator("[data-qr]")).not_to_have_class("expired")
    assert card.get_by_test_id("code-token").text_content() == renewed.value.json()["token"]
    with phone.expect_response(lambda r: r.url.endswith("/me/code.json")):
        card.get_by_role("button", name="刷新").click()
    shoot(phone, "personal-code-renewed")


def test_gc_pm_sets_the_point_appoints_and_revokes_an_officer(world, new_page, shoot):
    site = staffing(world, workers=0)
    worker = employee(world, site.gc.enterprise, name="王小明")
    confirmed(site.project, worker)
    phone = new_page(phone=True)
    log_in_as(phone, site.gc.pm)
    phone.goto(f"/projects/{site.project.id}/site/")
    shoot(phone, "overview-links")
    phone.get_by_test_id("location-link").click()
    expect(phone.get_by_test_id("current-point")).to_contain_text("尚未设置签到地址")
    phone.get_by_label("经度").fill("121.46558")
    phone.get_by_label("纬度").fill("91")
    phone.get_by_role("button", name="确认").click()
    expect(phone.get_by_text("纬度须在 -90 到 90 之间")).to_be_visible()
    shoot(phone, "location-invalid")
    phone.get_by_label("纬度").fill("31.189384")
    phone.get_by_role("button", name="确认").click()
    expect(phone.get_by_role("alert").first).to_have_text("签到地址已保存：签到范围300米")
    expect(phone.get_by_test_id("current-point")).to_contain_text("GCJ-02")
    shoot(phone, "location-saved")

    phone.goto(f"/projects/{site.project.id}/site/roles")
    expect(phone.get_by_test_id("empty")).to_be_visible()
    phone.get_by_test_id("add-officer").click()
    phone.get_by_label("被授权人姓名").fill("小明")
    phone.get_by_role("button", name="搜索").click()
    phone.get_by_label("选择王小明").check()
    shoot(phone, "add-officer")
    phone.get_by_role("button", name="确认", exact=True).click()
    expect(phone.get_by_role("alert").first).to_have_text("已授权王小明为班前签到员")
    officers = phone.get_by_test_id("officers")
    expect(officers).to_contain_text("王小明")
    shoot(phone, "officers")
    officers.get_by_role("button", name="撤销授权").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text("确定撤销王小明的班前签到员授权吗")
    shoot(phone, "revoke-dialog")
    dialog.get_by_role("button", name="确认撤销").click()
    expect(phone.get_by_role("alert").first).to_have_text("已撤销王小明的班前签到员授权")
    expect(phone.get_by_test_id("empty")).to_be_visible()

    phone.goto(f"/projects/{site.project.id}/site/records")
    expect(phone.get_by_test_id("empty")).to_be_visible()
    shoot(phone, "records-empty")
    phone.goto(f"/projects/{site.project.id}/site/code")
    expect(phone.get_by_test_id("site-code").locator("svg")).to_be_visible()
    shoot(phone, "site-code")


def qr_video(text: str, path) -> None:
    """A one-second Y4M clip of the QR code on a white page, for Chromium's fake camera."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=8, border=4)
    qr = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    frame = Image.new("L", (640, 480), 255)
    frame.paste(qr, ((640 - qr.width) // 2, (480 - qr.height) // 2))
    chroma = bytes([128]) * (320 * 240)
    with open(path, "wb") as clip:
        clip.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(10):
            clip.write(b"FRAME\n" + frame.tobytes() + chroma + chroma)


@pytest.fixture
def camera_browser(browser, tmp_path):
    """launch(text) starts a second Chromium whose fake camera films the QR code of `text`."""
    clip = tmp_path / "camera.y4m"
    launched = []

    def launch(text):
        qr_video(text, clip)
        launched.append(browser.browser_type.launch(
            executable_path=os.environ.get("CHROMIUM", "/usr/bin/chromium"), headless=True,
            args=CHROMIUM_ARGS + ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
                                  f"--use-file-for-fake-video-capture={clip}"]))
        return launched[-1]

    yield launch
    for b in launched:
        b.close()


def test_the_camera_decodes_the_worker_code_and_enters_the_worker(world, camera_browser, live_server, shoot):
    site = staffing(world, workers=0)
    worker = employee(world, site.sub.enterprise, name="赵大勇")
    confirmed(site.project, worker)
    camera = camera_browser(code_of(worker))
    context = camera.new_context(base_url=live_server, locale="zh-CN", viewport={"width": 390, "height": 844},
                                 permissions=["camera"])
    page = context.new_page()
    page.set_default_timeout(10_000)
    log_in_as(page, site.gc.pm)
    page.goto(f"/projects/{site.project.id}/site/scan")
    page.get_by_role("button", name="扫一扫").click()
    onsite.confirm_entry(page, site.project)
    expect(page.get_by_test_id("entry-success")).to_have_text(f"{worker.name}已成功进入{site.project.name}")
    shoot(page, "entered-by-camera")
    context.close()
    assert read(select(Allocation.status).where(Allocation.person_id == worker.id)) == [("on_site",)]
