"""The enterprise and site screens as manuals 000 and 004 show them, in Chromium:
聘用登记 on a 1366 px desktop (选择身份 → 姓名 →【选择】→ fields in 元 →【确认】→ 聘用成功, two
people at once); on a 390 px phone 【扫一扫】 → 确认进场项目 →【确认进场】→ 进场成功 →【再次扫码】,
and 项目人员接收 with 【查询】 and 【接收】 in bulk. Screenshots go to artifacts/screenshots/."""
import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Employment, HumanTask
from app.services import allocation as allocation_service
from app.services import employment as employment_service
from app.workflow import runtime
from tests.browser.steps.session import flash, log_in_as, rows
from tests.support.people import verified_person
from tests.support.site import code_of, confirmed
from tests.support.staffing import employee, staffing

pytestmark = pytest.mark.browser

WIDE = {"viewport": {"width": 1366, "height": 900}}


def no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def consented(world, enterprise, hr, name):
    person = verified_person(world, name)
    employment = employment_service.request_hire(hr, enterprise, person.name, person.id_number)
    db.session.commit()
    consent = db.session.scalar(select(HumanTask).where(HumanTask.instance_id == employment.process_instance_id,
                                                        HumanTask.task_key == "worker_consent"))
    runtime.complete(consent, person.user, {"decision": "agree"})
    return employment


def test_hr_registers_two_people_at_once_in_yuan(world, new_page, shoot):
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    first, second = (consented(world, enterprise, hr, n) for n in ("张典豪", "李国强"))
    page = new_page(**WIDE)
    log_in_as(page, hr)
    page.goto(f"/enterprises/{enterprise.id}")
    page.get_by_test_id("hire-registration-link").click()
    expect(page.get_by_role("heading", name="聘用登记")).to_be_visible()
    page.locator("label", has_text="建筑工人").click()
    picker = page.get_by_test_id("picker")
    expect(picker).to_contain_text("张典豪")
    expect(picker).to_contain_text("李国强")
    shoot(page, "hr-hire-registration-pick")
    page.get_by_label("选择张典豪").check()
    page.get_by_label("选择李国强").check()
    page.get_by_role("button", name="选择", exact=True).click()

    expect(page.get_by_test_id("chosen-identity")).to_have_text("建筑工人")
    for employment, wage in ((first, "8000"), (second, "8000.50")):
        card = page.locator(f"[data-testid='person-fields'][data-employment-id='{employment.id}']")
        card.get_by_label("工种").select_option("020")
        card.get_by_label("合同开始日期").fill("2026-12-01")
        card.get_by_label("工资标准（元）").fill(wage)
    expect(page.get_by_test_id("wage-preview").nth(1)).to_have_text("当前填写：8,000.50 元")
    no_sideways_scroll(page)
    shoot(page, "hr-hire-registration-fields")
    card = page.locator(f"[data-testid='person-fields'][data-employment-id='{second.id}']")
    card.get_by_label("工资标准（元）").fill("8000.505")  # three decimals: refused, nobody registered
    page.get_by_role("button", name="确认").click()
    expect(card).to_contain_text("请填写金额（元），最多两位小数")
    shoot(page, "hr-hire-registration-refused")
    card.get_by_label("工资标准（元）").fill("8000.50")
    page.get_by_role("button", name="确认").click()
    expect(flash(page)).to_have_text("聘用成功：张典豪、李国强")
    shoot(page, "hr-hire-registration-done")
    assert sorted(rows(select(Employment.status, Employment.wage_standard_fen))) == [("active", 800000),
                                                                                   ("active", 800050)]


