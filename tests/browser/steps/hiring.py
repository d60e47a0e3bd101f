"""Becoming an employee (DOMAIN §1–2): sign-up and 个人信息登记 on a phone, the data
center's 【批量处理】, 【新建聘用关系】, the person's 【同意】 in 【消息通知】, 【聘用登记】."""
import re

from playwright.sync_api import expect

from tests.browser.steps.session import Actor, flash, open_menu, path_is


def sign_up(actor: Actor, phone_number: str, shoot) -> None:
    page = actor.page
    page.goto("/signup")
    expect(page.get_by_role("heading", name="注册账号")).to_be_visible()
    for name, value in {"username": actor.username, "password": actor.password, "name": actor.name,
                        "phone": phone_number}.items():
        page.locator(f"[name='{name}']").fill(value)
    shoot(page, "worker-signup")
    page.get_by_role("button", name="注册").click()
    expect(page).to_have_url(path_is("/"))
    expect(flash(page)).to_contain_text("注册成功")
    expect(page.locator("h1")).to_have_text(f"您好，{actor.name}")


def register(actor: Actor, id_number: str, phone_number: str, front, back, shoot) -> None:
    """个人信息登记: 【我已阅读以上填报须知】 →【开始登记】 → the form →【下一步】 → 已提交."""
    page = actor.page
    open_menu(page)
    page.get_by_role("link", name="个人信息登记").click()
    expect(page.get_by_role("heading", name="填报须知")).to_be_visible()
    page.get_by_label("我已阅读以上填报须知").check()
    page.get_by_role("button", name="开始登记").click()
    page.locator("[name='name']").fill(actor.name)
    page.locator("[name='id_number']").fill(id_number)
    page.locator("[name='phone']").fill(phone_number)
    page.locator("[name='id_front']").set_input_files(str(front))
    page.locator("[name='id_back']").set_input_files(str(back))
    shoot(page, "worker-registration-form")
    page.get_by_role("button", name="下一步").click()
    expect(flash(page)).to_contain_text("登记成功")
    status = page.get_by_test_id("registration-status")
    expect(status).to_contain_text("已提交")
    expect(status).to_contain_text("无需重复登记")
    expect(page.get_by_test_id("expected-by")).to_have_text(re.compile(r"^\d{4}-\d{2}-\d{2}"))
    shoot(page, "worker-registration-submitted")


def run_datacenter_batch(actor: Actor, person_name: str, shoot) -> None:
    """The data center operator's 【批量处理】 (a confirm() dialog first)."""
    page = actor.page
    page.get_by_role("link", name="登记审核").click()
    expect(page.get_by_text(person_name)).to_be_visible()
    shoot(page, "datacenter-queue")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="批量处理").click()
    expect(flash(page)).to_contain_text("通过1条")
    shoot(page, "datacenter-batch-done")


def propose_employment(actor: Actor, enterprise, person_name: str, id_number: str, shoot) -> None:
    """【企业聘用管理】 → the company → 人员管理 → 【新建聘用关系】 → name + ID → 【确认】."""
    page = actor.page
    page.goto("/")
    page.get_by_role("link", name=enterprise.name).first.click()
    page.get_by_test_id("staff-link").click()
    page.get_by_test_id("new-employment").click()
    page.locator("[name='name']").fill(person_name)
    page.locator("[name='id_number']").fill(id_number)
    shoot(page, "hr-new-employment")
    page.get_by_role("button", name="确认", exact=True).click()
    expect(page.get_by_text("待本人确认").first).to_be_visible()
    shoot(page, "hr-awaiting-consent")


def answer_in_inbox(actor: Actor, task_name: str, decision: str, expected: str, shoot, shot: str) -> None:
    """【消息通知】 → the task → 【同意】 (or another choice) → 【确认】 → the form's own message."""
    page = actor.page
    page.goto("/")
    expect(page.get_by_test_id("inbox-count")).to_be_visible()
    page.get_by_test_id("inbox-link").click()
    page.get_by_role("link", name=task_name).click()
    page.locator("label", has_text=re.compile(rf"^{decision}$")).click()
    shoot(page, shot)
    page.get_by_test_id("task-form").get_by_role("button", name="确认", exact=True).click()
    expect(flash(page)).to_contain_text(expected)


def register_employment(actor: Actor, enterprise, person_name: str, *, identity: str, job_type: str,
                        contract_start: str, wage_fen: int, shoot) -> None:
    """【聘用登记】 from the staff list: identity, job type, contract start, wage standard → 聘用成功."""
    page = actor.page
    page.goto(f"/enterprises/{enterprise.id}/staff/")
    page.get_by_role("link", name=person_name).click()
    page.get_by_test_id("register").click()
    page.locator("label", has_text=identity).click()
    page.locator("[name='job_type']").select_option(job_type)
    page.locator("[name='contract_start']").fill(contract_start)
    page.locator("[name='wage_standard']").fill(f"{wage_fen // 100}.{wage_fen % 100:02d}")  # typed in 元
    # the amount is read back grouped beside the input before it is submitted
    expect(page.get_by_test_id("fen-preview")).to_have_text(f"当前填写：{wage_fen // 100:,}.{wage_fen % 100:02d} 元")
    shoot(page, "hr-employment-registration")
    page.get_by_role("button", name="提交").click()
    expect(flash(page)).to_contain_text("聘用成功")
    page.goto(f"/enterprises/{enterprise.id}/staff/")
    expect(page.locator("tr", has_text=person_name)).to_contain_text("在职")
    shoot(page, "hr-staff-active")


def bind_bank_card(actor: Actor, bank_name: str, card_number: str, shoot) -> None:
    """个人信息登记 → 【工资银行卡】 → bank and card number → 【保存】."""
    page = actor.page
    open_menu(page)
    page.get_by_role("link", name="个人信息登记").click()
    page.get_by_role("link", name="工资银行卡").click()
    page.get_by_label("开户银行").fill(bank_name)
    page.get_by_label("银行卡号").fill(card_number)
    page.get_by_role("button", name="保存").click()
    expect(flash(page)).to_contain_text("银行卡已保存")
    expect(page.get_by_test_id("current-card")).to_contain_text(card_number[-4:])
    expect(page.get_by_test_id("current-card")).not_to_contain_text(card_number)  # masked
    shoot(page, "worker-bank-card")
