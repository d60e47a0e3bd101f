"""Payroll pages (DOMAIN §8, manual 四): the project's 工资支付编制 home with
【设置月工资结算日期】, 【新增银行交换批次号】 and 【新增编制】; the draft page with amounts typed
in yuan (all or nothing), 【提交审核】 and the review; the batch page with 【生成汇总表】 (refused
until every draft is approved), the summary file, 【去签署】 with demo-CA certificates (PM first,
then the GC enterprise), the bank's receipt and 【重新发送】; the inbox's hand-off to these pages;
the worker's 工资条 — who may open each page, and that no input makes a 500."""
import io
import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, BankBatch, HumanTask, PayrollDraft, PayrollLine
from app.services import bank, bank_receipts, bank_settlement, demo_ca, outbox, payroll
from app.services import payroll_batch as batch_service
from app.services.calendar import today_in_shanghai
from app.workflow import inbox, runtime
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.factories import csrf_from, log_in
from tests.support.staffing import staffing

PASSWORD = "证书密码2026"
NOV = [date(2026, 11, d) for d in (2, 3, 4)]


@pytest.fixture
def s(world, client, app, tmp_path):  # `client` makes app.test_client() isolate each request
    ca = demo_ca.create_ca()
    root = tmp_path / "ca.pem"
    root.write_bytes(ca.cert_pem)
    app.config.update(SIGNING_TRUST_ROOTS=[str(root)])
    s = staffing(world, workers=2)
    s.ca = ca
    return s


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def text(response) -> str:
    return response.get_data(as_text=True)


