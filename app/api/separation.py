"""Separation (API.md "Employment, allocation, separation"): the person's resignation
and the enterprise's dismissals."""
from flask import g
from flask_babel import gettext

from app.api import bp
from app.api.lookup import require, visible
from app.api.registry import endpoint
from app.extensions import db
from app.forms.separation import DismissalForm, ResignationForm
from app.models import Enterprise
from app.services import separation as service
from app.services.errors import NotFound


def _separation_json(s) -> dict:
    body = {"id": s.id, "kind": s.kind, "status": s.status, "employment_id": s.employment_id,
            "person_id": s.person_id, "enterprise_id": s.enterprise_id, "reason": s.reason,
            "requested_at": s.requested_at.isoformat(), "process_instance_id": s.process_instance_id,
            "completed_by": s.completed_by}
    if s.kind == service.RESIGNATION and s.status == "pending":
        immediate, due = service.open_task(s, "immediate_resignation"), service.immediate_available_at(s)
        body["immediate_task_id"] = immediate.id if immediate else None
        body["immediate_available_at"] = due.isoformat() if due else None
    return body


@endpoint(bp, "/me/resignation", "POST", summary="【申请离职】 with a reason (the person)", tag="separation",
          form=ResignationForm, responses={201: {"process_instance_id": "integer", "id": "integer"},
                                           409: None, 422: None})
def apply_resignation(form):
    separation = service.apply_resignation(g.api_user, form.reason.data)
    db.session.commit()
    return {"process_instance_id": separation.process_instance_id, **_separation_json(separation)}, 201


@endpoint(bp, "/me/resignation", "GET", summary="The person's pending resignation, with when 【立即离职】 opens",
          tag="separation", responses={200: {"id": "integer", "status": "string"}, 404: None})
def get_resignation():
    _employment, separation = service.mine(g.api_user)
    if separation is None or separation.kind != service.RESIGNATION:
        raise NotFound(service.NO_PENDING_RESIGNATION)
    return _separation_json(separation)


@endpoint(bp, "/me/resignation", "DELETE", summary="Withdraw the resignation before it completes (the person)",
          tag="separation", responses={200: {"status": "string"}, 404: None})
def withdraw_resignation():
    separation = service.withdraw_resignation(g.api_user)
    db.session.commit()
    return _separation_json(separation)


def _managed(eid: int) -> Enterprise:
    enterprise = visible(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


@endpoint(bp, "/enterprises/<int:eid>/dismissals", "POST",
          summary="【批量解聘】→【解除聘用关系】 (legal rep / HR); a manager who is a project's PM, or still "
                  "allocated to one → ok:false",
          tag="separation", form=DismissalForm,
          responses={200: {"results": "array"}, 403: None, 404: None, 422: None})
def dismiss(eid, form):
    enterprise = _managed(eid)
    results = service.dismiss(g.api_user, enterprise, form.person_ids.data, form.reason.data)
    return {"results": [{"person_id": r.person_id, "ok": r.ok,
                         **({"separation_id": r.separation_id} if r.separation_id else {}),
                         **({"detail": gettext(r.detail)} if r.detail else {}),
                         # a refused manager: the projects still holding them, and as what
                         **({"projects": [{"project_id": p.project_id, "position": p.position} for p in r.places]}
                            if r.places else {})} for r in results]}


@endpoint(bp, "/enterprises/<int:eid>/dismissals/<int:person_id>", "DELETE",
          summary="Cancel a pending dismissal (legal rep / HR)", tag="separation",
          responses={200: {"status": "string"}, 403: None, 404: None})
def cancel_dismissal(eid, person_id):
    enterprise = _managed(eid)
    separation = service.cancel_dismissal(g.api_user, enterprise, person_id)
    db.session.commit()
    return _separation_json(separation)
