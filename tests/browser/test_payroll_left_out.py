"""【生成汇总表】 with a unit left out, in a real browser under the app's CSP: the dialog names
the subcontractor whose workers signed in with no table and their number; 【确认】 with its
box unticked is refused naming it; ticked, the summary is made and says 本期未纳入, and the
subcontractor's PM finds the notice on its 工资支付 page."""
from datetime import date

from playwright.sync_api import expect

from app.extensions import db
from app.models import HumanTask
from app.services import payroll
from app.workflow import inbox, runtime
from tests.browser.steps.session import log_in_as
from tests.browser.test_payroll import confirm_in
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.staffing import staffing

NOV = [date(2026, 11, d) for d in (2, 3, 4)]


def approved_gc_table(site):
    """Settlement day 25, the 2026-11 batch, the GC's table approved; the sub drafted nothing."""
    payroll.set_settlement_day(site.gc.pm, site.project, "25")
    batch = payroll.create_batch(site.gc.pm, site.project, "2026-11")
    sign_ins(site.project, site.gc.workers[0], NOV)
    with_card(site.gc.workers[0])
    draft = payroll.create_draft(site.gc.pm, site.project, batch.id, "2026-11")
    for line in draft.lines:
        payroll.set_line(site.gc.pm, draft, line.id, 1_000_00, 0)
    payroll.submit(site.gc.pm, draft)
    db.session.commit()
    # four eyes: the GC's HR reviews the table its PM drafted
    [task] = db.session.scalars(inbox.my_tasks(site.gc.hr).where(HumanTask.task_key == "gc_review")).all()
    runtime.complete(task, site.gc.hr, {"decision": "agree", "comment": ""})
    db.session.commit()
    return batch


def test_the_gc_pm_leaves_a_unit_out_explicitly_and_its_pm_is_told(world, new_page, shoot):
    site = staffing(world, workers=2)
    batch = approved_gc_table(site)
    for worker in site.sub.workers:
        sign_ins(site.project, worker, NOV)
    sub = site.sub.enterprise.name

    pm = new_page(reduced_motion="reduce")
    log_in_as(pm, site.gc.pm)
    pm.goto(f"/payroll/batches/{batch.id}")
    expect(pm.get_by_test_id("units-without-table")).to_contain_text(f"{sub}（2人签到）")
    pm.get_by_test_id("summarize").click()
    choice = pm.locator("#summary-confirm").get_by_test_id("left-out-choice")
    expect(choice).to_be_visible()
    expect(choice).to_contain_text(f"本期不纳入：{sub}（2人签到）")
    shoot(pm, "gc-pm-summary-dialog-with-a-unit-without-table")
    confirm_in(pm, "summary-confirm", "确认")
    expect(pm.get_by_role("alert").first).to_contain_text(f"本批次没有其审核通过的工资支付表：{sub}")
    expect(pm.get_by_test_id("batch-status")).to_have_text("编制中")
    shoot(pm, "gc-pm-summary-refused")

    pm.get_by_test_id("summarize").click()
    pm.locator("#summary-confirm").get_by_label(f"本期不纳入：{sub}（2人签到）").check()
    confirm_in(pm, "summary-confirm", "确认")
    expect(pm.get_by_role("alert").first).to_contain_text("已生成汇总表和汇总文件")
    expect(pm.get_by_test_id("left-out")).to_contain_text(f"{sub}（2人签到）")
    shoot(pm, "gc-pm-summary-with-a-unit-left-out")

    sub_pm = new_page()
    log_in_as(sub_pm, site.sub.pm)
    sub_pm.goto(f"/projects/{site.project.id}/payroll")
    expect(sub_pm.get_by_test_id("left-out-notice")).to_contain_text("未纳入本单位")
    expect(sub_pm.get_by_test_id("left-out-notice")).to_contain_text("请与总包项目经理联系")
    shoot(sub_pm, "sub-pm-left-out-notice")
