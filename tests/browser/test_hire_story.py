"""Issue 4 in a real browser: a worker registers on a phone with both ID-card images,
the data center runs 【批量处理】, HR creates the employment, the worker agrees in
【消息通知】, HR completes 【聘用登记】, and the employee shows as active."""
import re
from datetime import date

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Employment, Registration
from app.services import roles
from tests.browser.steps.session import log_in_as
from tests.support.identifiers import make_id_number
from tests.support.images import make_id_image



def fresh(query):
    db.session.expire_all()
    value = db.session.scalar(query)
    db.session.rollback()  # end the read: the server thread writes to the same database
    return value


def test_register_verify_hire_consent_and_register_employment(world, new_page, shoot, tmp_path):
    enterprise = world.enterprise(name="浦江劳务有限公司")
    hr = world.hr_admin(enterprise)
    operator = world.user("dc_operator", name="数据中心操作员", platform_role=roles.DATACENTER)
    worker = world.user("zhang_dianhao", name="张典豪")
    id_number = make_id_number(region="410102", birth=date(1990, 1, 18), seq=553)
    front, back = tmp_path / "front.jpg", tmp_path / "back.png"
    front.write_bytes(make_id_image("JPEG"))
    back.write_bytes(make_id_image("PNG"))

    # The worker registers on a phone.
    phone = new_page(phone=True)
    log_in_as(phone, worker)
    phone.goto("/me/registration")
    expect(phone.get_by_role("heading", name="填报须知")).to_be_visible()
    shoot(phone, "worker-notice")
    phone.get_by_label("我已阅读以上填报须知").check()
    phone.get_by_role("button", name="开始登记").click()
    phone.locator("[name='name']").fill("张典豪")
    phone.locator("[name='id_number']").fill(id_number.lower())
    phone.locator("[name='phone']").fill("13816002001")
    phone.locator("[name='id_front']").set_input_files(str(front))
    phone.locator("[name='id_back']").set_input_files(str(back))
    shoot(phone, "worker-registration-form")
    phone.get_by_role("button", name="下一步").click()
    expect(phone.get_by_text("已提交").first).to_be_visible()
    expect(phone.get_by_text("预计处理完成日期")).to_be_visible()
    shoot(phone, "worker-submitted")
    assert fresh(select(Registration.status)) == "submitted"

    # The data center processes the batch.
    desk = new_page()
    log_in_as(desk, operator)
    desk.goto("/datacenter/")
    expect(desk.get_by_text("张典豪")).to_be_visible()
    expect(desk.get_by_text(id_number)).to_have_count(0)  # masked in the queue
    shoot(desk, "datacenter-queue")
    desk.once("dialog", lambda dialog: dialog.accept())
    desk.get_by_role("button", name="批量处理").click()
    expect(desk.get_by_role("alert").first).to_contain_text("通过1条")
    shoot(desk, "datacenter-after-batch")
    phone.goto("/me/registration")
    expect(phone.get_by_text("已通过").first).to_be_visible()
    shoot(phone, "worker-verified")

    # HR creates the employment (新建聘用关系).
    hr_page = new_page()
    log_in_as(hr_page, hr)
    hr_page.goto(f"/enterprises/{enterprise.id}")
    hr_page.get_by_test_id("staff-link").click()
    hr_page.get_by_test_id("new-employment").click()
    hr_page.locator("[name='name']").fill("张典豪")
    hr_page.locator("[name='id_number']").fill(id_number)
    shoot(hr_page, "hr-new-employment")
    hr_page.get_by_role("button", name="确认", exact=True).click()
    expect(hr_page.get_by_text("待本人确认").first).to_be_visible()
    shoot(hr_page, "hr-pending-consent")

    # The worker agrees in 消息通知: 【同意】 → 【确认】.
    phone.goto("/")
    phone.get_by_test_id("inbox-link").click()
    phone.get_by_role("link", name="聘用确认（同意/拒绝）").click()
    shoot(phone, "worker-consent")
    phone.locator("label", has_text=re.compile(r"^同意$")).click()
    phone.get_by_role("button", name="确认", exact=True).click()
    expect(phone.get_by_role("alert").first).to_contain_text("已确认")
    assert fresh(select(Employment.status)) == "pending_registration"

    # HR completes 聘用登记 → 聘用成功, and the employee is active.
    employment_id = fresh(select(Employment.id))
    hr_page.goto(f"/enterprises/{enterprise.id}/staff/{employment_id}")
    hr_page.get_by_test_id("register").click()
    hr_page.locator("label", has_text="建筑工人").click()
    hr_page.locator("[name='job_type']").select_option("010")
    hr_page.locator("[name='contract_start']").fill("2026-12-01")
    hr_page.locator("[name='wage_standard']").fill("30000")  # 元, stored as fen
    shoot(hr_page, "hr-employment-registration")
    hr_page.get_by_role("button", name="提交").click()
    expect(hr_page.get_by_role("alert").first).to_contain_text("聘用成功")
    hr_page.goto(f"/enterprises/{enterprise.id}/staff/")
    expect(hr_page.get_by_text("在职").first).to_be_visible()
    expect(hr_page.get_by_text("张典豪")).to_be_visible()
    shoot(hr_page, "hr-staff-active")
    employment = fresh(select(Employment))
    assert (employment.status, employment.identity, employment.job_type, employment.wage_standard_fen) == \
        ("active", "worker", "010", 3_000_000)
