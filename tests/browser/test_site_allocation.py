"""Allocation on site in a real browser: a subcontractor's PM, on a phone, opens
【项目人员管理】 → the project → 【人员分配】, chooses 建筑工人 and a job type, ticks three
workers and presses 【确认】; the GC's PM, at a desk, sees 【待同意分配人数】 3, ticks them
all and presses 【同意】; the roster then shows the three as confirmed."""
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation
from tests.browser.steps.session import log_in_as
from tests.support.staffing import employee, staffing

NAMES = ("陈建军", "刘国强", "黄永明")



def statuses():
    db.session.expire_all()
    rows = db.session.execute(select(Allocation.person_id, Allocation.status, Allocation.job_type)
                              .where(Allocation.role == "worker")).all()
    db.session.rollback()  # end the read: the server thread writes to the same database
    return sorted(rows)


def test_sub_pm_allocates_three_workers_and_the_gc_pm_agrees_in_bulk(world, new_page, shoot):
    site = staffing(world, workers=0)
    workers = [employee(world, site.sub.enterprise, name=name) for name in NAMES]
    project = site.project

    # The subcontractor's PM, on a phone: 项目人员管理 → project → 人员分配.
    phone = new_page(phone=True)
    log_in_as(phone, site.sub.pm)
    phone.goto("/projects/")
    phone.get_by_role("link", name=project.name).click()
    phone.get_by_test_id("site-link").click()
    expect(phone.get_by_role("heading", name=project.name)).to_be_visible()
    shoot(phone, "sub-pm-site-overview")
    phone.get_by_test_id("allocate-link").click()
    expect(phone.get_by_test_id("allocating-enterprise")).to_have_text(site.sub.enterprise.name)
    phone.locator("label[for='role-worker']").click()
    phone.locator("[name='job_type']").select_option("020")
    shoot(phone, "sub-pm-choose-role")
    phone.get_by_role("button", name="下一步").click()
    expect(phone.get_by_test_id("chosen-role")).to_have_text("建筑工人")
    for name in NAMES:
        phone.get_by_label(f"选择{name}").check()
    expect(phone.get_by_text(workers[0].id_number)).to_have_count(0)  # masked
    shoot(phone, "sub-pm-choose-people")
    phone.get_by_role("button", name="确认", exact=True).click()
    dialog = phone.get_by_role("dialog")
    expect(dialog).to_contain_text(project.name)
    shoot(phone, "sub-pm-confirm-dialog")
    dialog.get_by_role("button", name="确认分配").click()
    results = phone.get_by_test_id("allocation-results")
    expect(results.locator("[data-ok='true']")).to_have_count(3)
    expect(phone.get_by_role("alert").first).to_contain_text("分配成功：共3人")
    expect(phone.get_by_test_id("empty")).to_be_visible()  # nobody left to allocate
    shoot(phone, "sub-pm-results")
    assert statuses() == sorted((w.id, "pending_gc", "020") for w in workers)

    # The GC's PM, at a desk: 待同意分配人数 → tick all → 同意.
    desk = new_page()
    log_in_as(desk, site.gc.pm)
    desk.goto(f"/projects/{project.id}")
    desk.get_by_test_id("site-link").click()
    unit = desk.locator(f"tr[data-enterprise-id='{site.sub.enterprise.id}']")
    expect(unit.get_by_test_id("pending-count")).to_have_text("3")
    shoot(desk, "gc-pm-site-overview")
    unit.get_by_test_id("pending-count").get_by_role("link").click()
    expect(desk.get_by_test_id("pending-list").locator("[data-task-id]")).to_have_count(3)
    desk.get_by_label("全选（共3人）").check()
    shoot(desk, "gc-pm-pending")
    desk.get_by_test_id("bulk-bar").get_by_role("button", name="同意", exact=True).click()
    dialog = desk.get_by_role("dialog")
    expect(dialog).to_contain_text("确定同意所勾选人员分配到本项目吗")
    shoot(desk, "gc-pm-agree-dialog")
    dialog.get_by_role("button", name="确认同意").click()
    expect(desk.get_by_role("alert").first).to_contain_text("已同意 3 人，0 人处理失败")
    expect(desk.get_by_test_id("empty")).to_be_visible()
    shoot(desk, "gc-pm-after-agree")
    assert statuses() == sorted((w.id, "confirmed", "020") for w in workers)

    desk.get_by_role("link", name=project.name).click()
    roster = desk.locator(f"#unit-{site.sub.enterprise.id}")
    for name in NAMES:
        expect(roster.locator("li", has_text=name).locator(".badge")).to_have_text("已确认")
    shoot(desk, "gc-pm-roster")

    phone.goto(f"/projects/{project.id}/site/")
    expect(phone.locator(f"#unit-{site.sub.enterprise.id}").get_by_text("已确认")).to_have_count(4)  # and the PM
    shoot(phone, "sub-pm-roster")
