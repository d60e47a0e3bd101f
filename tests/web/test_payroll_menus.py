"""工资支付编制's four entries (manual 004 四) — 【银行交换批次号】【工资支付表编制】【工资支付表审核】
【工资支付表推送银行】 — each with 【查询】 and pages, and the GC enterprise's own
【工资支付表推送银行】 across its projects with 【去签署】: who sees what, and that no filter
makes a 500 or shows another enterprise's batches."""
import re

import pytest

from app.extensions import db
from app.models import BankBatch
from app.services import demo_ca, payroll
from app.services import payroll_batch as batch_service
from app.web import payroll_filters
from app.workflow import runtime
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.staffing import staffing
from tests.web.test_payroll_pages import (NOV, PASSWORD, approved, fresh, home, open_batch, s, signed_in,  # noqa: F401
                                          task_of, text)


def rows(html: str, testid: str = "batch-status") -> list[str]:
    return re.findall(rf'data-testid="{testid}">([^<]*)<', html)


def summarized(s, app) -> BankBatch:
    batch = approved(s, app)
    runtime.complete(task_of(s.gc.hr, "gc_review"), s.gc.hr, {"decision": "agree", "comment": ""})  # four eyes
    batch_service.summarize(s.gc.pm, fresh(BankBatch, batch.id))
    db.session.commit()
    return fresh(BankBatch, batch.id)


def pm_signed(s, app) -> BankBatch:
    batch = summarized(s, app)
    cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    batch_service.sign(s.gc.pm, batch, cert, PASSWORD)
    return fresh(BankBatch, batch.id)


def test_the_four_entries_are_tabs_and_the_bank_one_is_the_gcs(app, s, world):
    pid = s.project.id
    gc = text(signed_in(app, s.gc.pm).get(home(s)))
    for tab in ("银行交换批次号", "工资支付表编制", "工资支付表审核", "工资支付表推送银行"):
        assert tab in gc
    assert 'data-testid="tab-bank"' in gc and 'data-testid="query"' in gc
    sub = signed_in(app, s.sub.pm)
    assert 'data-testid="tab-bank"' not in text(sub.get(home(s)))
    assert sub.get(f"/projects/{pid}/payroll/bank").status_code == 403
    assert signed_in(app, s.gc.hr).get(f"/projects/{pid}/payroll/bank").status_code == 200
    outsider = signed_in(app, world.hr_admin(world.enterprise()))
    for path in ("", "/drafts", "/review", "/bank"):
        assert outsider.get(f"/projects/{pid}/payroll{path}").status_code == 404, path
        assert app.test_client().get(f"/projects/{pid}/payroll{path}").status_code == 302, path
    # 【新增编制】 moved to 【工资支付表编制】: for the units' PMs only
    drafts = text(signed_in(app, s.gc.pm).get(f"/projects/{pid}/payroll/drafts"))
    assert 'data-testid="new-draft"' in drafts and 'data-testid="new-draft"' not in gc
    assert 'data-testid="new-draft"' in text(sub.get(f"/projects/{pid}/payroll/drafts"))
    assert 'data-testid="new-draft"' not in text(signed_in(app, s.gc.hr).get(f"/projects/{pid}/payroll/drafts"))


def test_batch_numbers_are_queried_by_month_number_and_status_a_page_at_a_time(app, s, monkeypatch):
    for month in ("2026-10", "2026-11", "2026-12"):
        open_batch(s, month)
    pm = signed_in(app, s.gc.pm)
    assert len(rows(text(pm.get(home(s))))) == 3
    one = text(pm.get(f"{home(s)}?month=2026-11"))
    assert len(rows(one)) == 1 and f"P{s.project.id}-202611-1" in one and 'value="2026-11"' in one
    assert len(rows(text(pm.get(f"{home(s)}?batch_no=202612")))) == 1
    assert len(rows(text(pm.get(f"{home(s)}?batch_no=%25")))) == 0  # a wildcard is a character here
    assert "没有符合条件的银行交换批次号" in text(pm.get(f"{home(s)}?status=paid"))
    for bad, message in (("month=2026-13", "发放月份格式应为YYYY-MM"), ("status=nope", "请选择状态"),
                         ("batch_no=" + "9" * 41, "银行交换批次号不能超过40个字符")):
        refused = pm.get(f"{home(s)}?{bad}")
        assert refused.status_code == 422 and message in text(refused) and 'aria-invalid="true"' in text(refused), bad
    monkeypatch.setattr(payroll_filters, "PER_PAGE", 2)
    first = text(pm.get(home(s)))
    assert len(rows(first)) == 2 and "第 1 / 2 页" in first
    assert len(rows(text(pm.get(f"{home(s)}?page=2")))) == 1
    assert "page=2&amp;month=" not in first  # only the filters applied go into the pager's links
    for odd in ("page=0", "page=abc", "page=99999999999999999999", "month=%00", "status=%ff"):
        assert pm.get(f"{home(s)}?{odd}").status_code in (200, 400, 422), odd


