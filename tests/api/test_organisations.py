"""Enterprises, projects and participants through the API, with cross-enterprise access."""
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Enterprise, Participant, Project
from tests.support.factories import auth, token
from tests.support.identifiers import make_uscc

PROBLEM = "application/problem+json"


def project_body(gc_id, **overrides):
    body = {"code": "MH-0433-04", "name": "闵行新丽城0433-04地块综合产业基地项目", "address": "上海市闵行区新骏环路188号",
            "gc_enterprise_id": gc_id,
            "wage_account": {"bank_name": "中国建设银行上海闵行支行", "account_no": "31050161393600001234",
                             "account_name": "申城建设集团有限公司农民工工资专用账户"}}
    body.update(overrides)
    return body


def test_admin_creates_enterprise_with_legal_rep(client, world):
    admin, rep = world.admin(), world.user("gc_legal")
    uscc = make_uscc(42)
    response = client.post("/api/v1/enterprises", headers=auth(token(client, admin)),
                           json={"name": "申城建设集团有限公司", "uscc": uscc.lower(), "legal_rep_username": "gc_legal"})
    assert response.status_code == 201
    enterprise = db.session.get(Enterprise, response.get_json()["id"])
    assert enterprise.uscc == uscc  # normalised to upper case
    me = client.get("/api/v1/me", headers=auth(token(client, rep))).get_json()
    assert {"role": "legal_rep", "enterprise_id": enterprise.id, "project_id": None} in me["roles"]
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "enterprise.create"))
    assert entry.actor_id == admin.id and entry.record_id == str(enterprise.id)


def test_invalid_uscc_is_422_with_errors_uscc_and_nothing_saved(client, world):
    admin = world.admin()
    world.user("gc_legal")
    good = make_uscc(7)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post("/api/v1/enterprises", headers=auth(token(client, admin)),
                           json={"name": "某公司", "uscc": bad, "legal_rep_username": "gc_legal"})
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.get_json()["errors"]["uscc"] == "统一社会信用代码校验位不正确"
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 0


def test_duplicate_uscc_is_409_and_unknown_legal_rep_is_422(client, world):
    admin = world.admin()
    existing = world.enterprise()
    tok = token(client, admin)
    dup = client.post("/api/v1/enterprises", headers=auth(tok),
                      json={"name": "另一家", "uscc": existing.uscc, "legal_rep_username": existing.legal_rep.username})
    assert dup.status_code == 409 and "uscc" in dup.get_json()["errors"]
    nobody = client.post("/api/v1/enterprises", headers=auth(tok),
                         json={"name": "另一家", "uscc": make_uscc(99), "legal_rep_username": "ghost"})
    assert nobody.status_code == 422 and "legal_rep_username" in nobody.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Enterprise)) == 1


def test_only_admin_creates_enterprises(client, world):
    user = world.user("someone")
    response = client.post("/api/v1/enterprises", headers=auth(token(client, user)),
                           json={"name": "X", "uscc": make_uscc(3), "legal_rep_username": "someone"})
    assert response.status_code == 403 and response.mimetype == PROBLEM


def test_legal_rep_appoints_hr_who_creates_project(client, world):
    gc = world.enterprise()
    hr = world.user("gc_hr")
    response = client.post(f"/api/v1/enterprises/{gc.id}/hr-admins", json={"username": "gc_hr"},
                           headers=auth(token(client, gc.legal_rep)))
    assert response.status_code == 201
    again = client.post(f"/api/v1/enterprises/{gc.id}/hr-admins", json={"username": "gc_hr"},
                        headers=auth(token(client, gc.legal_rep)))
    assert again.status_code == 409
    created = client.post("/api/v1/projects", json=project_body(gc.id), headers=auth(token(client, hr)))
    assert created.status_code == 201
    project = db.session.get(Project, created.get_json()["id"])
    assert project.gc_enterprise_id == gc.id and project.wage_account_no == "31050161393600001234"
    assert [(p.enterprise_id, p.kind) for p in project.participants] == [(gc.id, "general_contractor")]
    fetched = client.get(f"/api/v1/projects/{project.id}", headers=auth(token(client, hr))).get_json()
    assert fetched["wage_account"]["account_name"] == "申城建设集团有限公司农民工工资专用账户"


def test_hr_cannot_appoint_hr(client, world):
    gc = world.enterprise()
    hr = world.hr_admin(gc)
    world.user("another")
    response = client.post(f"/api/v1/enterprises/{gc.id}/hr-admins", json={"username": "another"},
                           headers=auth(token(client, hr)))
    assert response.status_code == 403


