"""Enterprises, projects and participants."""
from flask import g

from app.api import bp
from app.api.lookup import require, visible
from app.api.pages import page_of
from app.api.registry import endpoint
from app.extensions import db
from app.forms.organisations import EnterpriseForm, HrAdminForm, ParticipantForm, ProjectForm
from app.models import Enterprise, Project
from app.services import access, enterprises, projects
from app.services.errors import RuleViolation

PAGE_QUERY = ("page", "per_page")


def enterprise_json(e: Enterprise) -> dict:
    return {"id": e.id, "name": e.name, "uscc": e.uscc}


def project_json(p: Project) -> dict:
    return {
        "id": p.id, "code": p.code, "name": p.name, "address": p.address,
        "gc_enterprise_id": p.gc_enterprise_id,
        "wage_account": {"bank_name": p.wage_bank_name, "account_no": p.wage_account_no,
                         "account_name": p.wage_account_name},
        "participants": [{"enterprise_id": x.enterprise_id, "kind": x.kind} for x in p.participants],
    }


@endpoint(bp, "/enterprises", "POST", summary="Create an enterprise with its legal representative (admin)",
          tag="organisations", form=EnterpriseForm, responses={201: {"id": "integer"}, 403: None, 409: None, 422: None})
def create_enterprise(form):
    require("enterprise.create")
    enterprise = enterprises.create_enterprise(g.api_user, form.name.data, form.uscc.data,
                                               form.legal_rep_username.data)
    db.session.commit()
    return {"id": enterprise.id}, 201


@endpoint(bp, "/enterprises", "GET", summary="Enterprises visible to the caller", tag="organisations",
          query=PAGE_QUERY, responses={200: {"items": "array"}})
def list_enterprises():
    return page_of(access.visible_enterprises(g.api_user), enterprise_json)


@endpoint(bp, "/enterprises/<int:eid>", "GET", summary="One enterprise", tag="organisations",
          responses={200: {"id": "integer", "name": "string", "uscc": "string"}, 404: None})
def get_enterprise(eid):
    return enterprise_json(visible(Enterprise, eid, "enterprise.view"))


@endpoint(bp, "/enterprises/<int:eid>/hr-admins", "POST", summary="Appoint an HR admin (legal representative)",
          tag="organisations", form=HrAdminForm, responses={201: {"username": "string"}, 403: None, 404: None,
                                                             409: None, 422: None})
def add_hr_admin(eid, form):
    enterprise = visible(Enterprise, eid, "enterprise.view")
    require("enterprise.manage_hr_admins", enterprise)
    enterprises.add_hr_admin(g.api_user, enterprise, form.username.data)
    db.session.commit()
    return {"username": form.username.data}, 201


@endpoint(bp, "/projects", "POST", summary="Create a project (legal rep / HR of the GC, or admin)",
          tag="organisations", form=ProjectForm, responses={201: {"id": "integer"}, 403: None, 409: None, 422: None})
def create_project(form):
    gc = db.session.get(Enterprise, form.gc_enterprise_id.data)
    if gc is None or not access.may(g.api_user, "enterprise.view", gc):
        raise RuleViolation("企业不存在", field="gc_enterprise_id")
    require("project.create", gc)
    account = form.wage_account
    project = projects.create_project(
        g.api_user, code=form.code.data, name=form.name.data, address=form.address.data, gc_enterprise=gc,
        bank_name=account.bank_name.data, account_no=account.account_no.data,
        account_name=account.account_name.data)
    db.session.commit()
    return {"id": project.id}, 201


@endpoint(bp, "/projects", "GET", summary="Projects visible to the caller", tag="organisations",
          query=PAGE_QUERY, responses={200: {"items": "array"}})
def list_projects():
    return page_of(access.visible_projects(g.api_user), project_json)


@endpoint(bp, "/projects/<int:pid>", "GET", summary="One project", tag="organisations",
          responses={200: {"id": "integer", "code": "string", "name": "string"}, 404: None})
def get_project(pid):
    return project_json(visible(Project, pid, "project.view"))


@endpoint(bp, "/projects/<int:pid>/participants", "POST", summary="Add a subcontractor (GC legal rep / HR / PM)",
          tag="organisations", form=ParticipantForm,
          responses={201: {"enterprise_id": "integer", "kind": "string"}, 403: None, 404: None, 409: None, 422: None})
def add_participant(pid, form):
    project = visible(Project, pid, "project.view")
    require("project.manage_participants", project)
    participant = projects.add_participant(g.api_user, project, form.enterprise_id.data, form.kind.data)
    db.session.commit()
    return {"enterprise_id": participant.enterprise_id, "kind": participant.kind}, 201
