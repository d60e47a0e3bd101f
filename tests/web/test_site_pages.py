"""项目人员管理 pages: the site overview (【待同意分配人数】 per unit, the roster), the
pending list with bulk 【同意】/【不同意】, and 【人员分配】 by an enterprise's PM on site."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, HumanTask
from app.services import allocation as service
from tests.support.factories import csrf_from, log_in
from tests.support.staffing import employee, staffing


@pytest.fixture
def site(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=3)


def signed_in(app, user):
    browser = app.test_client()  # the `client` fixture has set the isolating client class
    log_in(browser, user)
    return browser


def url(site, suffix=""):
    return f"/projects/{site.project.id}/site/{suffix}"


def allocate_subs(site, count=2):
    """The subcontractor's PM allocates workers: level 1 is the PM's own, so they await the GC."""
    results = service.allocate(site.sub.pm, site.project, [p.id for p in site.sub.workers[:count]], "worker")
    assert all(r.ok for r in results), results
    return results


def task_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'name="task_ids" value="(\d+)"', html)]


def status_of(person) -> str | None:
    return db.session.scalar(select(Allocation.status).where(Allocation.person_id == person.id)
                             .order_by(Allocation.id.desc()).limit(1))


def post(browser, path, data, html=None):
    """Posts the page's form (taking its CSRF token) and follows the redirect, if any."""
    html = html or browser.get(path).get_data(as_text=True)
    response = browser.post(path, data={**data, "csrf_token": csrf_from(html)})
    return browser.get(response.headers["Location"]) if response.status_code == 302 else response


# --- the overview ------------------------------------------------------------------------

def test_only_project_staff_see_the_site_pages(app, site, world):
    stranger = signed_in(app, world.hr_admin(world.enterprise()))
    worker = signed_in(app, site.sub.workers[0].user)
    for path in ("", "pending", "allocate"):
        assert stranger.get(url(site, path)).status_code == 404
        assert worker.get(url(site, path)).status_code == 404
    assert stranger.get("/projects/999999/site/").status_code == 404


def test_overview_counts_what_awaits_me_per_unit_and_links_to_the_list(app, site):
    allocate_subs(site, 2)
    gc_pm = signed_in(app, site.gc.pm)
    html = gc_pm.get(url(site)).get_data(as_text=True)
    assert "待同意分配人数" in html
    assert f'href="/projects/{site.project.id}/site/pending?enterprise_id={site.sub.enterprise.id}"' in html
    row = re.search(rf'<tr data-enterprise-id="{site.sub.enterprise.id}">.*?</tr>', html, re.S).group(0)
    assert re.search(r'data-testid="pending-count">\s*<a[^>]*>2</a>', row)
    # The subcontractor's own PM has nothing to confirm: level 1 was theirs.
    sub_html = signed_in(app, site.sub.pm).get(url(site)).get_data(as_text=True)
    assert 'data-testid="pending-link"' not in sub_html


def test_roster_groups_by_unit_and_role_with_status_and_masked_id_numbers(app, site):
    allocate_subs(site, 2)
    html = signed_in(app, site.gc.hr).get(url(site)).get_data(as_text=True)
    person = site.sub.workers[0]
    assert person.name in html and person.id_number not in html
    assert person.id_number[:4] + "*" * 10 + person.id_number[-4:] in html
    assert "待总包确认" in html and "已确认" in html  # the workers; the designated PMs
    units = re.findall(r'id="unit-(\d+)" data-testid="roster-unit"', html)
    assert units == [str(site.gc.enterprise.id), str(site.sub.enterprise.id)]  # the GC first
    sub_unit = html[html.index(f'id="unit-{site.sub.enterprise.id}"'):]
    assert sub_unit.index("项目经理（1）") < sub_unit.index("建筑工人（2）")
    assert site.sub.pm_person.name in html and site.gc.pm_person.name in html  # PM column and roster
    assert 'data-testid="allocate-link"' not in html  # HR allocates on the enterprise side


def test_an_empty_project_explains_how_people_get_there(app, client, world):
    gc = world.enterprise()
    project = world.project(gc)
    html = signed_in(app, gc.legal_rep).get(f"/projects/{project.id}/site/").get_data(as_text=True)
    assert 'data-testid="empty"' in html and "人员分配" in html


# --- 待同意分配人数 → 同意 / 不同意 -------------------------------------------------------------

