"""On site (DOMAIN §4–5): the 个人建设码 a phone shows, 【扫一扫】 with the manual entry
fallback (headless Chromium has no camera), the sign-in point, officers, 【班前签到】, 【确认退场】."""
from playwright.sync_api import expect

from tests.browser.steps.session import Actor, flash, open_menu


def personal_code(actor: Actor, shoot=None, shot: str | None = None) -> str:
    """Opens 【个人建设码】 and reads the code under the QR (显示编码), as one would read it out."""
    page = actor.page
    page.goto("/me/code")
    card = page.get_by_test_id("personal-code")
    expect(card.locator("svg")).to_be_visible()
    expect(card.get_by_test_id("code-name")).to_have_text(actor.name)
    card.get_by_text("显示编码").click()
    token = card.get_by_test_id("code-token")
    expect(token).to_be_visible()
    if shoot:
        shoot(page, shot)
    return token.inner_text().strip()


def scan(actor: Actor, project, token: str, purpose: str, expected: str, shoot, shot: str) -> None:
    """项目人员管理 →【扫一扫】→ the purpose (确认进场 / 上班打卡 / ...) → the code typed in →【确认】."""
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_test_id("scan-link").click()
    page.locator("label", has_text=purpose).click()
    expect(page.get_by_label(purpose)).to_be_checked()
    page.get_by_label("手动输入建设码").fill(token)
    page.get_by_test_id("scan-submit").click()
    if purpose == "确认进场":  # manual 000: 确认进场项目 →【确认进场】→ 进场成功
        confirm_entry(page, project, shoot, shot)
        expect(page.get_by_test_id("entry-success")).to_have_text(expected)
        expect(page.get_by_role("link", name="再次扫码")).to_be_visible()
        expect(page.get_by_role("link", name="返回首页")).to_be_visible()
    else:
        expect(flash(page)).to_have_text(expected)
        expect(page.get_by_role("button", name="再次扫码")).to_be_visible()
    shoot(page, shot)


def confirm_entry(page, project, shoot=None, shot: str | None = None) -> None:
    """确认进场项目 shows who and where; 【确认进场】 enters."""
    expect(page.get_by_role("heading", name="确认进场项目")).to_be_visible()
    expect(page.get_by_test_id("entry-project")).to_have_text(project.name)
    if shoot:
        shoot(page, f"{shot}-confirm")
    page.get_by_role("button", name="确认进场").click()
    expect(page.get_by_role("heading", name="进场成功")).to_be_visible()


def set_signin_point(actor: Actor, project, lng: float, lat: float, shoot) -> None:
    """【项目班前签到定位调整】 →【手动录入坐标】 (as read from a Chinese map: GCJ-02) →【确认】."""
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_test_id("location-link").click()
    expect(page.get_by_test_id("current-point")).to_contain_text("尚未设置签到地址")
    page.get_by_label("经度").fill(str(lng))
    page.get_by_label("纬度").fill(str(lat))
    page.get_by_role("button", name="确认").click()
    expect(flash(page)).to_have_text("签到地址已保存：签到范围300米")
    expect(page.get_by_test_id("current-point")).to_contain_text("GCJ-02")
    shoot(page, "gc-pm-signin-point")


def appoint_officer(actor: Actor, project, officer_name: str, shoot) -> None:
    """【项目角色授权管理】 →【添加授权】 → search the name → tick →【确认】."""
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_test_id("roles-link").click()
    page.get_by_test_id("add-officer").click()
    page.get_by_label("被授权人姓名").fill(officer_name[-2:])
    page.get_by_role("button", name="搜索").click()
    page.get_by_label(f"选择{officer_name}").check()
    shoot(page, "gc-pm-add-officer")
    page.get_by_role("button", name="确认", exact=True).click()
    expect(flash(page)).to_have_text(f"已授权{officer_name}为班前签到员")
    expect(page.get_by_test_id("officers")).to_contain_text(officer_name)
    shoot(page, "gc-pm-officers")


def worker_signs_in(actor: Actor, project, officer_token: str, distance_m: int, shoot) -> None:
    """【班前签到】 on the phone inside the range (the browser reports its position) →
    【签到】 → the officer's code typed in (no camera) →【提交签到】."""
    page = actor.page
    open_menu(page)
    page.get_by_test_id("signin-link").click()
    expect(page.get_by_test_id("signin-project")).to_have_text(project.name)
    expect(page.get_by_test_id("location-status")).to_contain_text(
        f"您已进入项目签到范围（距签到点约 {distance_m} 米）")
    button = page.get_by_test_id("signin-button")
    expect(button).to_be_enabled()
    shoot(page, "worker-signin-in-range")
    button.click()
    panel = page.get_by_test_id("scan-panel")
    expect(panel).to_be_visible()
    panel.get_by_label("手动输入签到员的建设码").fill(officer_token)
    panel.get_by_role("button", name="提交签到").click()
    expect(flash(page)).to_contain_text(f"{actor.name}签到成功")
    shoot(page, "worker-signed-in")


def exit_from_roster(actor: Actor, project, person_name: str, shoot) -> None:
    """The roster: tick the person →【确认退场】 → the dialog's 【确认退场】."""
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_label(f"选择{person_name}").check()
    page.get_by_test_id("exit-bar").get_by_role("button", name="确认退场").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("确定为所勾选的人员办理退场吗？")
    expect(dialog).to_contain_text("已勾选1人")
    expect(dialog.get_by_test_id("exit-names")).to_have_text(person_name)
    shoot(page, "gc-pm-exit-dialog")
    dialog.get_by_role("button", name="确认退场").click()
    expect(flash(page)).to_have_text(f"退场成功：{person_name}")
    expect(page.locator("li[data-allocation-id]", has_text=person_name)).to_have_count(0)  # off the roster
    shoot(page, "gc-pm-exited")
