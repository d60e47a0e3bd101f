"""Getting people onto a project (DOMAIN §3): 【指定项目经理】, 【人员分配】 on the
enterprise side and the site side, and the confirmations (项目人员接收, 【待同意分配人数】→【同意】)."""
from playwright.sync_api import expect

from tests.browser.steps.session import Actor, flash


def designate_pm(actor: Actor, project, enterprise, manager_name: str, shoot, shot: str) -> None:
    """The participant's legal rep / HR, on the project page: 【指定项目经理】."""
    page = actor.page
    page.goto("/")
    page.get_by_role("link", name=project.name).first.click()
    expect(page.locator("h1")).to_have_text(project.name)
    row = page.locator(f"tr[data-enterprise-id='{enterprise.id}']")
    expect(row.get_by_test_id("pm-name")).to_have_text("未指定")
    form = page.get_by_test_id("designate-form")
    form.get_by_label("本单位在职管理人员").select_option(label=next(
        o for o in form.locator("option").all_inner_texts() if o.startswith(manager_name)))
    form.get_by_role("button", name="指定项目经理").click()
    expect(flash(page)).to_have_text(f"已指定{manager_name}为{enterprise.name}在本项目的项目经理。")
    expect(row.get_by_test_id("pm-name")).to_have_text(manager_name)
    shoot(page, shot)


def allocate_from_enterprise(actor: Actor, enterprise, project, person_name: str, job_type: str, shoot) -> None:
    """【企业聘用管理】 → the company →【人员分配】→ 建筑工人 → project → the person →【确认】."""
    page = actor.page
    page.goto(f"/enterprises/{enterprise.id}")
    page.get_by_test_id("allocate-link").click()
    page.locator("label[for='role-worker']").click()
    page.locator("[name='job_type']").select_option(job_type)
    page.get_by_role("radio", name=project.name).check()
    shoot(page, "hr-allocate-role-project")
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_test_id("chosen-project")).to_have_text(project.name)
    page.get_by_label(f"选择{person_name}").check()
    page.get_by_role("button", name="确认", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text(project.name)
    shoot(page, "hr-allocate-confirm")
    dialog.get_by_role("button", name="确认分配").click()
    expect(flash(page)).to_contain_text("分配成功：共1人")
    result = page.get_by_test_id("allocation-results").locator("li", has_text=person_name)
    expect(result).to_contain_text("待接收")  # level 1 (项目人员接收) is next
    shoot(page, "hr-allocate-result")


def allocate_on_site(actor: Actor, project, person_name: str, shoot) -> None:
    """The PM's own 【人员分配】 on site: a level whose approver is the allocator passes at once."""
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_test_id("allocate-link").click()
    page.locator("label[for='role-worker']").click()
    page.get_by_role("button", name="下一步").click()
    page.get_by_label(f"选择{person_name}").check()
    page.get_by_role("button", name="确认", exact=True).click()
    page.get_by_role("dialog").get_by_role("button", name="确认分配").click()
    expect(flash(page)).to_contain_text("分配成功：共1人")
    expect(page.get_by_test_id("allocation-results").locator("li", has_text=person_name)).to_contain_text("已确认")
    shoot(page, "gc-pm-allocates-own-worker")


def agree_pending(actor: Actor, project, enterprise, person_name: str, shoot, shot: str) -> None:
    """项目人员管理 → the project → 【待同意分配人数】 of the unit → tick →【同意】→【确认同意】."""
    page = actor.page
    page.goto(f"/projects/{project.id}")
    page.get_by_test_id("site-link").click()
    unit = page.locator(f"tr[data-enterprise-id='{enterprise.id}']")
    expect(unit.get_by_test_id("pending-count")).to_have_text("1")
    unit.get_by_test_id("pending-count").get_by_role("link").click()
    listing = page.get_by_test_id("pending-list")
    expect(listing.locator("[data-task-id]")).to_have_count(1)
    expect(listing).to_contain_text(person_name)
    page.get_by_label("全选（共1人）").check()
    shoot(page, shot)
    page.get_by_test_id("bulk-bar").get_by_role("button", name="同意", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("确定同意所勾选人员分配到本项目吗")
    dialog.get_by_role("button", name="确认同意").click()
    expect(flash(page)).to_contain_text("已同意 1 人，0 人处理失败")
    expect(page.get_by_test_id("empty")).to_be_visible()


def roster_badge(page, project, enterprise, person_name: str):
    """The status badge of a person on the project roster (项目人员名册)."""
    page.goto(f"/projects/{project.id}/site/")
    return page.locator(f"#unit-{enterprise.id}").locator("li", has_text=person_name).locator(".badge")