def test_gc_pm_agrees_in_bulk_and_the_allocations_are_confirmed(app, site):
    allocate_subs(site, 3)
    gc_pm = signed_in(app, site.gc.pm)
    html = gc_pm.get(url(site, "pending")).get_data(as_text=True)
    ids = task_ids(html)
    assert len(ids) == 3 and "待同意分配（施工总包确认）" in html
    assert site.sub.workers[0].id_number not in html
    done = post(gc_pm, url(site, "pending"), {"task_ids": ids[:2], "decision": "agree"}, html)
    page = done.get_data(as_text=True)
    assert "已同意 2 人，0 人处理失败" in page
    assert [status_of(p) for p in site.sub.workers] == ["confirmed", "confirmed", "pending_gc"]
    assert task_ids(page) == ids[2:]


def test_refusing_needs_a_reason_and_frees_the_person(app, site):
    allocate_subs(site, 1)
    gc_pm = signed_in(app, site.gc.pm)
    html = gc_pm.get(url(site, "pending")).get_data(as_text=True)
    no_reason = post(gc_pm, url(site, "pending"), {"task_ids": task_ids(html), "decision": "reject", "comment": "  "})
    assert "不同意时请填写原因" in no_reason.get_data(as_text=True)
    assert status_of(site.sub.workers[0]) == "pending_gc"
    html = gc_pm.get(url(site, "pending")).get_data(as_text=True)
    refused = post(gc_pm, url(site, "pending"), {"task_ids": task_ids(html), "decision": "reject",
                                                 "comment": "证书不全"})
    assert "已不同意 1 人" in refused.get_data(as_text=True)
    allocation = db.session.scalar(select(Allocation).where(Allocation.person_id == site.sub.workers[0].id))
    assert (allocation.status, allocation.rejected_reason) == ("rejected", "证书不全")
    assert site.sub.workers[0].id in {e.person_id for e in service.allocatable(site.sub.enterprise, site.project)}


def test_bulk_checks_each_task_on_its_own(app, site, world):
    allocate_subs(site, 1)
    other = staffing(world, workers=1)  # another project with its own GC PM task
    service.allocate(other.sub.pm, other.project, [other.sub.workers[0].id], "worker")
    foreign = db.session.scalar(select(HumanTask.id).where(HumanTask.candidate_project_id == other.project.id))
    gc_pm = signed_in(app, site.gc.pm)
    html = gc_pm.get(url(site, "pending")).get_data(as_text=True)
    mine = task_ids(html)
    response = post(gc_pm, url(site, "pending"), {"task_ids": [*mine, foreign, 99999999999999],
                                                  "decision": "agree"}, html)
    page = response.get_data(as_text=True)
    assert "已同意 1 人，1 人处理失败" in page
    assert f"待办 #{foreign}：不存在或无权处理" in page
    assert status_of(other.sub.workers[0]) == "pending_gc"
    again = post(gc_pm, url(site, "pending"), {"task_ids": mine, "decision": "agree"}, page)
    assert "该待办已被处理或撤回" in again.get_data(as_text=True)


def test_pending_needs_a_selection_and_csrf(app, site):
    allocate_subs(site, 1)
    gc_pm = signed_in(app, site.gc.pm)
    assert gc_pm.post(url(site, "pending"), data={"task_ids": task_ids(gc_pm.get(url(site, "pending"))
                                                                       .get_data(as_text=True)),
                                                  "decision": "agree"}).status_code == 400
    nothing = post(gc_pm, url(site, "pending"), {"decision": "agree"})
    assert "请先勾选要处理的人员" in nothing.get_data(as_text=True)
    assert status_of(site.sub.workers[0]) == "pending_gc"


def test_pending_filters_by_unit_and_shows_an_empty_state(app, site):
    allocate_subs(site, 2)
    gc_pm = signed_in(app, site.gc.pm)
    assert len(task_ids(gc_pm.get(url(site, f"pending?enterprise_id={site.sub.enterprise.id}"))
                        .get_data(as_text=True))) == 2
    empty = gc_pm.get(url(site, f"pending?enterprise_id={site.gc.enterprise.id}")).get_data(as_text=True)
    assert task_ids(empty) == [] and 'data-testid="empty"' in empty
    nothing = signed_in(app, site.sub.pm).get(url(site, "pending")).get_data(as_text=True)
    assert 'data-testid="empty"' in nothing and "暂无待同意的分配" in nothing


def test_level_one_acceptance_by_the_allocating_units_pm(app, site):
    """HR allocates on the enterprise side; the subcontractor's PM accepts (项目人员接收), then the GC PM."""
    service.allocate(site.sub.hr, site.project, [site.sub.workers[0].id], "worker")
    sub_pm = signed_in(app, site.sub.pm)
    html = sub_pm.get(url(site, "pending")).get_data(as_text=True)
    assert "项目人员接收" in html and len(task_ids(html)) == 1
    post(sub_pm, url(site, "pending"), {"task_ids": task_ids(html), "decision": "agree"})
    assert status_of(site.sub.workers[0]) == "pending_gc"
    gc_html = signed_in(app, site.gc.pm).get(url(site, "pending")).get_data(as_text=True)
    assert len(task_ids(gc_html)) == 1


