"""Enterprise and project pages, including what other enterprises may not see."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Enterprise, Project
from tests.support.factories import csrf_from, log_in, submit
from tests.support.identifiers import make_uscc


def test_admin_creates_enterprise_on_the_page(client, world):
    admin = world.admin()
    rep = world.user("gc_legal")
    log_in(client, admin)
    bad = submit(client, "/enterprises/new", {"name": "申城建设", "uscc": "91310000132200821X",
                                              "legal_rep_username": "gc_legal"})
    assert "统一社会信用代码校验位不正确" in bad.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0
    ok = submit(client, "/enterprises/new", {"name": "申城建设集团有限公司", "uscc": make_uscc(1),
                                             "legal_rep_username": "gc_legal"})
    assert ok.status_code == 302
    detail = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "申城建设集团有限公司" in detail and rep.name in detail and "法人" in detail


def test_non_admin_cannot_open_new_enterprise_page(client, world):
    log_in(client, world.user())
    assert client.get("/enterprises/new").status_code == 403


def test_legal_rep_creates_project_and_adds_subcontractor(client, world):
    gc, sub = world.enterprise(name="申城建设集团有限公司"), world.enterprise(name="浦江劳务有限公司")
    log_in(client, gc.legal_rep)
    response = submit(client, "/projects/new", {
        "code": "MH-0433-04", "name": "闵行新丽城项目", "address": "上海市闵行区新骏环路188号",
        "gc_enterprise_id": gc.id, "wage_account-bank_name": "中国建设银行",
        "wage_account-account_no": "3105 0161 3936 0000 1234", "wage_account-account_name": "工资专户"})
    assert response.status_code == 302
    project = db.session.scalar(select(Project))
    assert project.wage_account_no == "31050161393600001234"
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert "闵行新丽城项目" in page and "施工总包" in page
    assert "浦江劳务有限公司" not in page  # no list of every enterprise on the platform
    unknown = submit(client, f"/projects/{project.id}", {"uscc": make_uscc(9999), "kind": "labor_subcontractor"})
    assert "未找到该统一社会信用代码的企业" in unknown.get_data(as_text=True)
    added = submit(client, f"/projects/{project.id}", {"uscc": sub.uscc.lower(), "kind": "labor_subcontractor"})
    assert added.status_code == 302
    assert "浦江劳务有限公司" in client.get(f"/projects/{project.id}").get_data(as_text=True)
    db.session.refresh(project)
    assert sorted(p.kind for p in project.participants) == ["general_contractor", "labor_subcontractor"]
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action.in_(["project.create", "project.add_participant"]))) == 2


def test_project_form_errors_keep_nothing(client, world):
    gc = world.enterprise()
    log_in(client, gc.legal_rep)
    response = submit(client, "/projects/new", {"code": "!", "name": "", "address": "", "gc_enterprise_id": gc.id,
                                                "wage_account-bank_name": "", "wage_account-account_no": "abc",
                                                "wage_account-account_name": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for message in ("项目编号为2至32位", "请填写项目名称", "请填写开户银行", "账号应为8至32位数字"):
        assert message in html
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_cannot_create_project_for_a_gc_one_does_not_work_for(client, world):
    mine, theirs = world.enterprise(), world.enterprise()
    log_in(client, mine.legal_rep)
    response = submit(client, "/projects/new", {
        "code": "X-1", "name": "项目", "address": "地址", "gc_enterprise_id": theirs.id,
        "wage_account-bank_name": "银行", "wage_account-account_no": "12345678", "wage_account-account_name": "户名"})
    assert "请选择您所在的施工总包单位" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_person_without_enterprise_cannot_open_new_project(client, world):
    log_in(client, world.user())
    assert client.get("/projects/new").status_code == 403
    assert "新建项目" not in client.get("/projects/").get_data(as_text=True)


def test_other_enterprises_pages_are_404_and_lists_exclude_them(client, world):
    gc_a, gc_b = world.enterprise(name="甲公司"), world.enterprise(name="乙公司")
    project_b = world.project(gc_b)
    log_in(client, gc_a.legal_rep)
    assert client.get(f"/projects/{project_b.id}").status_code == 404
    assert client.get(f"/enterprises/{gc_b.id}").status_code == 404
    assert project_b.name not in client.get("/projects/").get_data(as_text=True)
    listing = client.get("/enterprises/").get_data(as_text=True)
    assert "甲公司" in listing and "乙公司" not in listing


def test_subcontractor_sees_project_but_cannot_add_participants(client, world):
    gc, sub, other = world.enterprise(), world.enterprise(), world.enterprise()
    project = world.project(gc, subcontractors=[sub])
    log_in(client, sub.legal_rep)
    page = client.get(f"/projects/{project.id}").get_data(as_text=True)
    assert project.name in page and "添加分包单位" not in page
    html = client.get(f"/projects/{project.id}").get_data(as_text=True)
    response = client.post(f"/projects/{project.id}", data={"uscc": other.uscc, "kind": "labor_subcontractor",
                                                            "csrf_token": csrf_from(html)})
    assert response.status_code == 403
    db.session.refresh(project)
    assert len(project.participants) == 2


def test_legal_rep_appoints_hr_admin_on_page(client, world):
    gc = world.enterprise()
    world.user("hr_wang", name="王芳")
    log_in(client, gc.legal_rep)
    response = submit(client, f"/enterprises/{gc.id}", {"username": "hr_wang"})
    assert response.status_code == 302
    assert "王芳" in client.get(f"/enterprises/{gc.id}").get_data(as_text=True)
    again = submit(client, f"/enterprises/{gc.id}", {"username": "hr_wang"})
    assert "已是本企业的人事聘用管理员" in again.get_data(as_text=True)


def test_lists_paginate(client, world, app):
    admin = world.admin()
    for _ in range(app.config["PAGE_SIZE"] + 3):
        world.enterprise()
    log_in(client, admin)
    first = client.get("/enterprises/").get_data(as_text=True)
    assert "第 1 / 2 页" in first
    second = client.get("/enterprises/?page=2").get_data(as_text=True)
    assert second.count("/enterprises/") >= 3 and "第 2 / 2 页" in second


def test_admin_sees_audit_log_others_do_not(client, world):
    admin = world.admin()
    world.enterprise(name="审计测试公司")
    log_in(client, admin)
    html = client.get("/admin/audit?action=enterprise.create").get_data(as_text=True)
    # The action and the record in words (issue 19 item 8), not `enterprise.create` / `enterprise #3`.
    assert '<td data-testid="audit-action" title="enterprise.create">新建企业</td>' in html
    assert '<td data-testid="audit-record">企业 审计测试公司</td>' in html
    empty = client.get("/admin/audit?action=nothing.like.this").get_data(as_text=True)
    assert "没有符合条件的审计记录" in empty
    other_client = client.application.test_client()
    log_in(other_client, world.user())
    assert other_client.get("/admin/audit").status_code == 403
