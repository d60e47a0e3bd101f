"""Process instances (administrators) and process definitions (analysts)."""
from flask import g, request
from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import defer

from app.api import bp
from app.api.lookup import require
from app.api.pages import page_of
from app.api.problems import ApiProblem
from app.api.registry import endpoint
from app.extensions import db
from app.forms.processes import TerminateForm
from app.models import HumanTask, ProcessDefinition, ProcessInstance, WorkflowTimer
from app.models.workflow import INSTANCE_STATUSES
from app.services import audit, rule_periods
from app.workflow import definitions, history, isolation, migration, parsing, replacement, runtime, timer_periods, xml_text
from app.workflow.errors import WorkflowFailure


def instance_json(instance: ProcessInstance) -> dict:
    return {
        "id": instance.id, "process_key": instance.process_key, "status": instance.status,
        "version": instance.definition.version, "subject": instance.subject,
        "created_at": instance.created_at.isoformat(), "updated_at": instance.updated_at.isoformat(),
        "completed_at": instance.completed_at.isoformat() if instance.completed_at else None,
        "error_message": instance.error_message,
    }


def _instance(instance_id: int) -> ProcessInstance:
    require("process.monitor")
    instance = db.session.get(ProcessInstance, instance_id)
    if instance is None:
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    return instance


@endpoint(bp, "/process-instances", "GET", summary="Process instances (admin)", tag="processes",
          query=("process_key", "status", "page", "per_page"), responses={200: {"items": "array"}, 403: None})
def list_instances():
    require("process.monitor")
    # The serialized state is the bulk of a row and no list shows it.
    query = select(ProcessInstance).options(defer(ProcessInstance.state)).order_by(ProcessInstance.id.desc())
    if request.args.get("process_key"):
        query = query.where(ProcessInstance.process_key == request.args["process_key"])
    status = request.args.get("status")
    if status:
        if status not in INSTANCE_STATUSES:
            raise ApiProblem(400, gettext("查询参数无效"), errors={"status": ", ".join(INSTANCE_STATUSES)})
        query = query.where(ProcessInstance.status == status)
    return page_of(query, instance_json)


@endpoint(bp, "/process-instances/<int:instance_id>", "GET", summary="One instance: tasks, history, timers",
          tag="processes", responses={200: {"status": "string", "tasks": "array", "events": "array",
                                            "timers": "array"}, 403: None, 404: None})
def get_instance(instance_id):
    instance = _instance(instance_id)
    tasks = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                       HumanTask.status.in_(("open", "suspended"))))
    timer = db.session.get(WorkflowTimer, instance.id)
    return {
        **instance_json(instance),
        "tasks": [{"id": t.id, "task_key": t.task_key, "title": t.title, "status": t.status, "lane": t.lane,
                   "due_at": t.due_at.isoformat() if t.due_at else None} for t in tasks],
        "events": [history.as_json(step) for step in history.of(instance)],
        "timers": [{"due_at": timer.due_at.isoformat()}] if timer else [],
        "pending_action": (instance.pending_action or {}).get("kind"),
    }


def _admin_action(instance_id, action, **kwargs):
    instance = _instance(instance_id)
    getattr(runtime, action)(instance, g.api_user, **kwargs)
    audit.record(g.api_user, f"process.{action}", "process_instance", instance.id, reason=kwargs.get("reason"))
    db.session.commit()
    return {"id": instance.id, "status": instance.status}


@endpoint(bp, "/process-instances/<int:instance_id>/suspend", "POST", summary="Suspend (admin)",
          tag="processes", responses={200: {"status": "string"}, 403: None, 404: None, 409: None})
def suspend_instance(instance_id):
    return _admin_action(instance_id, "suspend")


@endpoint(bp, "/process-instances/<int:instance_id>/resume", "POST", summary="Resume (admin)",
          tag="processes", responses={200: {"status": "string"}, 403: None, 404: None, 409: None})
def resume_instance(instance_id):
    return _admin_action(instance_id, "resume")


@endpoint(bp, "/process-instances/<int:instance_id>/terminate", "POST", summary="Terminate (admin)",
          tag="processes", form=TerminateForm, responses={200: {"status": "string"}, 403: None, 404: None,
                                                          409: None, 422: None})
def terminate_instance(instance_id, form):
    return _admin_action(instance_id, "terminate", reason=form.reason.data)


@endpoint(bp, "/process-instances/<int:instance_id>/retry", "POST", summary="Retry what failed (admin)",
          tag="processes", responses={200: {"status": "string"}, 403: None, 404: None, 409: None, 503: None})
def retry_instance(instance_id):
    instance = _instance(instance_id)
    audit.record(g.api_user, "process.retry", "process_instance", instance.id)
    try:
        runtime.retry(instance, g.api_user)
    except WorkflowFailure:  # logged by runtime.run_step; the reason is the instance's error_message
        raise ApiProblem(503, gettext("重试仍然失败，原因见该实例的 error_message。")) from None
    return {"id": instance.id, "status": instance.status}


@endpoint(bp, "/process-definitions", "GET", summary="Process keys with their versions", tag="processes",
          responses={200: {"items": "array"}, 403: None})
def list_definitions():
    require("process.view_definitions")
    rows = db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key,
                                                                 ProcessDefinition.version.desc()))
    grouped: dict[str, dict] = {}
    for d in rows:
        entry = grouped.setdefault(d.key, {"key": d.key, "name": d.name, "latest_version": d.version,
                                           "versions": []})
        entry["versions"].append({"version": d.version, "id": d.id, "source": d.source,
                                  "deployed_at": d.deployed_at.isoformat()})
    return {"items": list(grouped.values())}