def alerts(html: str) -> list[str]:
    found = re.findall(r'<div class="alert alert-\w+[^"]*"[^>]*>(.*?)</div>', html, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", m)).strip() for m in found]


def post(browser, path, data, page, follow=True, **kwargs):
    """Posts with the CSRF token of `page` and follows one redirect."""
    token = csrf_from(text(browser.get(page)))
    response = browser.post(path, data={**data, "csrf_token": token}, **kwargs)
    if follow and response.status_code == 302:
        return browser.get(response.headers["Location"])
    return response


def home(s) -> str:
    return f"/projects/{s.project.id}/payroll"


def fresh(model, record_id):
    db.session.expire_all()
    return db.session.get(model, record_id)


def open_batch(s, month="2026-11") -> BankBatch:
    if not s.project.settlement_day:
        payroll.set_settlement_day(s.gc.pm, s.project, "25")
    batch = payroll.create_batch(s.gc.pm, s.project, month)
    db.session.commit()
    return batch


def gc_draft(s, batch, cards=True) -> PayrollDraft:
    for worker in s.gc.workers:
        sign_ins(s.project, worker, NOV)
    if cards:
        with_card(*s.gc.workers)
    draft = payroll.create_draft(s.gc.pm, s.project, batch.id, batch.pay_month)
    db.session.commit()
    return draft


def task_of(user, key) -> HumanTask:
    [row] = db.session.scalars(inbox.my_tasks(user).where(HumanTask.task_key == key)).all()
    return row


# --- the project's payroll home ------------------------------------------------------------

def test_the_payroll_home_is_for_the_projects_staff(app, s, world):
    gc_pm = text(signed_in(app, s.gc.pm).get(home(s)))
    assert "工资支付编制" in gc_pm and "新增银行交换批次号" in gc_pm and "新增编制" in gc_pm
    assert 'data-testid="settlement-form"' in gc_pm and 'data-testid="empty"' in gc_pm and "未设置" in gc_pm
    sub_pm = text(signed_in(app, s.sub.pm).get(home(s)))
    assert "新增编制" in sub_pm and 'data-testid="new-batch"' not in sub_pm and 'data-testid="settlement-form"' not in sub_pm
    gc_hr = text(signed_in(app, s.gc.hr).get(home(s)))
    assert 'data-testid="new-draft"' not in gc_hr and 'data-testid="new-batch"' not in gc_hr
    assert signed_in(app, s.sub.hr).get(home(s)).status_code == 200
    assert signed_in(app, world.hr_admin(world.enterprise())).get(home(s)).status_code == 404  # another enterprise
    assert signed_in(app, s.gc.workers[0].user).get(home(s)).status_code == 404
    assert signed_in(app, s.gc.pm).get("/projects/999999/payroll").status_code == 404
    assert signed_in(app, s.gc.pm).get("/projects/99999999999999999999/payroll").status_code == 404
    assert app.test_client().get(home(s)).status_code == 302  # to the login page
    overview = text(signed_in(app, s.sub.hr).get(f"/projects/{s.project.id}/site/"))
    assert f'href="{home(s)}"' in overview


def test_the_gc_pm_sets_the_settlement_day(app, s, world):
    pm = signed_in(app, s.gc.pm)
    url = f"{home(s)}/settlement-day"
    page = post(pm, url, {"settlement_day": "25"}, home(s))
    assert "月工资结算日期已设置为每月25日" in alerts(text(page)) and fresh(type(s.project), s.project.id).settlement_day == "25"
    for bad in ("31", "0", "abc", "", "2.5", "<script>"):
        refused = post(pm, url, {"settlement_day": bad}, home(s))
        assert refused.status_code == 422 and "is-invalid" in text(refused), bad
        assert fresh(type(s.project), s.project.id).settlement_day == "25"
    page = post(pm, url, {"settlement_day": "month_end"}, home(s))
    assert 'data-testid="settlement-day">月末<' in text(page)
    assert post(signed_in(app, s.sub.pm), url, {"settlement_day": "10"}, home(s)).status_code == 403
    assert post(signed_in(app, s.gc.hr), url, {"settlement_day": "10"}, home(s)).status_code == 403
    outsider = signed_in(app, world.hr_admin(world.enterprise()))
    assert post(outsider, url, {"settlement_day": "10"}, "/").status_code == 404
    assert fresh(type(s.project), s.project.id).settlement_day == "month_end"


def test_the_gc_pm_issues_one_batch_number_per_month(app, s):
    pm = signed_in(app, s.gc.pm)
    url = f"{home(s)}/batches"
    refused = post(pm, url, {"pay_month": "2026-11"}, home(s))
    assert refused.status_code == 422 and "请先设置结算日" in text(refused)
    payroll.set_settlement_day(s.gc.pm, s.project, "25")
    db.session.commit()
    page = post(pm, url, {"pay_month": "2026-11"}, home(s))
    number = f"P{s.project.id}-202611-1"
    assert f"已生成银行交换批次号 {number}（发放月份 2026-11）" in alerts(text(page))
    assert "2026-10-26 至 2026-11-25" in text(page) and "编制中" in text(page)
    again = post(pm, url, {"pay_month": "2026-11"}, home(s))
    assert again.status_code == 422 and "该月份已有银行交换批次号" in text(again)
    for bad in ("2026-13", "26-11", "2026/11", "", "2026-1", "1999-01"):
        assert post(pm, url, {"pay_month": bad}, home(s)).status_code == 422, bad
    assert db.session.scalar(select(db.func.count(BankBatch.id))) == 1
    assert post(signed_in(app, s.sub.pm), url, {"pay_month": "2026-12"}, home(s)).status_code == 403
    # Everyone on the project sees the batch; only the GC side gets its details.
    assert number in text(signed_in(app, s.sub.pm).get(home(s)))
    assert 'data-testid="batch-link"' not in text(signed_in(app, s.sub.pm).get(home(s)))
    assert 'data-testid="batch-link"' in text(signed_in(app, s.gc.hr).get(home(s)))


# --- 新增编制 and the draft page ------------------------------------------------------------------

def test_a_pm_drafts_from_the_sign_ins_and_types_amounts_in_yuan(app, s, world):
    batch = open_batch(s)
    a, b = s.gc.workers
    sign_ins(s.project, a, NOV)
    sign_ins(s.project, b, NOV[:1])
    with_card(a)
    pm = signed_in(app, s.gc.pm)
    page = post(pm, f"{home(s)}/drafts", {"pay_month": "2026-11", "batch_id": batch.id}, home(s))
    draft = db.session.scalar(select(PayrollDraft))
    assert "已生成工资支付表：2人" in " ".join(alerts(text(page)))
    html = text(page)
    assert a.name in html and b.name in html and a.id_number not in html and a.id_number[-4:] in html
    assert "未绑定" in html and b.name in " ".join(alerts(html))  # b has no card: flagged
    lines = {line.person_id: line for line in draft.lines}
    assert (lines[a.id].days, lines[b.id].days) == (3, 1)
    url = f"/payroll/drafts/{draft.id}"
    la, lb = lines[a.id].id, lines[b.id].id

    def typed(ga, da, gb, db_):
        return {f"gross-{la}": ga, f"deductions-{la}": da, f"gross-{lb}": gb, f"deductions-{lb}": db_,
                "action": "save"}

    for bad in (typed("8000", "", "abc", ""), typed("8000", "", "-5", ""), typed("8000", "", "100.123", ""),
                typed("8000", "", "1e3", ""), typed("8000", "", "10000000.01", ""), typed("8000", "", "１００", ""),
                typed("100", "200", "300", ""), typed("", "50", "300", ""), typed("8000", "", "x" * 5000, "")):
        refused = post(pm, url, bad, url)
        assert refused.status_code == 422, bad
        assert "本次未保存任何修改" in text(refused) and 'class="invalid-feedback d-block"' in text(refused)
        assert [(line.gross_fen, line.net_fen) for line in fresh(PayrollDraft, draft.id).lines] == [(None, None)] * 2
    negative = post(pm, url, typed("100", "200", "300", ""), url)
    assert "扣款不能大于应发工资" in text(negative) and 'value="200"' in text(negative)  # what was typed stays
    saved = post(pm, url, typed(" 8,000.5 ", "150", "300", "0"), url)
    assert "已保存" in alerts(text(saved))
    line_a, line_b = (fresh(PayrollLine, la), fresh(PayrollLine, lb))
    assert (line_a.gross_fen, line_a.deductions_fen, line_a.net_fen) == (800050, 15000, 785050)
    assert (line_b.gross_fen, line_b.deductions_fen, line_b.net_fen) == (30000, 0, 30000)
    assert "7,850.50" in text(saved) and "8,150.50" in text(saved)  # the line's net and the total net
    cleared = post(pm, url, typed("", "", "300", ""), url)  # an amount once saved cannot be blanked
    assert cleared.status_code == 422 and fresh(PayrollLine, la).gross_fen == 800050

    assert signed_in(app, s.sub.pm).get(url).status_code == 403  # the GC's table, not the sub's
    assert post(signed_in(app, s.gc.hr), url, typed("1", "", "1", ""), url).status_code == 403  # sees, may not edit
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url).status_code == 404
    assert pm.get("/payroll/drafts/999999").status_code == 404
    assert pm.get("/payroll/drafts/99999999999999999999").status_code == 404
    again = post(pm, f"{home(s)}/drafts", {"pay_month": "2026-11", "batch_id": batch.id}, home(s))
    assert again.status_code == 422 and "本单位在该批次已有工资支付表" in text(again)
    for bad in ({"pay_month": "2026-10", "batch_id": batch.id}, {"pay_month": "2026-11", "batch_id": "x"},
                {"pay_month": "2026-11", "batch_id": "99999999999999"}, {"pay_month": "2026-11", "batch_id": 999}):
        assert post(pm, f"{home(s)}/drafts", bad, home(s)).status_code == 422, bad
    assert post(signed_in(app, s.gc.hr), f"{home(s)}/drafts", {"pay_month": "2026-11", "batch_id": batch.id},
                home(s)).status_code == 403


