"""The inbox: every user task of every process, only the caller's own."""
from flask import g, request
from flask_babel import gettext

from app.api import bp
from app.api.form_schemas import form_schema
from app.api.pages import page_of
from app.api.problems import ApiProblem
from app.api.registry import endpoint, form_from_mapping, json_body
from app.extensions import db
from app.forms.tasks import task_data
from app.models import HumanTask
from app.workflow import inbox, runtime
from app.workflow.errors import TaskConflict, WorkflowFailure
from app.workflow.registry import REGISTRY


def task_json(row: HumanTask) -> dict:
    form_class = REGISTRY.forms.get(row.form_key)
    return {
        "id": row.id, "process_key": row.process_key, "task_key": row.task_key, "title": row.title,
        "subject": {**(row.subject or {}), "text": row.subject_text or ""},
        "created_at": row.created_at.isoformat(),
        "due_at": row.due_at.isoformat() if row.due_at else None,
        "claimed_by": row.claimed_by_id,
        "form": {"key": row.form_key, "schema": form_schema(form_class) if form_class else None},
    }


def _my_task(task_id: int) -> HumanTask:
    """A task the caller is a candidate for; anything else is 404 (it is not theirs to see)."""
    row = inbox.task_with_instance(task_id)  # with its instance: a completion reads nothing more
    if row is None or not inbox.is_candidate(g.api_user, row):
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return row


@endpoint(bp, "/tasks", "GET", summary="The caller's open tasks", tag="inbox",
          query=("process_key", "q", "page", "per_page"), responses={200: {"items": "array"}})
def list_tasks():
    query = inbox.my_tasks(g.api_user, process_key=request.args.get("process_key") or None,
                           text=(request.args.get("q") or "").strip()[:50] or None)
    return page_of(query, task_json)


@endpoint(bp, "/tasks/<int:task_id>/claim", "POST", summary="Claim a task", tag="inbox",
          responses={200: {"id": "integer"}, 404: None, 409: None})
def claim_task(task_id):
    row = _my_task(task_id)
    runtime.claim(row, g.api_user)
    db.session.commit()
    return {"id": row.id, "claimed_by": row.claimed_by_id}


@endpoint(bp, "/tasks/<int:task_id>/unclaim", "POST", summary="Give a claimed task back", tag="inbox",
          responses={200: {"id": "integer"}, 404: None, 409: None})
def unclaim_task(task_id):
    row = _my_task(task_id)
    runtime.unclaim(row, g.api_user)
    db.session.commit()
    return {"id": row.id, "claimed_by": None}


@endpoint(bp, "/tasks/<int:task_id>/complete", "POST", summary="Complete a task with its form's data",
          tag="inbox", responses={200: {"status": "string"}, 202: {"status": "string"}, 404: None, 409: None,
                                  422: None})
def complete_task(task_id):
    row = _my_task(task_id)
    body = json_body()
    data = body.get("data", {})
    if not isinstance(data, dict):
        raise ApiProblem(422, gettext("提交的数据未通过校验"), errors={"data": gettext("应为JSON对象")})
    form_class = REGISTRY.forms.get(row.form_key)
    if row.status != "open":
        raise TaskConflict("该待办已处理或已撤回")
    form = form_from_mapping(form_class, data)
    try:
        instance = runtime.complete(row, g.api_user, task_data(form))
    except WorkflowFailure:
        # The completion is kept with the failed instance; an administrator retries it.
        return {"status": "error", "detail": gettext("已提交，但后续流程处理出错，管理员将尽快处理")}, 202
    return {"status": instance.status, "process_instance_id": instance.id}
