"""工资支付 in a real browser: the GC PM (desktop) sets the settlement day, 【新增银行交换批次号】,
【新增编制】, types the amounts (one typing error first) and 【提交审核】; four eyes: the review
(工资支付表审核) is not in the PM's 待办事项 but in the GC legal representative's, who approves
it from there; the PM 【生成汇总表】 and 【去签署】 with a demo-CA certificate uploaded
through the file field; then the legal representative follows the inbox to the
signing page, is refused once (wrong password) and signs with the enterprise certificate;
the batch shows 待推送 until the scheduler's delivery (`flask outbox deliver`) pushes it, then
已推送银行; the bank loses the files, and the PM's 【重新推送】 (a dialog with a reason) pushes
the same bytes again. The signed PDF's first page is rendered to PNG with pdftoppm
next to the screenshots, and a worker's phone shows the 工资条 after the bank's receipt."""
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from app.extensions import db
from app.models import BankBatch
from app.services import bank, bank_receipts, bank_settlement, demo_ca, signing
from tests.browser.steps import payroll
from tests.browser.steps.session import log_in_as
from tests.browser.test_onsite import read
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.staffing import employee, staffing

PASSWORD = "证书密码2026"


@pytest.fixture
def ca(app, tmp_path):
    authority = demo_ca.create_ca("上海建设演示CA")
    root = tmp_path / "ca.pem"
    root.write_bytes(authority.cert_pem)
    app.config.update(SIGNING_TRUST_ROOTS=[str(root)])
    return authority


def confirm_in(page, modal_id, button):
    modal = page.locator(f"#{modal_id}")
    expect(modal).to_be_visible()
    modal.get_by_role("button", name=button).click()


