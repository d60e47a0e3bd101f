"""工资支付编制's four entries in a real browser at 1366 px, as manual 004 四 walks them: the
GC PM 【查询】s 【银行交换批次号】, finds the approved table in 【工资支付表编制】, opens
【工资支付表审核】 →【查看详情】 and 【生成汇总表】 there, then 【工资支付表推送银行】 →【去签署】;
the GC's legal representative opens the enterprise's own 【工资支付表推送银行】 across its
projects, 【查询】s it by project and 【去签署】s with the enterprise certificate."""
from playwright.sync_api import expect

from tests.browser.steps.session import log_in_as
from tests.browser.test_payroll import PASSWORD, ca  # noqa: F401 — the trusted demo CA fixture
from tests.browser.test_payroll import confirm_in
from tests.browser.test_payroll_left_out import approved_gc_table
from tests.support.staffing import staffing
from app.services import demo_ca

DESKTOP = {"width": 1366, "height": 900}


def test_the_gc_pm_walks_the_four_entries_and_the_legal_rep_signs_from_the_enterprise_list(
        world, new_page, shoot, ca, tmp_path):  # noqa: F811
    site = staffing(world, workers=1)
    batch = approved_gc_table(site)
    pid, batch_no = site.project.id, batch.batch_no

    pm = new_page(viewport=DESKTOP, reduced_motion="reduce")
    log_in_as(pm, site.gc.pm)
    pm.goto(f"/projects/{pid}/site/")
    pm.get_by_test_id("payroll-link").click()
    # 【银行交换批次号】
    expect(pm.get_by_test_id("tab-batches")).to_have_attribute("aria-current", "page")
    pm.locator("#q-month").fill("2026-10")
    pm.get_by_test_id("query").click()
    expect(pm.get_by_test_id("nothing-found")).to_be_visible()
    pm.locator("#q-month").fill("2026-11")
    pm.get_by_test_id("query").click()
    expect(pm.get_by_test_id("batches")).to_contain_text(batch_no)
    shoot(pm, "gc-pm-batch-numbers")

    # 【工资支付表编制】: the table, 审核通过, read-only
    pm.get_by_test_id("tab-drafts").click()
    pm.locator("#q-status").select_option(label="审核通过")
    pm.get_by_test_id("query").click()
    expect(pm.get_by_test_id("draft-status")).to_have_text(["审核通过"])
    expect(pm.get_by_test_id("draft-link")).to_have_text(["编制详情"])
    shoot(pm, "gc-pm-drafts")

    # 【工资支付表审核】 →【查看详情】→ the tables →【生成汇总表】
    pm.get_by_test_id("tab-review").click()
    pm.get_by_test_id("details").click()
    drafts = pm.get_by_test_id("batch-drafts")
    expect(drafts).to_be_visible()
    expect(drafts.get_by_test_id("draft-link")).to_have_text(["编制详情"])
    expect(drafts).to_contain_text(site.gc.enterprise.name)
    shoot(pm, "gc-pm-review-details")
    pm.get_by_test_id("summarize").click()
    expect(pm.locator(f"#summary-confirm-{batch.id}")).to_be_visible()
    shoot(pm, "gc-pm-review-summary-dialog")
    confirm_in(pm, f"summary-confirm-{batch.id}", "确认")
    expect(pm.get_by_role("alert").first).to_contain_text("已生成汇总表和汇总文件")

    # 【工资支付表推送银行】 →【去签署】 with the PM's own certificate
    pm.goto(f"/projects/{pid}/payroll")
    pm.get_by_test_id("tab-bank").click()
    expect(pm.get_by_test_id("batch-status")).to_have_text(["已生成汇总表，待项目经理签署"])
    expect(pm.get_by_test_id("summary-pdf")).to_have_text("生成汇总文件")
    shoot(pm, "gc-pm-bank-push")
    pm.get_by_test_id("sign-link").click()
    pm_cert = tmp_path / "pm.p12"
    pm_cert.write_bytes(demo_ca.issue_person(ca, site.gc.pm_person.name, site.gc.pm_person.id_number, PASSWORD))
    pm.locator("#certificate").set_input_files(str(pm_cert))
    pm.locator("#password").fill(PASSWORD)
    pm.get_by_test_id("sign").click()
    confirm_in(pm, "sign-confirm", "确认签署")
    expect(pm.get_by_role("alert").first).to_contain_text("项目经理签署完成，等待施工总包单位签署")

    # The legal representative: the enterprise's 【工资支付表推送银行】 →【查询】→【去签署】
    legal = new_page(viewport=DESKTOP, reduced_motion="reduce")
    log_in_as(legal, site.gc.enterprise.legal_rep)
    legal.goto("/payroll/bank-push")
    legal.locator("#q-project").select_option(label=site.project.name)
    legal.locator("#q-status").select_option(label="项目经理已签署，待施工总包单位签署")
    legal.get_by_test_id("query").click()
    row = legal.get_by_test_id("push-batches").locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(site.project.name)
    expect(row).to_contain_text(batch_no)
    shoot(legal, "legal-rep-enterprise-bank-push")
    row.get_by_test_id("sign-link").click()
    enterprise_cert = tmp_path / "enterprise.pfx"
    enterprise_cert.write_bytes(demo_ca.issue_enterprise(ca, site.gc.enterprise.name, site.gc.enterprise.uscc,
                                                         PASSWORD))
    legal.locator("#certificate").set_input_files(str(enterprise_cert))
    legal.locator("#password").fill(PASSWORD)
    shoot(legal, "legal-rep-sign")
    legal.get_by_test_id("sign").click()
    confirm_in(legal, "sign-confirm", "确认签署")
    expect(legal.get_by_role("alert").first).to_contain_text("施工总包单位签署完成")
    legal.goto("/payroll/bank-push")
    expect(legal.get_by_test_id("batch-status")).to_have_text(["已签署，待推送银行"])
    expect(legal.get_by_test_id("sign-link")).to_have_count(0)
    shoot(legal, "legal-rep-enterprise-bank-push-signed")
