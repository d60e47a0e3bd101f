"""Leaving (DOMAIN §6–7): 【申请离职】 and, after 24 hours without the enterprise, 【立即离职】;
【批量解聘】 →【解除聘用关系】 with one result per person."""
from playwright.sync_api import expect

from tests.browser.steps.session import Actor, flash, open_menu


def open_employment(actor: Actor):
    page = actor.page
    open_menu(page)
    page.get_by_test_id("employment-link").click()
    return page


def apply_to_resign(actor: Actor, enterprise_name: str, reason: str, available_at: str, shoot) -> None:
    """【聘用信息】 →【申请离职】 → reason →【确认】 → the review →【确认】."""
    page = open_employment(actor)
    expect(page.get_by_test_id("employer")).to_have_text(enterprise_name)
    expect(page.get_by_test_id("employment-status")).to_have_text("在职")
    page.get_by_test_id("resign").click()
    page.get_by_label("离职原因").fill(reason)
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_test_id("review")).to_contain_text(reason)
    shoot(page, "worker-resign-review")
    page.get_by_role("button", name="确认", exact=True).click()
    expect(flash(page)).to_contain_text("离职申请已提交")
    expect(page.get_by_test_id("employment-status")).to_have_text("离职中")
    expect(page.get_by_test_id("available-at")).to_contain_text(available_at)
    expect(page.get_by_test_id("immediate")).to_have_count(0)
    shoot(page, "worker-resign-waiting")


def resign_at_once(actor: Actor, shoot) -> None:
    """【立即离职】 (open once the 24 hours have passed) → the dialog's 【确认】."""
    page = actor.page
    page.reload()
    page.get_by_test_id("immediate").click()
    dialog = page.locator("#immediate-confirm")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("确定立即离职吗？")
    shoot(page, "worker-immediate-dialog")
    dialog.get_by_role("button", name="确认", exact=True).click()
    expect(flash(page)).to_contain_text("操作成功，已离职")
    expect(page.get_by_test_id("last-employment").get_by_test_id("employment-status")).to_have_text("已离职")
    shoot(page, "worker-resigned")


def dismiss(actor: Actor, enterprise, person_name: str, reason: str, shoot, shot: str):
    """人员管理 → tick the person →【批量解聘】→ reason →【解除聘用关系】→【确认】;
    returns the person's row of 解聘结果."""
    page = actor.page
    page.goto(f"/enterprises/{enterprise.id}")
    page.get_by_test_id("staff-link").click()
    page.get_by_label(f"选择{person_name}").check()
    page.get_by_test_id("batch-dismiss").click()
    expect(page.get_by_test_id("selected-people")).to_contain_text(person_name)
    page.get_by_label("解聘原因").fill(reason)
    page.get_by_test_id("dismiss").click()
    dialog = page.locator("#dismiss-confirm")
    expect(dialog).to_contain_text("确定解除与所选 1 人的聘用关系吗？")
    dialog.get_by_role("button", name="确认", exact=True).click()
    result = page.get_by_test_id("dismissal-results").locator("li", has_text=person_name)
    expect(result).to_be_visible()
    shoot(page, shot)
    return result
