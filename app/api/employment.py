"""Employment: the hire request and employment records (API.md "Employment")."""
from flask import g, request
from flask_babel import gettext

from app.api import bp
from app.api.lookup import require, visible
from app.api.pages import page_of
from app.api.problems import ApiProblem
from app.api.registry import endpoint
from app.extensions import db
from app.forms.employment import HireForm
from app.models import Employment, Enterprise
from app.models.employment import EMPLOYMENT_STATUSES
from app.services import employment as employment_service
from app.services.idcard import mask_id_number
from app.services.job_types import job_type_name


def employment_json(e: Employment) -> dict:
    return {"id": e.id, "status": e.status, "identity": e.identity, "enterprise_id": e.enterprise_id,
            "person_id": e.person_id}


def employee_json(e: Employment) -> dict:
    """A staff-list row: the ID number masked, as in every list."""
    person = e.person
    return {
        **employment_json(e), "name": person.name,
        "id_number_masked": mask_id_number(person.id_number) if person.id_number else None,
        "job_type": e.job_type, "job_type_name": job_type_name(e.job_type) if e.job_type else None,
        "contract_start": e.contract_start.isoformat() if e.contract_start else None,
        "wage_standard_fen": e.wage_standard_fen, "requested_at": e.requested_at.isoformat(),
    }


def _managed_enterprise(eid: int) -> Enterprise:
    """404 when the caller cannot see the enterprise, 403 when they see it but do not hire for it."""
    enterprise = visible(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


@endpoint(bp, "/enterprises/<int:eid>/employments", "POST",
          summary="【新建聘用关系】: ask a verified person to consent to a hire (legal rep / HR)",
          tag="employment", form=HireForm,
          responses={201: {"id": "integer", "status": "string"}, 403: None, 404: None, 422: None})
def create_employment(eid, form):
    enterprise = _managed_enterprise(eid)
    employment = employment_service.request_hire(g.api_user, enterprise, form.name.data, form.id_number.data)
    db.session.commit()
    return {"id": employment.id, "status": employment.status}, 201


@endpoint(bp, "/enterprises/<int:eid>/employments", "GET", summary="The enterprise's employees (legal rep / HR)",
          tag="employment", query=("status", "name", "page", "per_page"),
          responses={200: {"items": "array"}, 400: None, 403: None, 404: None})
def list_employments(eid):
    enterprise = _managed_enterprise(eid)
    status = request.args.get("status") or None
    if status is not None and status not in EMPLOYMENT_STATUSES:
        raise ApiProblem(400, gettext("查询参数无效"), errors={"status": ", ".join(EMPLOYMENT_STATUSES)})
    name = (request.args.get("name") or "").strip()[:64] or None
    return page_of(employment_service.list_employees(enterprise, status=status, name=name), employee_json)


@endpoint(bp, "/employments/<int:employment_id>", "GET", summary="One employment (the person, the employer)",
          tag="employment", responses={200: {"id": "integer", "status": "string", "identity": "string",
                                             "enterprise_id": "integer", "person_id": "integer"}, 404: None})
def get_employment(employment_id):
    return employment_json(employment_service.employment_for(g.api_user, employment_id))