# --- 人员分配 on site ----------------------------------------------------------------------

def test_sub_pm_allocates_workers_with_a_job_type_and_sees_each_result(app, site):
    sub_pm = signed_in(app, site.sub.pm)
    overview = sub_pm.get(url(site)).get_data(as_text=True)
    assert 'data-testid="allocate-link"' in overview
    first = sub_pm.get(url(site, "allocate")).get_data(as_text=True)
    assert "被分配人员角色" in first and "现场操作用户" in first and 'name="person_ids"' not in first
    path = url(site, "allocate?role=worker&job_type=020")
    html = sub_pm.get(path).get_data(as_text=True)
    offered = [int(i) for i in re.findall(r'name="person_ids" value="(\d+)"', html)]
    assert sorted(offered) == sorted(p.id for p in site.sub.workers)
    assert site.sub.workers[0].id_number not in html and "020 钢筋工" in html
    response = sub_pm.post(path, data={"person_ids": [p.id for p in site.sub.workers[:2]],
                                       "csrf_token": csrf_from(html)})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="allocation-results"' in page
    assert page.count('data-ok="true"') == 2 and "分配成功" in page and "待总包确认" in page
    rows = db.session.scalars(select(Allocation).where(Allocation.role == "worker")).all()
    assert {(a.person_id, a.job_type, a.status, a.enterprise_id) for a in rows} == {
        (p.id, "020", "pending_gc", site.sub.enterprise.id) for p in site.sub.workers[:2]}
    assert re.findall(r'name="person_ids" value="(\d+)"', page) == [str(site.sub.workers[2].id)]


def test_refusals_are_shown_per_person(app, site):
    sub_pm = signed_in(app, site.sub.pm)
    path = url(site, "allocate?role=worker")
    html = sub_pm.get(path).get_data(as_text=True)
    gc_worker = site.gc.workers[0]
    response = sub_pm.post(path, data={"person_ids": [site.sub.workers[0].id, gc_worker.id],
                                       "csrf_token": csrf_from(html)})
    page = response.get_data(as_text=True)
    assert page.count('data-ok="true"') == 1 and page.count('data-ok="false"') == 1
    assert "该人员不是本单位在职人员" in page and "1人分配成功，1人未能分配" in page
    assert db.session.scalar(select(func.count()).select_from(Allocation).where(
        Allocation.person_id == gc_worker.id)) == 0


def test_site_operator_role_and_the_gc_pms_own_allocation_is_confirmed_at_once(app, site, world):
    manager = employee(world, site.gc.enterprise, "manager")
    gc_pm = signed_in(app, site.gc.pm)
    path = url(site, "allocate?role=site_operator")
    html = gc_pm.get(path).get_data(as_text=True)
    assert f'value="{manager.id}"' in html  # managers may be site operators
    gc_pm.post(path, data={"person_ids": [manager.id], "csrf_token": csrf_from(html)})
    allocation = db.session.scalar(select(Allocation).where(Allocation.person_id == manager.id))
    assert (allocation.role, allocation.status, allocation.job_type) == ("site_operator", "confirmed", None)


def test_allocation_needs_a_pm_of_a_participant_and_a_selection(app, site):
    assert signed_in(app, site.gc.hr).get(url(site, "allocate")).status_code == 403
    assert signed_in(app, site.sub.enterprise.legal_rep).get(url(site, "allocate")).status_code == 403
    sub_pm = signed_in(app, site.sub.pm)
    nothing = post(sub_pm, url(site, "allocate?role=worker"), {})
    assert "请先勾选要分配的人员" in nothing.get_data(as_text=True)
    bad_role = sub_pm.get(url(site, "allocate?role=boss&job_type=")).get_data(as_text=True)
    assert "请选择被分配人员的角色" in bad_role and 'name="person_ids"' not in bad_role
    assert db.session.scalar(select(func.count()).select_from(Allocation).where(Allocation.role == "worker")) == 0


def test_no_candidates_explains_who_appears(app, site):
    service.allocate(site.sub.pm, site.project, [p.id for p in site.sub.workers], "worker")
    html = signed_in(app, site.sub.pm).get(url(site, "allocate?role=worker")).get_data(as_text=True)
    assert 'data-testid="empty"' in html and "只有人员聘用登记成功且未被分配才有人员显示" in html
