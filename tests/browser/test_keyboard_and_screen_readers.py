"""Keyboard and screen-reader use (issue 19, WCAG 2.1 AA), on a phone and on a desktop: the
first Tab reaches 跳到主要内容; a refused form puts the focus on its first wrong field, which
says it is invalid and which error explains it; a refused sign-in code brings the code field
back with the focus in it; the personal code's countdown is not read out every second, only
its renewal; the language button says which language it is in; the icon is found."""
import re

from playwright.sync_api import expect

from app.services import geo
from tests.browser.steps.session import log_in_as
from tests.browser.test_onsite import phone_at
from tests.support.site import confirmed, officer, set_point, site_wgs84
from tests.support.staffing import employee, staffing


def test_skip_link_password_errors_language_button_and_icon(world, new_page, shoot):
    user = world.user(name="王小明")
    page = new_page()
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status == 404 else None)
    log_in_as(page, user)

    page.keyboard.press("Tab")  # the first stop, before the menu
    skip = page.get_by_role("link", name="跳到主要内容")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    shoot(page, "skip-link")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()

    expect(page.locator("footer button")).to_have_attribute("lang", "en")
    expect(page.locator("link[rel='icon']")).to_have_attribute("href", re.compile(r"favicon\.svg$"))
    assert page.request.get("/favicon.ico").status == 200

    page.goto("/password")
    page.get_by_label("当前密码").fill("secret123")
    page.get_by_label("新密码", exact=True).fill("short")
    page.get_by_label("新密码", exact=True).press("Enter")
    wrong = page.get_by_label("新密码", exact=True)
    expect(wrong).to_be_focused()  # not the page's start: the reader reads the field and its error
    expect(wrong).to_have_attribute("aria-invalid", "true")
    error_id = wrong.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{error_id}")).to_be_visible()
    expect(page.locator(f"#{error_id}")).not_to_be_empty()
    shoot(page, "password-error-focused")
    assert not missing, missing


def test_a_refused_sign_in_code_keeps_the_code_field_in_focus(world, new_page, shoot):
    site = staffing(world, workers=2)
    worker = employee(world, site.sub.enterprise, name="张建国")
    confirmed(site.project, worker)
    officer(site)
    set_point(site.project, site.gc.pm)
    phone = phone_at(new_page, *geo.offset_point(*site_wgs84(), north_m=50))
    log_in_as(phone, worker.user)
    phone.goto("/me/signin")
    start = phone.get_by_test_id("signin-button")
    expect(start).to_be_enabled()
    start.focus()
    phone.keyboard.press("Enter")
    field = phone.get_by_label("手动输入签到员的建设码")
    field.focus()
    phone.keyboard.type("不是签到员的码")
    phone.keyboard.press("Enter")

    expect(phone.locator("main .alert-danger").first).to_be_visible()
    expect(phone.get_by_test_id("scan-panel")).to_be_visible()
    expect(field).to_be_focused()  # type the right code at once, without finding the panel again
    shoot(phone, "signin-refused-code-keeps-focus")


def test_the_code_countdown_speaks_only_when_the_code_is_renewed(world, new_page, shoot):
    person = employee(world, world.enterprise(), name="李师傅")
    page = new_page(phone=True)
    page.clock.install()
    log_in_as(page, person.user)
    page.goto("/me/code")
    countdown = page.locator("[data-countdown]")
    announce = page.locator("[data-announce]")
    expect(countdown).not_to_have_attribute("aria-live", re.compile(".*"))
    expect(announce).to_have_attribute("aria-live", "polite")
    page.clock.run_for(5_000)
    expect(countdown.locator("[data-seconds-left]")).to_have_text("115")
    expect(announce).to_have_text("")  # five seconds passed: nothing said
    page.clock.run_for(116_000)
    expect(announce).to_have_text("已生成新的个人建设码，有效期120秒")
    shoot(page, "code-renewed")