def test_project_validation_names_nested_fields(client, world):
    gc = world.enterprise()
    body = project_body(gc.id, code="", wage_account={"bank_name": "", "account_no": "12ab", "account_name": "x"})
    response = client.post("/api/v1/projects", json=body, headers=auth(token(client, gc.legal_rep)))
    assert response.status_code == 422
    errors = response.get_json()["errors"]
    assert {"code", "wage_account.bank_name", "wage_account.account_no"} <= set(errors)
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_duplicate_project_code_is_409(client, world):
    gc = world.enterprise()
    tok = token(client, gc.legal_rep)
    assert client.post("/api/v1/projects", json=project_body(gc.id), headers=auth(tok)).status_code == 201
    assert client.post("/api/v1/projects", json=project_body(gc.id), headers=auth(tok)).status_code == 409


def test_cannot_create_project_for_another_enterprise(client, world):
    mine, theirs = world.enterprise(), world.enterprise()
    response = client.post("/api/v1/projects", json=project_body(theirs.id), headers=auth(token(client, mine.legal_rep)))
    assert response.status_code == 422 and "gc_enterprise_id" in response.get_json()["errors"]
    assert db.session.scalar(select(func.count()).select_from(Project)) == 0


def test_another_enterprises_project_is_404(client, world):
    gc_a, gc_b = world.enterprise(), world.enterprise()
    project_b = world.project(gc_b)
    tok_a = token(client, gc_a.legal_rep)
    for method, path, body in [
        ("get", f"/api/v1/projects/{project_b.id}", None),
        ("post", f"/api/v1/projects/{project_b.id}/participants", {"enterprise_id": gc_a.id, "kind": "labor_subcontractor"}),
        ("get", f"/api/v1/enterprises/{gc_b.id}", None),
        ("post", f"/api/v1/enterprises/{gc_b.id}/hr-admins", {"username": gc_a.legal_rep.username}),
    ]:
        response = getattr(client, method)(path, json=body, headers=auth(tok_a))
        assert response.status_code == 404, path
        assert response.mimetype == PROBLEM
    listed = client.get("/api/v1/projects", headers=auth(tok_a)).get_json()
    assert listed["items"] == [] and listed["total"] == 0
    assert [e["id"] for e in client.get("/api/v1/enterprises", headers=auth(tok_a)).get_json()["items"]] == [gc_a.id]
    assert db.session.scalar(select(func.count()).select_from(Participant)) == 1


def test_gc_adds_subcontractor_who_then_sees_the_project(client, world):
    gc, sub = world.enterprise(), world.enterprise()
    project = world.project(gc)
    pm = world.project_manager(project, gc)
    response = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(token(client, pm)),
                           json={"enterprise_id": sub.id, "kind": "labor_subcontractor"})
    assert response.status_code == 201
    dup = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(token(client, pm)),
                      json={"enterprise_id": sub.id, "kind": "specialist_subcontractor"})
    assert dup.status_code == 409
    sub_view = client.get(f"/api/v1/projects/{project.id}", headers=auth(token(client, sub.legal_rep)))
    assert sub_view.status_code == 200
    assert {"enterprise_id": sub.id, "kind": "labor_subcontractor"} in sub_view.get_json()["participants"]
    # A subcontractor may see the project but may not add participants to it.
    other = world.enterprise()
    refused = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(token(client, sub.legal_rep)),
                          json={"enterprise_id": other.id, "kind": "labor_subcontractor"})
    assert refused.status_code == 403


def test_participant_kind_and_enterprise_validated(client, world):
    gc = world.enterprise()
    project = world.project(gc)
    tok = token(client, gc.legal_rep)
    bad_kind = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(tok),
                           json={"enterprise_id": gc.id, "kind": "general_contractor"})
    assert bad_kind.status_code == 422 and "kind" in bad_kind.get_json()["errors"]
    ghost = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(tok),
                        json={"enterprise_id": 99999, "kind": "labor_subcontractor"})
    assert ghost.status_code == 422 and "enterprise_id" in ghost.get_json()["errors"]
    not_int = client.post(f"/api/v1/projects/{project.id}/participants", headers=auth(tok),
                          json={"enterprise_id": "abc", "kind": "labor_subcontractor"})
    assert not_int.status_code == 422


def test_pagination_parameters(client, world):
    admin = world.admin()
    for _ in range(3):
        world.enterprise()
    tok = token(client, admin)
    page = client.get("/api/v1/enterprises?per_page=2&page=2", headers=auth(tok)).get_json()
    assert page["total"] == 3 and len(page["items"]) == 1 and page["page"] == 2
    assert client.get("/api/v1/enterprises?page=x", headers=auth(tok)).status_code == 400
