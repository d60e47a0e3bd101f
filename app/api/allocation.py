"""Project managers and allocations (API.md `/projects/{pid}/managers`, `/allocations`)."""
from flask import g
from flask_babel import gettext

from app.api import bp
from app.api.lookup import visible
from app.api.registry import endpoint
from app.extensions import db
from app.forms.allocation import AllocationForm, ManagerForm
from app.models import Allocation, Project
from app.services import allocation as allocation_service


def allocation_json(a: Allocation) -> dict:
    return {"id": a.id, "status": a.status, "project_id": a.project_id, "enterprise_id": a.enterprise_id,
            "person_id": a.person_id, "role": a.role, "job_type": a.job_type,
            "level1_auto": a.level1_auto, "gc_auto": a.gc_auto, "rejected_reason": a.rejected_reason}


@endpoint(bp, "/projects/<int:pid>/managers", "POST",
          summary="Designate the enterprise's active 管理人员 as its PM on the project, replacing the PM "
                  "designated before (legal rep / HR)",
          tag="allocation", form=ManagerForm,
          responses={201: {"id": "integer", "status": "string", "replaced_person_ids": "array"}, 403: None, 404: None,
                     409: None, 422: None})
def designate_manager(pid, form):
    project = visible(Project, pid, "project.view")
    designation = allocation_service.designate_manager(g.api_user, project, form.person_id.data)
    db.session.commit()
    # The PMs replaced stay on the project until the site exits them.
    replaced = [u.person.id for u in designation.replaced if u.person is not None]
    return {**allocation_json(designation.allocation), "replaced_person_ids": replaced}, 201


@endpoint(bp, "/projects/<int:pid>/allocations", "POST",
          summary="【人员分配】: allocate employees to the project (legal rep / HR, or the employer's PM there)",
          tag="allocation", form=AllocationForm,
          responses={200: {"results": "array"}, 403: None, 404: None, 422: None})
def allocate(pid, form):
    project = visible(Project, pid, "project.view")
    results = allocation_service.allocate(g.api_user, project, form.person_ids.data, form.role.data,
                                          form.job_type.data or None)
    return {"results": [
        {"person_id": r.person_id, "ok": r.ok,
         **({"allocation_id": r.allocation_id} if r.allocation_id is not None else {}),
         **({"detail": gettext(r.detail)} if r.detail else {})}
        for r in results]}


@endpoint(bp, "/allocations/<int:allocation_id>", "GET", summary="One allocation (involved users)",
          tag="allocation", responses={200: {"id": "integer", "status": "string", "project_id": "integer",
                                             "enterprise_id": "integer", "person_id": "integer",
                                             "role": "string"}, 404: None})
def get_allocation(allocation_id):
    return allocation_json(allocation_service.allocation_for(g.api_user, allocation_id))
