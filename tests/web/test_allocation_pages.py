"""【人员分配】 on the enterprise side (role → project → people → 【确认】), and on the
project page: the 【项目人员管理】 link, each unit's PM, and 【指定项目经理】."""
import re

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, HumanTask, RoleGrant
from app.services import roles
from tests.support.factories import csrf_from, log_in
from tests.support.staffing import employee, side, staffing


@pytest.fixture
def site(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=3)


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def post(browser, path, data, page=None):
    """Posts a form taken from `page` (default: `path`), following the redirect, if any."""
    html = browser.get(page or path).get_data(as_text=True)
    response = browser.post(path, data={**data, "csrf_token": csrf_from(html)})
    return browser.get(response.headers["Location"]) if response.status_code == 302 else response


def offered(html: str) -> list[int]:
    return sorted(int(i) for i in re.findall(r'name="person_ids" value="(\d+)"', html))


# --- enterprise side ---------------------------------------------------------------------

def test_hr_finds_allocation_on_the_enterprise_page_and_a_pm_does_not(app, site):
    eid = site.sub.enterprise.id
    hr = signed_in(app, site.sub.hr)
    assert 'data-testid="allocate-link"' in hr.get(f"/enterprises/{eid}").get_data(as_text=True)
    pm = signed_in(app, site.sub.pm)
    assert 'data-testid="allocate-link"' not in pm.get(f"/enterprises/{eid}").get_data(as_text=True)
    assert pm.get(f"/enterprises/{eid}/allocate/").status_code == 403
    stranger = signed_in(app, site.gc.hr)
    assert stranger.get(f"/enterprises/{eid}/allocate/").status_code == 404


def test_role_then_project_then_people_then_results(app, site, world):
    other = world.project(world.enterprise(), subcontractors=[site.sub.enterprise])  # a second project
    eid = site.sub.enterprise.id
    hr = signed_in(app, site.sub.hr)
    first = hr.get(f"/enterprises/{eid}/allocate/").get_data(as_text=True)
    assert "被分配人员角色" in first and site.project.name in first and other.name in first
    assert 'name="person_ids"' not in first
    no_project = hr.get(f"/enterprises/{eid}/allocate/?role=worker&job_type=").get_data(as_text=True)
    assert "请选择项目" in no_project and 'name="person_ids"' not in no_project
    path = f"/enterprises/{eid}/allocate/?role=worker&job_type=030&project_id={site.project.id}"
    html = hr.get(path).get_data(as_text=True)
    assert offered(html) == sorted(p.id for p in site.sub.workers)
    assert site.project.name in html and "030 架子工" in html
    assert site.sub.workers[0].id_number not in html
    page = post(hr, path, {"person_ids": [p.id for p in site.sub.workers[:2]]}).get_data(as_text=True)
    assert page.count('data-ok="true"') == 2 and "分配成功：共2人" in page and "待接收" in page
    rows = db.session.scalars(select(Allocation).where(Allocation.role == "worker")).all()
    assert {(a.person_id, a.project_id, a.job_type, a.status) for a in rows} == {
        (p.id, site.project.id, "030", "pending_level1") for p in site.sub.workers[:2]}
    # HR is not the site: 项目人员接收 is the PM's task.
    assert db.session.scalar(select(func.count()).select_from(HumanTask).where(
        HumanTask.task_key == "level1_accept", HumanTask.status == "open")) == 2
    assert offered(page) == [site.sub.workers[2].id]


def test_a_person_who_does_not_fit_the_role_is_refused_with_the_reason(app, site, world):
    manager = employee(world, site.sub.enterprise, "manager")
    eid = site.sub.enterprise.id
    hr = signed_in(app, site.sub.hr)
    path = f"/enterprises/{eid}/allocate/?role=worker&project_id={site.project.id}"
    assert manager.id not in offered(hr.get(path).get_data(as_text=True))  # managers are not workers
    page = post(hr, path, {"person_ids": [manager.id, site.sub.workers[0].id]}).get_data(as_text=True)
    assert "只有身份为建筑工人的人员才能作为建筑工人分配" in page
    assert page.count('data-ok="false"') == 1 and page.count('data-ok="true"') == 1
    operator_path = f"/enterprises/{eid}/allocate/?role=site_operator&project_id={site.project.id}"
    assert manager.id in offered(hr.get(operator_path).get_data(as_text=True))


def test_a_project_the_enterprise_is_not_on_cannot_be_chosen(app, site, world):
    elsewhere = world.project(world.enterprise())
    eid = site.sub.enterprise.id
    hr = signed_in(app, site.sub.hr)
    path = f"/enterprises/{eid}/allocate/?role=worker&project_id={elsewhere.id}"
    html = hr.get(path).get_data(as_text=True)
    assert 'name="person_ids"' not in html and elsewhere.name not in html
    post(hr, path, {"person_ids": [site.sub.workers[0].id]})
    assert db.session.scalar(select(func.count()).select_from(Allocation).where(Allocation.role == "worker")) == 0


