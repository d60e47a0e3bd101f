"""项目人员接收 (manual 004): level 1 of the allocation confirmation by the allocating unit's
PM — 【查询】 by 姓名, 单位, 角色, pages, and 【接收】/【不接收】 in bulk, only for the user's own
project and enterprise; level 2 (the GC PM's 待同意分配人数 →【同意】) keeps working."""
import re

import pytest

from app.services import allocation as service
from tests.web.test_site_pages import post, signed_in, status_of, task_ids, url
from tests.support.staffing import staffing


@pytest.fixture
def site(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=3)


def hr_allocates(site, people, role="worker"):
    """The subcontractor's HR allocates on the enterprise side: its PM must accept (level 1)."""
    results = service.allocate(site.sub.hr, site.project, [p.id for p in people], role, job_type="020")
    assert all(r.ok for r in results), results


def names(html: str) -> list[str]:
    return re.findall(r'<span class="fw-semibold text-nowrap" data-testid="name">([^<]+)</span>', html)


def test_query_by_name_unit_and_role_with_pages(app, site):
    hr_allocates(site, site.sub.workers)
    sub_pm = signed_in(app, site.sub.pm)
    overview = sub_pm.get(url(site)).get_data(as_text=True)
    assert 'data-testid="receive-link"' in overview
    html = sub_pm.get(url(site, "receive/")).get_data(as_text=True)
    assert "<h1 class=\"h4 mb-1\">项目人员接收</h1>" in html and ">查询</button>" in html
    assert ">接收</button>" in html and ">不接收</button>" in html
    assert sorted(names(html)) == sorted(p.name for p in site.sub.workers) and len(task_ids(html)) == 3
    assert site.sub.workers[0].id_number not in html  # masked
    first = site.sub.workers[0]
    assert names(sub_pm.get(url(site, f"receive/?name={first.name}")).get_data(as_text=True)) == [first.name]
    by_unit = sub_pm.get(url(site, f"receive/?enterprise_id={site.sub.enterprise.id}")).get_data(as_text=True)
    assert len(names(by_unit)) == 3
    other_unit = sub_pm.get(url(site, f"receive/?enterprise_id={site.gc.enterprise.id}")).get_data(as_text=True)
    assert names(other_unit) == [] and "没有符合查询条件的待接收人员" in other_unit
    assert len(names(sub_pm.get(url(site, "receive/?role=worker")).get_data(as_text=True))) == 3
    assert names(sub_pm.get(url(site, "receive/?role=site_operator")).get_data(as_text=True)) == []
    app.config["PAGE_SIZE"] = 2
    page1, page2 = (sub_pm.get(url(site, f"receive/?page={n}")).get_data(as_text=True) for n in (1, 2))
    assert len(names(page1)) == 2 and len(names(page2)) == 1 and "第 1 / 2 页" in page1


def test_bulk_accept_moves_level_one_on_and_the_gc_pm_agrees(app, site):
    hr_allocates(site, site.sub.workers)
    sub_pm = signed_in(app, site.sub.pm)
    html = sub_pm.get(url(site, "receive/")).get_data(as_text=True)
    done = post(sub_pm, url(site, "receive/"), {"task_ids": task_ids(html)[:2], "decision": "agree"}, html)
    assert "已接收 2 人，0 人处理失败" in done.get_data(as_text=True)
    assert sorted(status_of(p) for p in site.sub.workers) == ["pending_gc", "pending_gc", "pending_level1"]
    assert len(names(done.get_data(as_text=True))) == 1
    gc_pm = signed_in(app, site.gc.pm)  # level 2 as before
    gc_html = gc_pm.get(url(site, "pending")).get_data(as_text=True)
    assert len(task_ids(gc_html)) == 2
    assert task_ids(gc_pm.get(url(site, "receive/")).get_data(as_text=True)) == []  # gc_confirm is not level 1
    post(gc_pm, url(site, "pending"), {"task_ids": task_ids(gc_html), "decision": "agree"}, gc_html)
    assert sorted(status_of(p) for p in site.sub.workers) == ["confirmed", "confirmed", "pending_level1"]


def test_not_receiving_needs_a_reason_and_frees_the_people(app, site):
    hr_allocates(site, site.sub.workers[:2])
    sub_pm = signed_in(app, site.sub.pm)
    html = sub_pm.get(url(site, "receive/")).get_data(as_text=True)
    assert "不接收的原因（必填）" in html and 'id="bulk-reject"' in html  # the confirmation dialog
    no_reason = post(sub_pm, url(site, "receive/"), {"task_ids": task_ids(html), "decision": "reject",
                                                     "comment": " "}, html)
    assert "不同意时请填写原因" in no_reason.get_data(as_text=True)
    assert [status_of(p) for p in site.sub.workers[:2]] == ["pending_level1", "pending_level1"]
    refused = post(sub_pm, url(site, "receive/"), {"task_ids": task_ids(html), "decision": "reject",
                                                   "comment": "人员不符合岗位要求"}, html)
    assert "已不接收 2 人，0 人处理失败" in refused.get_data(as_text=True)
    assert [status_of(p) for p in site.sub.workers[:2]] == ["rejected", "rejected"]


def test_only_the_users_own_project_and_enterprise(app, site, world):
    hr_allocates(site, site.sub.workers[:1])
    sub_pm = signed_in(app, site.sub.pm)
    mine = task_ids(sub_pm.get(url(site, "receive/")).get_data(as_text=True))
    # the GC PM of the same project does not receive the subcontractor's people (level 1 is theirs)
    gc_pm = signed_in(app, site.gc.pm)
    gc_html = gc_pm.get(url(site, "receive/")).get_data(as_text=True)
    assert task_ids(gc_html) == [] and "暂无待接收的人员" in gc_html
    tried = post(gc_pm, url(site, "receive/"), {"task_ids": mine, "decision": "agree"}, gc_html)
    assert "不存在或无权处理" in tried.get_data(as_text=True) and status_of(site.sub.workers[0]) == "pending_level1"
    # a PM of another project posts the task to their own project's page: refused
    other = staffing(world, workers=1)
    other_pm = signed_in(app, other.sub.pm)
    page = other_pm.get(f"/projects/{other.project.id}/site/receive/").get_data(as_text=True)
    tried = post(other_pm, f"/projects/{other.project.id}/site/receive/", {"task_ids": mine, "decision": "agree"}, page)
    assert "不存在或无权处理" in tried.get_data(as_text=True) and status_of(site.sub.workers[0]) == "pending_level1"
    assert other_pm.get(url(site, "receive/")).status_code == 404  # not their project
    stranger = signed_in(app, world.hr_admin(world.enterprise()))
    assert stranger.get(url(site, "receive/")).status_code == 404
    # without a CSRF token nothing happens
    assert sub_pm.post(url(site, "receive/"), data={"task_ids": mine, "decision": "agree"}).status_code == 400
    assert status_of(site.sub.workers[0]) == "pending_level1"