def test_a_long_table_is_typed_a_page_at_a_time(app, s, monkeypatch):
    from app.web import payroll_drafts
    monkeypatch.setattr(payroll_drafts, "LINES_PER_PAGE", 1)
    draft = gc_draft(s, open_batch(s))
    first, second = draft.lines
    pm = signed_in(app, s.gc.pm)
    url = f"/payroll/drafts/{draft.id}"
    page_one = text(pm.get(url))
    assert f'name="gross-{first.id}"' in page_one and f'name="gross-{second.id}"' not in page_one
    assert "第 1 / 2 页" in page_one and "翻页前请先【保存】本页" in page_one
    saved = post(pm, f"{url}?page=2", {f"gross-{second.id}": "500", "action": "save"}, f"{url}?page=2")
    assert "已保存" in alerts(text(saved)) and f'name="gross-{second.id}"' in text(saved)  # back on page 2
    assert (fresh(PayrollLine, first.id).gross_fen, fresh(PayrollLine, second.id).gross_fen) == (None, 50000)
    assert "合计（全部2人）" in text(saved) and "500.00" in text(saved)
    for odd in ("0", "-3", "abc", "99999999999999999999999"):
        assert pm.get(f"{url}?page={odd}").status_code == 200, odd


def test_submit_needs_every_card_then_the_table_is_read_only(app, s):
    batch = open_batch(s)
    draft = gc_draft(s, batch, cards=False)
    pm = signed_in(app, s.gc.pm)
    url = f"/payroll/drafts/{draft.id}"
    amounts = {f"gross-{line.id}": "300" for line in draft.lines}
    refused = post(pm, url, {**amounts, "action": "submit"}, url)
    assert refused.status_code == 422
    assert any(f"以下人员未绑定银行卡，不能提交：{s.gc.workers[0].name}" in a for a in alerts(text(refused)))
    assert fresh(PayrollDraft, draft.id).status == "drafting"
    assert all(line.gross_fen is None for line in fresh(PayrollDraft, draft.id).lines)  # nothing half-done
    assert 'data-testid="submit"' in text(pm.get(url))  # 【提交审核】 with its confirmation dialog
    assert 'id="submit-confirm"' in text(pm.get(url))
    with_card(*s.gc.workers)
    page = post(pm, url, {**amounts, "action": "submit"}, url)
    assert "已提交审核" in alerts(text(page)) and "待施工总包审核" in text(page)
    assert fresh(PayrollDraft, draft.id).status == "gc_review"
    assert 'name="gross-' not in text(page) and "300.00" in text(page)  # read-only now
    assert "提交审核" in text(page) and s.gc.pm.name in text(page)  # the history
    late = post(pm, url, {f"gross-{draft.lines[0].id}": "1", "action": "save"}, url)
    assert "工资支付表已提交审核，不能修改" in alerts(text(late))
    assert fresh(PayrollLine, draft.lines[0].id).gross_fen == 30000


