"""流程监控 in a real browser: the administrator sees on the dashboard's diagram how many
instances wait at each task, opens one instance (its current step marked on the diagram)
and suspends it after confirming in the dialog."""
import re

from playwright.sync_api import expect

from app.extensions import db
from app.workflow import runtime
from tests.browser.steps.session import log_in_as
from tests.workflow.conftest import deploy, parties  # noqa: F401  (pytest fixtures)



def test_dashboard_diagram_instance_page_and_a_confirmed_suspend(deploy, parties, world, page, shoot):
    deploy("with_diagram")
    instances = [runtime.start("with_diagram", parties["subject"]) for _ in range(2)]
    db.session.commit()
    target = instances[0].id
    admin = world.admin()
    db.session.rollback()  # end the read: the server thread writes to the same database

    log_in_as(page, admin)
    page.get_by_test_id("monitor-link").click()
    expect(page.locator("h1")).to_have_text("流程监控")
    row = page.locator("tr[data-process='with_diagram']")
    expect(row.locator("td[data-status='running']")).to_have_text("2")
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator("[data-count-for='approve']")).to_have_text("2")
    expect(page.locator(".djs-element[data-element-id='approve']")).to_have_class(re.compile(r"\bmonitor-waiting\b"))
    expect(page.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io licence requires it
    shoot(page, "dashboard")

    row.locator("td[data-status='running'] a").click()
    expect(page.locator("h1")).to_have_text("流程实例")
    page.locator(f"tr[data-instance-id='{target}'] a").first.click()
    expect(page).to_have_url(re.compile(rf"/admin/monitor/instances/{target}$"))
    expect(page.get_by_test_id("diagram")).to_have_attribute("data-diagram-ready", "true")
    expect(page.locator(".djs-element[data-element-id='approve']")).to_have_class(re.compile(r"\bmonitor-active\b"))
    expect(page.locator(".djs-element[data-element-id='start']")).to_have_class(re.compile(r"\bmonitor-done\b"))
    expect(page.get_by_test_id("history")).to_contain_text("发起")
    shoot(page, "instance")

    page.get_by_test_id("suspend-open").click()
    dialog = page.locator("#suspend")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("挂起后，该流程的待办从所有人的待办事项中移除")
    shoot(page, "suspend-dialog")
    dialog.get_by_role("button", name="取消").click()
    expect(dialog).to_be_hidden()
    expect(page.get_by_test_id("status")).to_contain_text("运行中")  # cancelled: nothing happened

    page.get_by_test_id("suspend-open").click()
    page.get_by_test_id("suspend-confirm").click()
    expect(page.get_by_role("alert")).to_contain_text("流程已挂起")
    expect(page.get_by_test_id("status")).to_contain_text("已挂起")
    expect(page.get_by_test_id("history").locator("li").first).to_contain_text("挂起")
    expect(page.get_by_test_id("resume-open")).to_be_visible()
    shoot(page, "suspended")