def test_an_enterprise_on_no_project_is_told_so(app, client, world):
    enterprise = world.enterprise()
    html = signed_in(app, enterprise.legal_rep).get(f"/enterprises/{enterprise.id}/allocate/").get_data(as_text=True)
    assert 'data-testid="empty"' in html and "本单位暂未参建任何项目" in html


# --- the project page: 项目人员管理, PM names, 指定项目经理 ---------------------------------------

def test_project_page_links_to_site_management_and_names_each_units_pm(app, site):
    html = signed_in(app, site.gc.pm).get(f"/projects/{site.project.id}").get_data(as_text=True)
    assert f'href="/projects/{site.project.id}/site/"' in html and "项目人员管理" in html
    assert site.gc.pm_person.name in html and site.sub.pm_person.name in html
    assert 'data-testid="designate-form"' not in html  # a PM does not designate


def test_hr_designates_the_units_pm_once(app, client, world):
    gc, sub = world.enterprise(), world.enterprise()
    project = world.project(gc, subcontractors=[sub])
    unit = side(world, sub, project, workers=1, designate=False)
    manager = employee(world, sub, "manager", name="周经理")
    hr = signed_in(app, unit.hr)
    html = hr.get(f"/projects/{project.id}").get_data(as_text=True)
    assert 'data-testid="designate-form"' in html and "未指定" in html
    form = re.search(r'<form[^>]*data-testid="designate-form".*?</form>', html, re.S).group(0)
    assert f'value="{manager.id}"' in form and f'value="{unit.workers[0].id}"' not in form  # managers only
    assert manager.id_number not in html
    page = post(hr, f"/enterprises/{sub.id}/allocate/project-manager", {"project_id": project.id,
                                                                         "person_id": manager.id},
                page=f"/projects/{project.id}").get_data(as_text=True)
    assert "已指定周经理为" in page and 'data-testid="designate-form"' not in page
    assert roles.has_role(manager.user, roles.PROJECT_MANAGER, enterprise_id=sub.id, project_id=project.id)
    row = re.search(rf'<tr data-enterprise-id="{sub.id}">.*?</tr>', page, re.S).group(0)
    assert "周经理" in row


def test_hr_replaces_the_units_pm_who_stays_on_the_roster_until_exited(app, site, world):
    old, successor = site.sub.pm_person, employee(world, site.sub.enterprise, "manager", name="吴经理")
    hr = signed_in(app, site.sub.hr)
    html = hr.get(f"/projects/{site.project.id}").get_data(as_text=True)
    form = re.search(r'<form[^>]*data-testid="replace-form".*?</form>', html, re.S).group(0)
    assert "更换项目经理" in form and f'value="{successor.id}"' in form and old.name in form  # names the PM replaced
    page = post(hr, f"/enterprises/{site.sub.enterprise.id}/allocate/project-manager",
                {"project_id": site.project.id, "person_id": successor.id},
                page=f"/projects/{site.project.id}").get_data(as_text=True)
    assert "已指定吴经理为" in page and f"原项目经理{old.name}仍在本项目" in page
    row = re.search(rf'<tr data-enterprise-id="{site.sub.enterprise.id}">.*?</tr>', page, re.S).group(0)
    assert "吴经理" in row and old.name not in row
    roster = signed_in(app, site.gc.pm).get(f"/projects/{site.project.id}/site/").get_data(as_text=True)
    allocation_id = db.session.scalar(select(Allocation.id).where(Allocation.person_id == old.id))
    entry = re.search(rf'<li[^>]*data-allocation-id="{allocation_id}".*?</li>', roster, re.S).group(0)
    assert 'data-testid="replaced-pm"' in entry and "原项目经理，待退场" in entry
    assert roster.count('data-testid="replaced-pm"') == 1  # not the successor


def test_designation_refusals(app, client, world):
    gc, sub = world.enterprise(), world.enterprise()
    project = world.project(gc, subcontractors=[sub])
    unit = side(world, sub, project, workers=1, designate=False)
    hr = signed_in(app, unit.hr)
    path, page = f"/enterprises/{sub.id}/allocate/project-manager", f"/projects/{project.id}"
    worker = post(hr, path, {"project_id": project.id, "person_id": unit.workers[0].id}, page=page)
    assert "只有身份为管理人员的人员才能担任项目经理" in worker.get_data(as_text=True)
    missing = post(hr, path, {"project_id": project.id, "person_id": ""}, page=page)
    assert "请选择要指定的项目经理" in missing.get_data(as_text=True)
    assert post(hr, path, {"project_id": world.project(world.enterprise()).id, "person_id": unit.workers[0].id},
                page=page).status_code == 404
    gc_hr = signed_in(app, world.hr_admin(gc))
    assert post(gc_hr, path, {"project_id": project.id, "person_id": unit.workers[0].id},
                page=page).status_code == 404  # another enterprise's form
    assert db.session.scalar(select(func.count()).select_from(RoleGrant).where(
        RoleGrant.role == roles.PROJECT_MANAGER)) == 0