def test_a_subcontractors_table_is_returned_through_the_inbox_and_resubmitted(app, s):
    batch = open_batch(s)
    worker = s.sub.workers[0]
    sign_ins(s.project, worker, NOV)
    with_card(worker)
    draft = payroll.create_draft(s.sub.pm, s.project, batch.id, "2026-11")
    db.session.commit()
    sub_pm = signed_in(app, s.sub.pm)
    url = f"/payroll/drafts/{draft.id}"
    [line] = draft.lines
    post(sub_pm, url, {f"gross-{line.id}": "600", "action": "submit"}, url)
    assert fresh(PayrollDraft, draft.id).status == "sub_review"
    assert signed_in(app, s.gc.pm).get(url).status_code == 200  # the GC sees every table of its project

    hr = signed_in(app, s.sub.hr)  # the sub's HR reviews in the inbox, with a link to the table
    task = task_of(s.sub.hr, "sub_review")
    task_page = text(hr.get(f"/inbox/{task.id}"))
    assert f'href="{url}"' in task_page and 'data-testid="task-form"' in task_page
    empty = post(hr, f"/inbox/{task.id}", {"decision": "reject", "comment": ""}, f"/inbox/{task.id}")
    assert "不同意时请填写原因" in text(empty) and fresh(PayrollDraft, draft.id).status == "sub_review"
    post(hr, f"/inbox/{task.id}", {"decision": "reject", "comment": "出勤天数有误"}, f"/inbox/{task.id}")
    returned = fresh(PayrollDraft, draft.id)
    assert (returned.status, returned.review_comment) == ("returned", "出勤天数有误")

    page = text(sub_pm.get(url))
    assert "退回意见：出勤天数有误" in page and f'name="gross-{line.id}"' in page  # editable again
    revise = task_of(s.sub.pm, "revise")
    revise_page = text(sub_pm.get(f"/inbox/{revise.id}"))
    assert 'data-testid="task-form"' not in revise_page and f'href="{url}"' in revise_page
    bounced = post(sub_pm, f"/inbox/{revise.id}", {"confirm": "y"}, f"/inbox/{revise.id}", follow=False)
    assert bounced.headers["Location"].endswith(url)  # the inbox does not resubmit without the table
    assert fresh(HumanTask, revise.id).status == "open"
    page = post(sub_pm, url, {f"gross-{line.id}": "650", f"deductions-{line.id}": "50", "action": "submit"}, url)
    assert "已重新提交审核" in alerts(text(page)) and fresh(PayrollDraft, draft.id).status == "sub_review"
    assert fresh(PayrollLine, line.id).net_fen == 60000
    assert "退回" in text(page) and "出勤天数有误" in text(page)  # the history keeps the return

    # The review on the table's own page: the sub's reviewer, then the GC PM.
    review = f"{url}/review"
    assert 'data-testid="review"' in text(hr.get(url))
    post(hr, review, {"decision": "agree"}, url)
    assert fresh(PayrollDraft, draft.id).status == "gc_review"
    assert 'data-testid="review"' not in text(hr.get(url))
    stale = post(hr, review, {"decision": "agree"}, url)
    assert "当前没有待您审核的步骤" in " ".join(alerts(text(stale)))
    gc = signed_in(app, s.gc.pm)
    bad = post(gc, review, {"decision": "maybe"}, url)
    assert bad.status_code == 422 and fresh(PayrollDraft, draft.id).status == "gc_review"
    page = post(gc, review, {"decision": "agree"}, url)
    assert "已审核通过" in alerts(text(page)) and fresh(PayrollDraft, draft.id).status == "approved"


