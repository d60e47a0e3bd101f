"""工资支付 (DOMAIN §8): settlement day and 【新增银行交换批次号】 (GC PM), 【新增编制】 and
【提交审核】 (the unit's PM), review, 【生成汇总表】, both signatures, the push the outbox
delivers (as the scheduler does, `flask outbox deliver`) and 【重新推送】, and the bank's
side: the receipt it posts back, HMAC-signed, to the public receipt endpoint."""
import json
import urllib.error
import urllib.request
from pathlib import Path

from lxml import etree
from playwright.sync_api import expect

from app.services import bank
from tests.browser.steps.session import Actor, confirm_in, flash
from tests.test_cli import run

TRUSTED_CA = "上海建设演示CA"


def open_payroll(actor: Actor, project) -> None:
    page = actor.page
    page.goto(f"/projects/{project.id}/site/")
    page.get_by_test_id("payroll-link").click()
    expect(page.locator("h1")).to_contain_text("工资支付编制")


def set_settlement_day(actor: Actor, project, value: str, label: str) -> None:
    """【设置月工资结算日期】: a day 1–28, or 月末 (value "month_end")."""
    open_payroll(actor, project)
    page = actor.page
    page.locator("#settlement_day").select_option(value)
    page.get_by_role("button", name="设置月工资结算日期").click()
    expect(flash(page)).to_contain_text(f"月工资结算日期已设置为{label}")
    expect(page.get_by_test_id("settlement-day")).to_have_text(label)


def new_batch(actor: Actor, project, pay_month: str, shoot) -> str:
    """【新增银行交换批次号】 → the pay month →【确认】; returns the number the system issued."""
    page = actor.page
    page.get_by_test_id("new-batch").click()
    expect(page.locator("#new-batch")).to_be_visible()
    page.locator("#batch-month").fill(pay_month)
    page.get_by_test_id("batch-form").get_by_role("button", name="确认").click()
    batch_no = f"P{project.id}-{pay_month.replace('-', '')}-1"
    expect(flash(page)).to_contain_text(f"已生成银行交换批次号 {batch_no}（发放月份 {pay_month}）")
    expect(page.get_by_test_id("batch-status")).to_have_text("编制中")
    shoot(page, "gc-pm-batch")
    return batch_no


def draft_and_submit(actor: Actor, project, person_name: str, days: int, gross: str, deductions: str,
                     net: str, shoot) -> None:
    """【工资支付表编制】 →【新增编制】 →【确认】 → the days counted from the sign-ins → 应发 / 扣款 →
    【保存】→【提交审核】→【确认提交】."""
    open_payroll(actor, project)
    page = actor.page
    page.get_by_test_id("tab-drafts").click()
    page.get_by_test_id("new-draft").click()
    form = page.get_by_test_id("draft-form")
    expect(form).to_be_visible()
    form.get_by_role("button", name="确认").click()
    expect(flash(page)).to_contain_text("已生成工资支付表：1人")
    row = page.get_by_test_id("lines").locator("tbody tr", has_text=person_name)
    expect(row.locator("td").nth(3)).to_have_text(str(days))  # 出勤天数: the month's sign-ins
    page.get_by_label(f"应发工资 · {person_name}").fill(gross)
    page.get_by_label(f"扣款 · {person_name}").fill(deductions)
    page.get_by_test_id("save").click()
    expect(flash(page)).to_have_text("已保存")
    expect(page.get_by_test_id("total-net")).to_have_text(net)
    shoot(page, "sub-pm-draft")
    page.get_by_test_id("submit").click()
    confirm_in(page, "submit-confirm", "确认提交")
    expect(flash(page)).to_have_text("已提交审核")
    expect(page.get_by_test_id("draft-status")).to_have_text("待分包单位审核")
    shoot(page, "sub-pm-draft-submitted")


def review_from_inbox(actor: Actor, task_name: str, shoot, shot: str) -> None:
    """工资支付表审核 from 【待办事项】: the task → 同意 →【确认】."""
    page = actor.page
    page.goto("/inbox/")
    page.get_by_role("link", name=task_name).click()
    expect(page.get_by_test_id("handoff-link")).to_have_text("编制详情")
    page.get_by_text("同意", exact=True).click()
    shoot(page, shot)
    page.get_by_test_id("task-form").get_by_role("button", name="确认").click()
    expect(flash(page)).to_contain_text("已处理")