def test_each_unit_lists_its_own_tables_and_the_gc_every_table(app, s):
    batch = open_batch(s)
    sign_ins(s.project, s.gc.workers[0], NOV)
    gc_draft = payroll.create_draft(s.gc.pm, s.project, batch.id, "2026-11")
    sign_ins(s.project, s.sub.workers[0], NOV)
    with_card(s.sub.workers[0])
    sub_draft = payroll.create_draft(s.sub.pm, s.project, batch.id, "2026-11")
    payroll.set_line(s.sub.pm, sub_draft, sub_draft.lines[0].id, 600_00, 0)
    payroll.submit(s.sub.pm, sub_draft)
    db.session.commit()
    url = f"/projects/{s.project.id}/payroll/drafts"
    gc = text(signed_in(app, s.gc.pm).get(url))
    assert rows(gc, "draft-status") == ["编制中", "待分包单位审核"] and s.sub.enterprise.name in gc
    sub = text(signed_in(app, s.sub.pm).get(url))
    assert rows(sub, "draft-status") == ["待分包单位审核"] and f'data-draft-id="{gc_draft.id}"' not in sub
    assert "600.00" in sub and "编制详情" in sub  # submitted: read-only
    assert rows(text(signed_in(app, s.gc.pm).get(f"{url}?status=drafting")), "draft-status") == ["编制中"]
    assert signed_in(app, s.gc.pm).get(f"{url}?status=open").status_code == 422  # a batch's status, not a table's
    # 【新增编制】 refused on this page keeps the page and says why
    again = signed_in(app, s.sub.pm)
    from tests.web.test_payroll_pages import post
    refused = post(again, url, {"pay_month": "2026-11", "batch_id": batch.id}, url)
    assert refused.status_code == 422 and "本单位在该批次已有工资支付表" in text(refused)


def test_the_review_list_offers_details_and_the_summary_to_the_gc_pm_alone(app, s):
    batch = approved(s, app)
    url = f"/projects/{s.project.id}/payroll/review"
    pm = text(signed_in(app, s.gc.pm).get(url))
    assert "查看详情" in pm and f'id="summary-confirm-{batch.id}"' in pm and 'data-testid="summarize"' in pm
    assert f'href="/payroll/drafts/{batch.drafts[0].id}"' in pm and "编制详情" in pm
    hr = text(signed_in(app, s.gc.hr).get(url))
    assert 'data-testid="summarize"' not in hr and f'href="/payroll/drafts/{batch.drafts[0].id}"' in hr
    sub = text(signed_in(app, s.sub.pm).get(url))
    assert batch.batch_no in sub and f'href="/payroll/drafts/{batch.drafts[0].id}"' not in sub  # not its table
    assert 'data-testid="summarize"' not in sub and 'data-testid="batch-link"' not in sub
    assert "没有符合条件的银行交换批次号" in text(signed_in(app, s.gc.pm).get(f"{url}?status=summarized"))
    # the dialog posts where the batch page's does: refused until the GC approved every table
    from tests.web.test_payroll_pages import alerts, post
    refused = post(signed_in(app, s.gc.pm), f"/payroll/batches/{batch.id}/summary", {}, url)
    assert "该批次还有工资支付表未经施工总包审核通过，不能生成汇总表" in alerts(text(refused))


def test_the_bank_list_shows_summarized_batches_and_whose_turn_it_is(app, s):
    batch = summarized(s, app)
    url = f"/projects/{s.project.id}/payroll/bank"
    pm = text(signed_in(app, s.gc.pm).get(url))
    assert batch.batch_no in pm and "生成汇总文件" in pm and f'href="/payroll/batches/{batch.id}/sign"' in pm
    legal = text(signed_in(app, s.gc.enterprise.legal_rep).get(url))
    assert 'data-testid="sign-link"' not in legal and "待项目经理签署" in legal
    assert "没有符合条件的工资支付表" in text(signed_in(app, s.gc.pm).get(f"{url}?status=pushed"))
    assert signed_in(app, s.gc.pm).get(f"{url}?status=open").status_code == 422  # not on this list


@pytest.fixture
def other_gc(world, s):
    """Another general contractor with its own project and a summarized batch of its own."""
    return staffing(world, workers=1)


def test_the_gc_enterprise_lists_its_projects_batches_and_signs_from_there(app, s, world, other_gc):
    batch = pm_signed(s, app)
    url = "/payroll/bank-push"
    legal = signed_in(app, s.gc.enterprise.legal_rep)
    page = text(legal.get(url))
    assert batch.batch_no in page and s.project.name in page and "项目经理已签署，待施工总包单位签署" in page
    assert f'href="/payroll/batches/{batch.id}/sign"' in page  # 【去签署】
    assert f'<option value="{s.project.id}"' in page and f'<option value="{other_gc.project.id}"' not in page
    hr = text(signed_in(app, s.gc.hr).get(url))
    assert batch.batch_no in hr and 'data-testid="sign-link"' not in hr and "待施工总包单位（法人）签署" in hr
    assert batch.batch_no in text(legal.get(f"{url}?project_id={s.project.id}&month=2026-11&status=pm_signed"))
    assert "没有符合条件的工资支付表" in text(legal.get(f"{url}?status=pushed"))
    for bad in (f"project_id={other_gc.project.id}", "project_id=abc", "project_id=99999999999999999999",
                "month=11-2026", "status=open"):
        assert legal.get(f"{url}?{bad}").status_code == 422, bad

    # another general contractor's legal representative: none of these, and no way in
    stranger = signed_in(app, other_gc.gc.enterprise.legal_rep)
    theirs = text(stranger.get(url))
    assert batch.batch_no not in theirs and s.project.name not in theirs and 'data-testid="empty"' in theirs
    assert stranger.get(f"{url}?project_id={s.project.id}").status_code == 422
    assert stranger.get(f"/payroll/batches/{batch.id}/sign").status_code == 404
    assert stranger.get(f"/payroll/batches/{batch.id}/summary.pdf").status_code == 404
    # the subcontractor's legal representative is no GC here; a worker or PM holds no enterprise role
    assert batch.batch_no not in text(signed_in(app, s.sub.enterprise.legal_rep).get(url))
    assert signed_in(app, s.gc.pm).get(url).status_code == 403
    assert signed_in(app, s.gc.workers[0].user).get(url).status_code == 403
    assert app.test_client().get(url).status_code == 302