# --- the batch: summary, signatures, the bank -------------------------------------------------

def approved(s, app) -> BankBatch:
    batch = open_batch(s)
    draft = gc_draft(s, batch)
    for line in draft.lines:
        payroll.set_line(s.gc.pm, draft, line.id, 1_200_00, 100_00)
    payroll.submit(s.gc.pm, draft)
    db.session.commit()
    return batch


def upload(browser, batch_id, p12, password=PASSWORD):
    url = f"/payroll/batches/{batch_id}/sign"
    token = csrf_from(text(browser.get(url)))
    return browser.post(url, data={"csrf_token": token, "certificate": (io.BytesIO(p12), "cert.p12"),
                                   "password": password}, content_type="multipart/form-data")


def test_the_summary_is_refused_until_every_table_is_approved(app, s, world):
    batch = approved(s, app)
    url = f"/payroll/batches/{batch.id}"
    pm = signed_in(app, s.gc.pm)
    page = text(pm.get(url))
    assert "生成汇总表" in page and 'id="summary-confirm"' in page and 'data-testid="summary-hint"' in page
    refused = post(pm, f"{url}/summary", {}, url)
    assert "该批次还有工资支付表未经施工总包审核通过，不能生成汇总表" in alerts(text(refused))
    assert fresh(BankBatch, batch.id).status == "open"
    assert post(signed_in(app, s.gc.hr), f"{url}/summary", {}, url).status_code == 403  # the GC PM only
    assert signed_in(app, s.sub.pm).get(url).status_code == 403
    assert signed_in(app, world.hr_admin(world.enterprise())).get(url).status_code == 404
    assert pm.get("/payroll/batches/999999").status_code == 404
    assert pm.get(f"{url}/summary.pdf").status_code == 404  # no file yet

    # Four eyes: the GC PM drafted the table, so its review is the GC HR's, on the table's page.
    task = task_of(s.gc.hr, "gc_review")
    table = f"/payroll/drafts/{task.subject['draft_id']}"
    assert 'data-testid="review"' not in text(pm.get(table))
    mine = post(pm, f"{table}/review", {"decision": "agree"}, table)
    assert "当前没有待您审核的步骤" in " ".join(alerts(text(mine))) and fresh(HumanTask, task.id).status == "open"
    post(signed_in(app, s.gc.hr), f"{table}/review", {"decision": "agree"}, table)
    assert 'data-testid="pay-date"' in text(pm.get(url))
    yesterday = (today_in_shanghai() - timedelta(days=1)).isoformat()
    for bad, message in ((yesterday, "发放日期不能早于今天"), ("2026-13-01", "日期格式应为YYYY-MM-DD")):
        refused = post(pm, f"{url}/summary", {"pay_date": bad}, url)
        assert any(message in a for a in alerts(text(refused))) and fresh(BankBatch, batch.id).status == "open"
    pay_date = (today_in_shanghai() + timedelta(days=2)).isoformat()
    page = post(pm, f"{url}/summary", {"pay_date": pay_date}, url)
    assert "已生成汇总表和汇总文件" in " ".join(alerts(text(page)))
    assert fresh(BankBatch, batch.id).status == "summarized" and "待项目经理签署" in text(page)
    assert fresh(BankBatch, batch.id).pay_date.isoformat() == pay_date and pay_date in text(page)
    assert 'data-testid="sign-link"' in text(page) and "2,200.00" in text(page)
    assert 'data-testid="sign-link"' not in text(signed_in(app, s.gc.enterprise.legal_rep).get(url))
    pdf = signed_in(app, s.gc.hr).get(f"{url}/summary.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.headers["Cache-Control"] == "private, no-store"
    assert db.session.scalar(select(AuditEntry.actor_id).where(AuditEntry.action == "payroll.download")) == s.gc.hr.id
    again = post(pm, f"{url}/summary", {}, url)
    assert "该批次已生成汇总表" in alerts(text(again))
    # The batch is closed: no new table, no edit.
    draft_id = fresh(BankBatch, batch.id).drafts[0].id
    assert 'name="gross-' not in text(pm.get(f"/payroll/drafts/{draft_id}"))


def test_a_unit_whose_workers_signed_in_is_left_out_only_when_ticked(app, s):
    """The subcontractor's workers signed in but it drafted nothing: the dialog names it with
    its head count; 【确认】 without ticking is refused naming it; ticked, the summary is made,
    says 本期未纳入, and the subcontractor sees a notice on its payroll page."""
    batch = approved(s, app)
    runtime.complete(task_of(s.gc.hr, "gc_review"), s.gc.hr, {"decision": "agree", "comment": ""})  # four eyes
    for worker in s.sub.workers:
        sign_ins(s.project, worker, NOV)
    url, sub = f"/payroll/batches/{batch.id}", s.sub.enterprise
    pm = signed_in(app, s.gc.pm)
    page = text(pm.get(url))
    dialog = page[page.index('id="summary-confirm"'):]
    assert 'data-testid="left-out-choice"' in dialog
    assert f"本期不纳入：{sub.name}（2人签到）" in dialog
    assert f'type="checkbox" name="without" value="{sub.id}"' in dialog
    assert 'data-testid="units-without-table"' in page and "<script>" not in page  # CSP: no inline script
    assert 'data-testid="left-out-choice"' not in text(signed_in(app, s.gc.hr).get(url))  # the GC PM's dialog only

    refused = post(pm, f"{url}/summary", {}, url)
    assert any(f"本批次没有其审核通过的工资支付表：{sub.name}" in a for a in alerts(text(refused)))
    junk = post(pm, f"{url}/summary", {"without": "abc"}, url)
    assert "请选择本期不纳入的单位" in alerts(text(junk))
    stray = post(pm, f"{url}/summary", {"without": str(s.gc.enterprise.id)}, url)
    assert any("只能不纳入本期有工人签到" in a for a in alerts(text(stray)))
    assert fresh(BankBatch, batch.id).status == "open" and fresh(BankBatch, batch.id).left_out is None

    made = text(post(pm, f"{url}/summary", {"without": str(sub.id)}, url))
    assert "已生成汇总表和汇总文件，请项目经理复核后【去签署】" in alerts(made)
    assert f"本期未纳入：{sub.name}。已记录并印在汇总表上，并通知了这些单位。" in alerts(made)
    assert fresh(BankBatch, batch.id).status == "summarized"
    assert f"{sub.name}（2人签到）" in made[made.index('data-testid="left-out"'):]
    assert db.session.scalar(select(AuditEntry.details).where(AuditEntry.action == "payroll.left_out")) == {
        "enterprise_id": sub.id, "name": sub.name, "workers": 2}

    notice = f"2026-11 工资汇总表（批次 {batch.batch_no}）未纳入本单位（{sub.name}），请与总包项目经理联系。"
    for staff in (s.sub.pm, s.sub.hr):
        assert notice in re.sub(r"\s+", " ", text(signed_in(app, staff).get(home(s))))
    gc_home = text(pm.get(home(s)))
    assert 'data-testid="left-out-notice"' not in gc_home and f"本期未纳入：{sub.name}" in gc_home


def test_the_pm_signs_then_the_enterprise_and_the_batch_goes_to_the_bank(app, s):
    batch = approved(s, app)
    runtime_task = task_of(s.gc.hr, "gc_review")  # four eyes: not the PM who drafted it
    from app.workflow import runtime
    runtime.complete(runtime_task, s.gc.hr, {"decision": "agree", "comment": ""})
    batch_service.summarize(s.gc.pm, fresh(BankBatch, batch.id))
    db.session.commit()
    url = f"/payroll/batches/{batch.id}"
    pm, legal = signed_in(app, s.gc.pm), signed_in(app, s.gc.enterprise.legal_rep)
    pm_cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    enterprise_cert = demo_ca.issue_enterprise(s.ca, s.gc.enterprise.name, s.gc.enterprise.uscc, PASSWORD)

    page = text(pm.get(f"{url}/sign"))
    assert "数字证书和密码只用于本次签署，系统不会保存" in page and 'type="file"' in page
    assert 'enctype="multipart/form-data"' in page and 'id="sign-confirm"' in page
    assert 'data-testid="not-your-turn"' in text(legal.get(f"{url}/sign"))
    early = upload(legal, batch.id, enterprise_cert)  # the enterprise before the PM
    assert early.status_code == 422 and "请等待项目经理先签署" in text(early)
    wrong = upload(pm, batch.id, pm_cert, password="wrong")
    assert wrong.status_code == 422 and "数字证书密码不正确" in text(wrong)
    junk = upload(pm, batch.id, b"not a certificate")
    assert junk.status_code == 422 and "PKCS#12" in text(junk)
    stranger = demo_ca.issue_person(demo_ca.create_ca("某不受信任CA"), s.gc.pm_person.name, s.gc.pm_person.id_number,
                                    PASSWORD)
    assert "不是受信任的认证机构签发的" in text(upload(pm, batch.id, stranger))
    other = demo_ca.issue_person(s.ca, "李四", s.gc.workers[0].id_number, PASSWORD)
    assert "数字证书的持有人与签署人不符" in text(upload(pm, batch.id, other))
    nothing = post(pm, f"{url}/sign", {"password": PASSWORD}, f"{url}/sign")
    assert nothing.status_code == 422 and "请上传数字证书" in text(nothing)
    assert fresh(BankBatch, batch.id).status == "summarized"

    done = upload(pm, batch.id, pm_cert)
    assert done.status_code == 302
    page = text(pm.get(done.headers["Location"]))
    assert "项目经理签署完成，等待施工总包单位签署" in alerts(page) and fresh(BankBatch, batch.id).status == "pm_signed"
    assert "等待施工总包单位（法人）使用企业数字证书签署" in page
    assert "项目经理已签署，现在应由施工总包企业签署" in text(upload(pm, batch.id, pm_cert))

    # The legal rep's inbox task points to the signing page; its generic form is not offered.
    task = task_of(s.gc.enterprise.legal_rep, "enterprise_sign")
    task_page = text(legal.get(f"/inbox/{task.id}"))
    assert f'href="{url}/sign"' in task_page and 'type="file"' not in task_page and 'data-testid="task-form"' not in task_page
    bounced = post(legal, f"/inbox/{task.id}", {"password": PASSWORD}, f"/inbox/{task.id}", follow=False)
    assert bounced.headers["Location"].endswith(f"{url}/sign") and fresh(HumanTask, task.id).status == "open"
    assert "数字证书的持有人与签署人不符" in text(upload(legal, batch.id, pm_cert))
    signed = upload(legal, batch.id, enterprise_cert)
    page = text(legal.get(signed.headers["Location"]))
    assert "施工总包单位签署完成，工资支付表已进入待推送队列，系统将自动推送银行" in alerts(page)
    assert fresh(BankBatch, batch.id).status == "signed" and "已签署，待推送银行" in page
    assert 'data-testid="delivery-state">待推送<' in page and 'data-testid="pay-results"' not in page
    assert outbox.deliver_due().delivered == 1  # the scheduler's job
    page = text(legal.get(url))
    assert fresh(BankBatch, batch.id).status == "pushed" and "已推送银行" in page
    assert 'data-testid="delivery-state">已推送<' in page and 'data-testid="redeliver"' not in page  # the PM's
    assert 'data-testid="pay-results"' in page and "待银行回执" in page
    assert 'data-testid="signed-all"' in text(pm.get(f"{url}/sign"))

    # The bank's receipt: one line paid, one failed; 【重新发送】 the failed one.
    b = fresh(BankBatch, batch.id)
    first, second = [line for d in b.drafts for line in d.lines]
    bank_settlement.record_receipt(bank_receipts.Receipt("RCPT-1", b.batch_no, bank.message_id_for(b.batch_no, b.attempt), (
        bank_receipts.ReceiptLine(str(first.id), "paid"), bank_receipts.ReceiptLine(str(second.id), "failed", "账户已销户"))))
    db.session.commit()
    page = text(pm.get(url))
    assert "部分发放失败" in page and "已发放" in page and "发放失败" in page and "账户已销户" in page
    assert 'id="resend-confirm"' in page
    assert 'data-testid="resend"' not in text(legal.get(url))
    assert post(legal, f"{url}/follow-up", {}, url).status_code == 403
    follow = post(pm, f"{url}/follow-up", {}, url)
    assert f"P{s.project.id}-202611-2" in " ".join(alerts(text(follow))) and "编制中" in text(follow)
    again = post(pm, f"{url}/follow-up", {}, url)
    assert bank_settlement.NOTHING_TO_RESEND in alerts(text(again))


# --- 工资条 ---------------------------------------------------------------------------------------

def test_a_worker_sees_only_their_own_wage_slips(app, s):
    a, b = s.gc.workers
    assert "暂无工资条" in text(signed_in(app, a.user).get("/me/wages"))
    batch = approved(s, app)
    assert "暂无工资条" in text(signed_in(app, a.user).get("/me/wages"))  # not summarized yet
    from app.workflow import runtime
    runtime.complete(task_of(s.gc.hr, "gc_review"), s.gc.hr, {"decision": "agree", "comment": ""})
    draft = fresh(BankBatch, batch.id).drafts[0]
    line_b = next(line for line in draft.lines if line.person_id == b.id)
    line_b_id = line_b.id
    db.session.execute(db.update(PayrollLine).where(PayrollLine.id == line_b_id)
                       .values(gross_fen=900_00, deductions_fen=0, net_fen=900_00))
    db.session.commit()
    batch_service.summarize(s.gc.pm, fresh(BankBatch, batch.id))
    db.session.commit()
    browser = signed_in(app, a.user)
    page = text(browser.get("/me/wages"))
    assert browser.get("/me/wages").headers["Cache-Control"] == "private, no-store"
    assert page.count('data-testid="wage-slip"') == 1 and s.project.name in page and s.gc.enterprise.name in page
    assert "1,100.00" in page and "1,200.00" in page and "100.00" in page and "900.00" not in page
    assert "2026-11 工资" in page and "待发放" in page
    assert 'data-testid="wages-link"' in page
    other = text(signed_in(app, b.user).get("/me/wages"))
    assert "900.00" in other and "1,100.00" not in other
    assert "暂无工资条" in text(signed_in(app, s.gc.pm).get("/me/wages"))  # staff: their own (none), not the table


# --- CSRF and hostile input ---------------------------------------------------------------------

def test_every_form_needs_its_csrf_token(app, s):
    batch = approved(s, app)
    draft = batch.drafts[0]
    pm = signed_in(app, s.gc.pm)
    pm.get(home(s))
    for path, data in ((f"{home(s)}/settlement-day", {"settlement_day": "10"}),
                       (f"{home(s)}/batches", {"pay_month": "2026-12"}),
                       (f"{home(s)}/drafts", {"pay_month": "2026-11", "batch_id": batch.id}),
                       (f"/payroll/drafts/{draft.id}", {f"gross-{draft.lines[0].id}": "1"}),
                       (f"/payroll/drafts/{draft.id}/review", {"decision": "agree"}),
                       (f"/payroll/batches/{batch.id}/summary", {}),
                       (f"/payroll/batches/{batch.id}/sign", {"password": "x"}),
                       (f"/payroll/batches/{batch.id}/follow-up", {})):
        response = pm.post(path, data=data)
        assert response.status_code == 400 and "页面已过期" in text(response), path
    assert fresh(type(s.project), s.project.id).settlement_day == "25"
    assert fresh(PayrollDraft, draft.id).status == "gc_review"


def test_no_input_makes_a_500(app, s):
    batch = approved(s, app)
    draft = batch.drafts[0]
    pm = signed_in(app, s.gc.pm)
    junk = ["", "0", "-1", "9" * 30, "null", "%00", "<b>", "１２", "1.", ".5", "1..2", "\x00"]
    for value in junk:
        for path, page, data in (
                (f"{home(s)}/settlement-day", home(s), {"settlement_day": value}),
                (f"{home(s)}/batches", home(s), {"pay_month": value}),
                (f"{home(s)}/drafts", home(s), {"pay_month": value, "batch_id": value, "enterprise_id": value}),
                (f"/payroll/drafts/{draft.id}/review", f"/payroll/drafts/{draft.id}",
                 {"decision": value, "comment": value * 10}),
                (f"/payroll/batches/{batch.id}/sign", f"/payroll/batches/{batch.id}/sign", {"password": value})):
            response = post(pm, path, data, page, follow=False)
            assert response.status_code < 500, (path, value)
    for path in ("/payroll/drafts/0", "/payroll/batches/-1", "/payroll/batches/abc", "/projects/0/payroll",
                 f"/payroll/batches/{2**63}/sign", f"/payroll/batches/{batch.id}/summary.pdf?x=%00"):
        assert pm.get(path).status_code in (200, 400, 404), path  # NUL in a query argument: 400
