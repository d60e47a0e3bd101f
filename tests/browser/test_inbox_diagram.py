"""The inbox in a real browser: HR approves on a desk with the process diagram shown
(current task highlighted, bpmn.io watermark visible); the worker then finds the
confirmation under 【消息通知】 on a phone."""
import re

from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask
from app.workflow import runtime
from tests.browser.steps.session import log_in_as
from tests.workflow.conftest import deploy, parties  # noqa: F401  (pytest fixtures)



def open_task(key):
    db.session.expire_all()
    row = db.session.scalar(select(HumanTask).where(HumanTask.task_key == key, HumanTask.status == "open"))
    db.session.rollback()  # end the read: the server thread writes to the same database
    return row


def test_task_page_shows_the_diagram_and_the_worker_gets_the_message(deploy, parties, new_page, shoot):
    deploy("with_diagram")
    runtime.start("with_diagram", parties["subject"])
    db.session.commit()
    approve = open_task("approve")

    desk = new_page()
    log_in_as(desk, parties["hr"])
    expect(desk.get_by_test_id("inbox-link")).to_contain_text("消息通知")
    expect(desk.get_by_test_id("inbox-count")).to_contain_text("1")
    desk.get_by_test_id("inbox-link").click()
    expect(desk.locator("h1")).to_have_text("消息通知")
    row = desk.locator(f"tr[data-task-id='{approve.id}']")
    expect(row).to_contain_text("人事审批")
    expect(row).to_contain_text("聘用审批（带流程图）")
    expect(row).to_contain_text(parties["enterprise"].name)
    shoot(desk, "hr-inbox")

    row.get_by_role("link", name="人事审批").click()
    expect(desk).to_have_url(re.compile(rf"/inbox/{approve.id}$"))
    diagram = desk.get_by_test_id("diagram")
    expect(diagram).to_have_attribute("data-diagram-ready", "true")
    current = desk.locator(".djs-element[data-element-id='approve']")
    expect(current).to_have_class(re.compile(r"\binbox-current-task\b"))
    expect(desk.locator(".djs-element[data-element-id='acknowledge']")).not_to_have_class(
        re.compile(r"\binbox-current-task\b"))
    expect(desk.locator(".bjs-powered-by")).to_be_visible()  # the bpmn.io licence requires it
    shoot(desk, "hr-task-with-diagram")

    desk.get_by_role("button", name="确认", exact=True).click()  # no decision chosen
    expect(desk.locator("[data-testid='decision'] .invalid-feedback")).to_be_visible()
    desk.locator("label", has_text=re.compile(r"^不同意$")).click()
    desk.get_by_role("button", name="确认", exact=True).click()
    expect(desk.get_by_text("不同意时请填写原因")).to_be_visible()
    shoot(desk, "hr-task-reject-without-reason")
    desk.locator("label", has_text=re.compile(r"^同意$")).click()
    desk.get_by_role("button", name="确认", exact=True).click()
    expect(desk).to_have_url(re.compile(r"/inbox/$"))
    expect(desk.get_by_role("alert")).to_contain_text("已处理")
    expect(desk.get_by_test_id("empty")).to_contain_text("暂无待处理事项")
    shoot(desk, "hr-inbox-after-approval")

    phone = new_page(phone=True)
    log_in_as(phone, parties["person_user"])
    link = phone.get_by_test_id("inbox-link")
    expect(link).to_be_visible()  # outside the collapsed menu: seen at once on a phone
    expect(link).to_contain_text("消息通知")
    expect(phone.get_by_test_id("inbox-count")).to_contain_text("1")
    link.click()
    expect(phone.locator("h1")).to_have_text("消息通知")
    card = phone.locator(".list-group-item", has_text="确认结果")
    expect(card).to_be_visible()
    shoot(phone, "worker-messages")
    card.get_by_role("link", name="确认结果").click()
    expect(phone.get_by_test_id("diagram")).to_have_attribute("data-diagram-ready", "true")
    expect(phone.locator(".djs-element[data-element-id='acknowledge']")).to_have_class(
        re.compile(r"\binbox-current-task\b"))
    shoot(phone, "worker-task")
    phone.get_by_label("我确认").check()
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("alert")).to_contain_text("已处理")
    expect(phone.get_by_test_id("inbox-count")).to_have_count(0)
    shoot(phone, "worker-messages-done")


def test_bulk_refusal_asks_for_the_reason_in_a_dialog(deploy, parties, page, shoot):
    deploy("approval_timeout")
    for _ in range(2):
        runtime.start("approval_timeout", parties["subject"])
    db.session.commit()
    log_in_as(page, parties["hr"])
    page.goto("/inbox/")
    expect(page.locator("tr[data-task-id]")).to_have_count(2)
    expect(page.get_by_text("无期限")).to_have_count(0)  # both have a 24-hour deadline
    for box in page.locator("tr[data-task-id] input[name='task_ids']").all():
        box.check()
    page.get_by_test_id("bulk-bar").get_by_role("button", name="不同意").click()
    dialog = page.get_by_role("dialog", name="批量不同意")
    expect(dialog).to_be_visible()
    dialog.get_by_label("不同意的原因（必填）").fill("材料不全，请补充劳动合同")
    shoot(page, "bulk-reject-dialog")
    dialog.get_by_role("button", name="确认不同意").click()
    expect(page.get_by_role("alert").first).to_contain_text("2 项已处理，0 项失败")
    expect(page.get_by_test_id("empty")).to_be_visible()
    shoot(page, "bulk-reject-done")
    db.session.expire_all()
    statuses = db.session.scalars(select(HumanTask.status)).all()
    db.session.rollback()
    assert statuses == ["completed", "completed"]