def test_gc_pm_on_a_phone_scans_confirms_the_project_and_scans_again(world, new_page, shoot):
    site = staffing(world, workers=0)
    worker = employee(world, site.sub.enterprise, name="张典豪")
    confirmed(site.project, worker)
    phone = new_page(phone=True)
    log_in_as(phone, site.gc.pm)
    phone.goto(f"/projects/{site.project.id}/site/")
    phone.get_by_test_id("scan-link").click()
    phone.get_by_label("手动输入建设码").fill(code_of(worker))
    shoot(phone, "scanner")
    phone.get_by_test_id("scan-submit").click()

    expect(phone.get_by_role("heading", name="确认进场项目")).to_be_visible()
    person = phone.get_by_test_id("entry-person")
    expect(person.get_by_test_id("entry-name")).to_have_text("张典豪")
    expect(person).to_contain_text(site.sub.enterprise.name)
    expect(person).to_contain_text("建筑工人")
    expect(person).to_contain_text(worker.id_number[-4:])
    expect(person).not_to_contain_text(worker.id_number)
    expect(person.get_by_test_id("entry-project")).to_have_text(site.project.name)
    no_sideways_scroll(phone)
    shoot(phone, "confirm-entry-project")
    assert rows(select(Allocation.status).where(Allocation.person_id == worker.id)) == [("confirmed",)]
    phone.get_by_role("button", name="确认进场").click()

    expect(phone.get_by_role("heading", name="进场成功")).to_be_visible()
    expect(phone.get_by_test_id("entry-success")).to_have_text(f"张典豪已成功进入{site.project.name}")
    expect(phone.get_by_role("link", name="返回首页")).to_be_visible()
    no_sideways_scroll(phone)
    shoot(phone, "entered")
    assert rows(select(Allocation.status).where(Allocation.person_id == worker.id)) == [("on_site",)]

    phone.get_by_role("link", name="再次扫码").click()
    expect(phone.get_by_role("heading", name="扫一扫")).to_be_visible()
    phone.get_by_label("手动输入建设码").fill(code_of(worker))
    phone.get_by_test_id("scan-submit").click()
    expect(phone.get_by_test_id("already-entered")).to_contain_text("已在")
    shoot(phone, "scanned-again-attendance")
    phone.get_by_role("button", name="上班打卡").click()
    expect(flash(phone)).to_have_text("张典豪上班打卡成功")
    shoot(phone, "clocked-in")


def test_sub_pm_on_a_phone_queries_and_receives_in_bulk(world, new_page, shoot):
    site = staffing(world, workers=3)
    results = allocation_service.allocate(site.sub.hr, site.project, [p.id for p in site.sub.workers], "worker",
                                          job_type="020")
    assert all(r.ok for r in results)
    db.session.commit()
    phone = new_page(phone=True)
    log_in_as(phone, site.sub.pm)
    phone.goto(f"/projects/{site.project.id}/site/")
    phone.get_by_test_id("receive-link").click()
    expect(phone.get_by_role("heading", name="项目人员接收")).to_be_visible()
    expect(phone.get_by_test_id("result-count")).to_have_text("共3人")
    shoot(phone, "receive-all")
    first = site.sub.workers[0]
    phone.get_by_label("姓名").fill(first.name)
    phone.get_by_label("角色").select_option("worker")
    phone.get_by_role("button", name="查询").click()
    expect(phone.get_by_test_id("result-count")).to_have_text("共1人")
    expect(phone.get_by_test_id("receive-list")).to_contain_text(first.name)
    shoot(phone, "receive-query")
    phone.get_by_role("link", name="重置").click()
    expect(phone.get_by_test_id("result-count")).to_have_text("共3人")
    phone.get_by_label("全选本页").check()
    phone.get_by_label(f"选择{first.name}").uncheck()
    phone.get_by_test_id("accept").click()
    expect(flash(phone)).to_have_text("已接收 2 人，0 人处理失败")
    expect(phone.get_by_test_id("result-count")).to_have_text("共1人")
    no_sideways_scroll(phone)
    shoot(phone, "received")

    phone.get_by_label(f"选择{first.name}").check()
    phone.get_by_role("button", name="不接收").click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text("不接收的原因（必填）")
    dialog.get_by_label("不接收的原因（必填）").fill("人员不符合岗位要求")
    shoot(phone, "not-receive-dialog")
    dialog.get_by_role("button", name="确认不接收").click()
    expect(flash(phone)).to_have_text("已不接收 1 人，0 人处理失败")
    expect(phone.get_by_test_id("empty")).to_contain_text("暂无待接收的人员")
    statuses = [s for (s,) in rows(select(Allocation.status).where(
        Allocation.person_id.in_([p.id for p in site.sub.workers])).order_by(Allocation.person_id))]
    assert sorted(statuses) == ["pending_gc", "pending_gc", "rejected"]