def review_on_draft_page(actor: Actor, project, shoot) -> None:
    """The GC PM opens the table from 【工资支付表审核】 →【查看详情】→【编制详情】 and reviews it
    there: 同意 →【确认】."""
    open_payroll(actor, project)
    page = actor.page
    page.get_by_test_id("tab-review").click()
    page.get_by_test_id("details").first.click()
    page.get_by_test_id("batch-drafts").first.get_by_test_id("draft-link").click()
    expect(page.get_by_test_id("draft-status")).to_have_text("待施工总包审核")
    review = page.get_by_test_id("review")
    review.locator("label[for='decision-agree']").click()
    shoot(page, "gc-pm-review")
    review.get_by_role("button", name="确认").click()
    expect(flash(page)).to_have_text("已审核通过")
    expect(page.get_by_test_id("draft-status")).to_have_text("审核通过")


def summarize(actor: Actor, project, net: str, shoot) -> None:
    """The batch →【生成汇总表】→【确认】: the summary table and its PDF."""
    open_payroll(actor, project)
    page = actor.page
    page.get_by_test_id("batch-link").click()
    page.get_by_test_id("summarize").click()
    confirm_in(page, "summary-confirm", "确认")
    expect(flash(page)).to_contain_text("已生成汇总表和汇总文件")
    expect(page.get_by_test_id("batch-total")).to_have_text(net)
    expect(page.get_by_test_id("summary-pdf")).to_be_visible()
    shoot(page, "gc-pm-summary")


def sign(page, certificate: Path, password: str, expected: str, shoot, shot: str) -> None:
    """The signing page: the certificate file and its password →【签署】→【确认签署】."""
    expect(page.get_by_test_id("not-stored")).to_contain_text("系统不会保存")
    page.locator("#certificate").set_input_files(str(certificate))
    page.locator("#password").fill(password)
    page.get_by_test_id("sign").click()
    confirm_in(page, "sign-confirm", "确认签署")
    expect(flash(page)).to_contain_text(expected)
    shoot(page, shot)


def scheduler_delivers(app) -> None:
    """What the scheduler does every few seconds, once: `flask outbox deliver`."""
    result = run(app, "outbox", "deliver")
    assert result.exit_code == 0 and result.output.startswith("delivered 1,"), result.output


def pushed_after_queued(page, app, shoot, shot: str) -> None:
    """The batch after the second signature: 待推送; the scheduler delivers; 已推送银行."""
    expect(page.get_by_test_id("batch-status")).to_have_text("已签署，待推送银行")
    expect(page.get_by_test_id("delivery-state")).to_have_text("待推送")
    shoot(page, f"{shot}-queued")
    scheduler_delivers(app)
    page.reload()
    expect(page.get_by_test_id("batch-status")).to_have_text("已推送银行")
    expect(page.get_by_test_id("delivery-state")).to_have_text("已推送")
    expect(page.get_by_test_id("pay-results")).to_contain_text("待银行回执")
    shoot(page, shot)


def redeliver(page, app, reason: str, shoot) -> None:
    """【重新推送】 on the batch page (the bank says it never got the files) →
    the reason →【确认】: 待推送 again, and the scheduler pushes the same files."""
    page.get_by_test_id("redeliver").click()
    expect(page.locator("#redeliver-confirm")).to_be_visible()
    page.get_by_test_id("redeliver-reason").fill(reason)
    shoot(page, "gc-pm-redeliver-confirm")
    confirm_in(page, "redeliver-confirm", "确认")
    expect(flash(page)).to_contain_text("已重新加入待推送队列，系统将自动推送银行")
    expect(page.get_by_test_id("delivery-state")).to_have_text("待推送")
    scheduler_delivers(app)
    page.reload()
    expect(page.get_by_test_id("delivery-state")).to_have_text("已推送")
    shoot(page, "gc-pm-redelivered")


def receipt_for_outbox(outbox: Path, batch_no: str) -> dict:
    """What the bank answers for the batch it picked up from the outbox: every line paid."""
    folder = Path(outbox) / bank.message_id_for(batch_no)
    tree = etree.fromstring((folder / f"{folder.name}.xml").read_bytes())
    ns = {"p": bank.NS}
    message_id = tree.findtext(".//p:GrpHdr/p:MsgId", namespaces=ns)
    ids = [e.text for e in tree.iterfind(".//p:CdtTrfTxInf/p:PmtId/p:EndToEndId", ns)]
    return {"receipt_id": f"RCPT-{message_id}", "batch_no": batch_no, "message_id": message_id,
            "lines": [{"end_to_end_id": i, "status": "paid"} for i in ids]}


def post_receipt(base_url: str, receipt: dict, key: bytes) -> tuple[int, dict]:
    """POSTs the receipt as the bank does: JSON with its HMAC in X-Bank-Signature."""
    body = json.dumps(receipt, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(f"{base_url}/api/v1/bank/receipts", data=body, method="POST", headers={
        "Content-Type": "application/json", bank.SIGNATURE_HEADER: bank.sign(body, key)})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")