@endpoint(bp, "/process-definitions", "POST", summary="Deploy a BPMN diagram as a new version (analyst); a change "
          "to a waiting period DOMAIN.md names as a rule (resignation waiting_period, hire_consent consent_expiry) "
          "is deployed, audited and named in `warnings`",
          tag="processes", body="xml", responses={201: {"key": "string", "version": "integer", "warnings": "array"},
                                                  200: {"key": "string", "version": "integer"},
                                                  403: None, 415: None, 422: None})
def deploy_definition():
    require("process.deploy")
    if request.mimetype not in ("application/xml", "text/xml", "application/octet-stream"):
        raise ApiProblem(415, gettext("请以 application/xml 提交BPMN文件"))
    try:
        xml = xml_text.decode(request.get_data())  # in the encoding its declaration names
    except xml_text.XmlEncodingError as error:
        message = gettext(error.message, **error.params)
        raise ApiProblem(422, message, errors={"bpmn": message},
                         extra={"problems": [{"element_id": None, "line": None, "message": message}]}) from None
    key = parsing.process_key(xml)
    changes = rule_periods.changes(key, xml) if key else []
    previous = definitions.latest(key) if key else None
    try:
        definition, created, diagram_warnings = isolation.deploy(xml, "deploy", actor=g.api_user)
    except definitions.DefinitionError as error:
        refused = parsing.errors(error.problems)
        raise ApiProblem(422, gettext("流程图校验未通过：%(detail)s", detail=_said(refused[0])),
                         errors=_problems_by_element(refused),
                         extra={"problems": [p.as_json() for p in refused],
                                "warnings": [_said(p) for p in parsing.warnings(error.problems)]}) from None
    if not created:
        db.session.commit()
        return {"key": definition.key, "version": definition.version}, 200
    # A client of the API decides for itself (the modeler asks the analyst to confirm a
    # rule change first): the change is deployed, named in the answer and audited.
    warnings = [gettext(rule_periods.RULE_CHANGED, rule=gettext(c.rule.label), timer=c.rule.timer_id,
                        old=timer_periods.describe_expression(c.old), new=timer_periods.describe_expression(c.new))
                for c in changes] + [_said(p) for p in diagram_warnings]
    shared, total = replacement.shared_nodes(previous.bpmn_xml, xml) if previous is not None else (0, 0)
    if replacement.replaces(shared, total):  # the API's client decides for itself; the modeler asks first
        warnings.append(gettext(replacement.REPLACES_PROCESS, key=key, version=previous.version, shared=shared,
                                total=total))
    audit.record(g.api_user, "process.deploy", "process_definition", definition.id,
                 key=definition.key, version=definition.version,
                 **({"rule_changes": [{"timer": c.rule.timer_id, "old": c.old, "new": c.new} for c in changes]}
                    if changes else {}))
    db.session.commit()
    return {"key": definition.key, "version": definition.version, **({"warnings": warnings} if warnings else {})}, 201


# --- migration to the latest version (administrators) ----------------------------------

def _verdict_json(verdict) -> dict:
    return {"id": verdict.instance.id, "status": verdict.instance.status, "version": verdict.from_version,
            "can_move": verdict.can_move, "reasons": [gettext(m, **p) for m, p in verdict.reasons],
            "notes": [gettext(m, **p) for m, p in verdict.notes]}


@endpoint(bp, "/process-definitions/<key>/migration-dry-run", "GET", tag="processes",
          summary="Which unfinished instances on older versions can move to the latest, and why not (admin)",
          query=("page", "per_page"), responses={200: {"items": "array", "latest_version": "integer"},
                                                 403: None, 404: None})
def migration_dry_run(key):
    require("process.monitor")
    latest = definitions.latest(key[:64])
    if latest is None:
        raise ApiProblem(404, gettext("记录不存在或无权查看"))
    result = page_of(migration.outdated(latest.key), lambda instance: _verdict_json(migration.check(instance)))
    return {**result, "key": latest.key, "latest_version": latest.version}


@endpoint(bp, "/process-instances/<int:instance_id>/migrate", "POST", tag="processes",
          summary="Move a running instance to its process's latest version (admin)",
          responses={200: {"status": "string", "version": "integer"}, 403: None, 404: None, 409: None})
def migrate_instance(instance_id):
    instance = _instance(instance_id)
    verdict = migration.migrate(instance, g.api_user)  # a refusal is a Conflict: 409 with the reason
    audit.record(g.api_user, "process.migrate", "process_instance", instance.id,
                 from_version=verdict.from_version, to_version=verdict.target.version)
    db.session.commit()
    return {"id": instance.id, "status": instance.status, "version": verdict.target.version}


def _said(problem) -> str:
    """A problem in one line of text: where (line), then what."""
    return gettext("第 %(line)d 行：%(message)s", line=problem.line, message=problem.message) if problem.line \
        else problem.message


def _problems_by_element(problems) -> dict[str, str]:
    """`errors` keyed by element id; several problems at one element are all kept, one per line."""
    errors: dict[str, list[str]] = {}
    for p in problems:
        errors.setdefault(p.element_id or "bpmn", []).append(_said(p))
    return {element: "\n".join(messages) for element, messages in errors.items()}