def test_gc_pm_drafts_the_legal_rep_reviews_the_pm_summarizes_and_both_sign(app, world, new_page, shoot, ca,
                                                                            tmp_path):
    site = staffing(world, workers=0)
    workers = [employee(world, site.gc.enterprise, name=name) for name in ("张建国", "李卫东")]
    for worker, days in zip(workers, (22, 20)):
        sign_ins(site.project, worker, [date(2026, 10, 26 + d) if d < 6 else date(2026, 11, d - 5) for d in range(days)])
    with_card(*workers)
    pid = site.project.id

    pm = new_page(reduced_motion="reduce")  # dialogs and panels open at once: screenshots show them whole
    log_in_as(pm, site.gc.pm)
    pm.goto(f"/projects/{pid}/site/")
    pm.get_by_test_id("payroll-link").click()
    expect(pm.get_by_test_id("empty")).to_be_visible()
    pm.locator("#settlement_day").select_option("25")
    pm.get_by_role("button", name="设置月工资结算日期").click()
    expect(pm.get_by_role("alert").first).to_contain_text("月工资结算日期已设置为每月25日")

    pm.get_by_test_id("new-batch").click()
    expect(pm.locator("#new-batch")).to_be_visible()
    pm.locator("#batch-month").fill("2026-11")
    shoot(pm, "gc-pm-new-batch")
    pm.get_by_test_id("batch-form").get_by_role("button", name="确认").click()
    batch_no = f"P{pid}-202611-1"
    expect(pm.get_by_role("alert").first).to_contain_text(batch_no)
    expect(pm.get_by_test_id("batch-status")).to_have_text("编制中")

    pm.get_by_test_id("tab-drafts").click()  # 【工资支付表编制】
    pm.get_by_test_id("new-draft").click()
    form = pm.get_by_test_id("draft-form")
    expect(form).to_be_visible()
    expect(form.locator("#draft-batch")).to_have_value(str(read(select(BankBatch.id))[0][0]))
    shoot(pm, "gc-pm-new-draft")
    form.get_by_role("button", name="确认").click()
    expect(pm.get_by_role("alert").first).to_contain_text("已生成工资支付表：2人")
    rows = pm.get_by_test_id("lines").locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("张建国")
    expect(pm.get_by_text(workers[0].id_number)).to_have_count(0)  # masked

    pm.get_by_label("应发工资 · 张建国").fill("8800.555")  # three decimals: refused, nothing saved
    pm.get_by_label("应发工资 · 李卫东").fill("8000")
    pm.get_by_test_id("save").click()
    expect(pm.get_by_role("alert").first).to_contain_text("本次未保存任何修改")
    expect(pm.locator(".invalid-feedback")).to_contain_text("最多两位小数")
    shoot(pm, "gc-pm-draft-typing-error")
    pm.get_by_label("应发工资 · 张建国").fill("8,800.50")
    pm.get_by_label("扣款 · 张建国").fill("300")
    pm.get_by_test_id("save").click()
    expect(pm.get_by_role("alert").first).to_have_text("已保存")
    expect(pm.get_by_test_id("total-net")).to_have_text("16,500.50")
    pm.get_by_test_id("submit").click()
    expect(pm.locator("#submit-confirm")).to_be_visible()
    shoot(pm, "gc-pm-submit-confirm")
    confirm_in(pm, "submit-confirm", "确认提交")
    expect(pm.get_by_role("alert").first).to_have_text("已提交审核")
    expect(pm.get_by_test_id("draft-status")).to_have_text("待施工总包审核")
    shoot(pm, "gc-pm-draft-submitted")

    expect(pm.get_by_test_id("review")).to_have_count(0)  # four eyes: not the drafter's to review
    pm.goto("/inbox/")
    expect(pm.get_by_role("link", name="工资支付表审核（施工总包）")).to_have_count(0)

    # 工资支付表审核 from the GC legal representative's inbox: the task links to the table; 同意 → 【确认】.
    legal = new_page(reduced_motion="reduce")
    log_in_as(legal, site.gc.enterprise.legal_rep)
    legal.goto("/inbox/")
    legal.get_by_role("link", name="工资支付表审核（施工总包）").click()
    expect(legal.get_by_test_id("handoff-link")).to_have_text("编制详情")
    legal.get_by_text("同意", exact=True).click()
    shoot(legal, "legal-rep-review-in-inbox")
    legal.get_by_test_id("task-form").get_by_role("button", name="确认").click()
    expect(legal.get_by_role("alert").first).to_contain_text("已处理")

    pm.goto(f"/projects/{pid}/payroll")
    pm.get_by_test_id("batch-link").click()
    expect(pm.get_by_test_id("draft-status")).to_have_text("审核通过")
    pm.get_by_test_id("summarize").click()
    confirm_in(pm, "summary-confirm", "确认")
    expect(pm.get_by_role("alert").first).to_contain_text("已生成汇总表和汇总文件")
    expect(pm.get_by_test_id("summary-pdf")).to_be_visible()
    shoot(pm, "gc-pm-summary")
    pm.get_by_test_id("sign-link").click()
    expect(pm.get_by_test_id("not-stored")).to_contain_text("系统不会保存")
    pm_cert = tmp_path / "pm.p12"
    pm_cert.write_bytes(demo_ca.issue_person(ca, site.gc.pm_person.name, site.gc.pm_person.id_number, PASSWORD))
    pm.locator("#certificate").set_input_files(str(pm_cert))
    pm.locator("#password").fill(PASSWORD)
    shoot(pm, "gc-pm-sign")
    pm.get_by_test_id("sign").click()
    confirm_in(pm, "sign-confirm", "确认签署")
    expect(pm.get_by_role("alert").first).to_contain_text("项目经理签署完成，等待施工总包单位签署")
    expect(pm.get_by_test_id("pm-step")).to_contain_text("已签署")
    shoot(pm, "gc-pm-signed")

    # The GC's legal representative: inbox → 【去签署】 → one refusal, then the enterprise certificate.
    legal.goto("/inbox/")
    legal.get_by_role("link", name="施工总包企业签署").click()
    expect(legal.get_by_test_id("task-form")).to_have_count(0)
    shoot(legal, "legal-rep-inbox-task")
    legal.get_by_test_id("handoff-link").click()
    enterprise_cert = tmp_path / "enterprise.pfx"
    enterprise_cert.write_bytes(demo_ca.issue_enterprise(ca, site.gc.enterprise.name, site.gc.enterprise.uscc,
                                                         PASSWORD))
    legal.locator("#certificate").set_input_files(str(enterprise_cert))
    legal.locator("#password").fill("wrong-password")
    legal.get_by_test_id("sign").click()
    confirm_in(legal, "sign-confirm", "确认签署")
    expect(legal.get_by_role("alert").first).to_contain_text("签署失败：数字证书密码不正确")
    shoot(legal, "legal-rep-wrong-password")
    legal.locator("#certificate").set_input_files(str(enterprise_cert))  # a refused page keeps no file
    legal.locator("#password").fill(PASSWORD)
    legal.get_by_test_id("sign").click()
    confirm_in(legal, "sign-confirm", "确认签署")
    expect(legal.get_by_role("alert").first).to_contain_text(
        "施工总包单位签署完成，工资支付表已进入待推送队列，系统将自动推送银行")
    expect(legal.get_by_test_id("redeliver")).to_have_count(0)  # the GC PM's
    payroll.pushed_after_queued(legal, app, shoot, "legal-rep-signed-pushed")
    outbox_folder = Path(app.config["BANK_OUTBOX"])
    sent = {p.name: p.read_bytes() for p in outbox_folder.rglob("*") if p.is_file()}

    # The bank says it never got the files (its client lost them): the GC PM pushes them again.
    shutil.rmtree(outbox_folder)
    pm.goto(f"/payroll/batches/{read(select(BankBatch.id))[0][0]}")
    expect(pm.get_by_test_id("delivery-state")).to_have_text("已推送")
    payroll.redeliver(pm, app, "银行称未收到该批次", shoot)
    assert {p.name: p.read_bytes() for p in outbox_folder.rglob("*") if p.is_file()} == sent  # the same bytes

    [(batch_id, document)] = read(select(BankBatch.id, BankBatch.document))
    expected = [("pm_signature", site.gc.pm_person.id_number), ("enterprise_signature", site.gc.enterprise.uscc)]
    with ThreadPoolExecutor(1) as pool:  # pyHanko runs its own event loop: not in Playwright's thread
        assert pool.submit(signing.validate, document, [ca.cert_pem], expected).result().ok
    pdf_page = shoot(legal, "batch-pushed").parent / "summary-page1"
    pdf = tmp_path / "summary.pdf"
    pdf.write_bytes(document)
    pdftoppm = shutil.which("pdftoppm")
    assert pdftoppm, "pdftoppm missing: apt-get install -y poppler-utils"
    subprocess.run([pdftoppm, "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(pdf_page)],
                   check=True, timeout=60)
    assert pdf_page.with_suffix(".png").stat().st_size > 10_000

    # The bank pays one and fails the other; the worker's phone shows the 工资条.
    batch = db.session.get(BankBatch, batch_id)
    lines = {line.person_id: line for d in batch.drafts for line in d.lines}
    bank_settlement.record_receipt(bank_receipts.Receipt(
        "RCPT-1", batch.batch_no, bank.message_id_for(batch.batch_no, batch.attempt), (
        bank_receipts.ReceiptLine(str(lines[workers[0].id].id), "paid"),
        bank_receipts.ReceiptLine(str(lines[workers[1].id].id), "failed", "账户已销户"))))
    db.session.commit()
    pm.reload()
    expect(pm.get_by_test_id("batch-status")).to_have_text("部分发放失败")
    expect(pm.get_by_test_id("resend")).to_be_visible()
    shoot(pm, "gc-pm-receipt")
    phone = new_page(phone=True)
    log_in_as(phone, workers[0].user)
    phone.goto("/me/wages")
    expect(phone.get_by_test_id("wage-net")).to_have_text("8,500.50")
    expect(phone.get_by_test_id("wage-status")).to_have_text("已发放")
    shoot(phone, "worker-wage-slip")
