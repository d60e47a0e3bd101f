"""The business analysts' modeler: processes and their versions, download, comparison,
and the editor's server side — validate, run the test cases, deploy a new version.

Analysts change and deploy diagrams; administrators may look. A diagram may only name
handlers, forms and lane roles the code registered, so the editor offers exactly those.
"""
from flask import (Blueprint, Response, abort, flash, jsonify, make_response, redirect, render_template, request,
                   url_for)
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import func, select, tuple_

from app.extensions import db
from app.models import ProcessDefinition, User
from app.services import audit, rule_periods
from app.services.access import may
from app.services.i18n import N_
from app.web import bpmn_file, modeler_lint_text
from app.web.helpers import paginate, require
from app.web.modeler_problems import problems_json, rule_warnings_json
from app.workflow import definitions, diagram_diff, isolation, replacement
from app.workflow.elements import TYPE_LABELS
from app.workflow.registry import REGISTRY

bp = Blueprint("modeler", __name__, url_prefix="/modeler")

VIEW, DEPLOY = "process.view_definitions", "process.deploy"
FIELD_LABELS = {
    "type": N_("元素类型"), "name": N_("名称"), "role": N_("泳道角色"), "lane": N_("所在泳道"),
    "form_key": N_("表单"), "handler": N_("处理程序"), "parameters": N_("处理程序参数"), "timer": N_("定时器"),
    "attached_to": N_("附着于"), "source": N_("连线起点"), "target": N_("连线终点"), "condition": N_("条件"),
    "outgoing": N_("流出连线指向"), "script": N_("脚本"), "pre_script": N_("前置脚本"), "post_script": N_("后置脚本"),
}


def _versions_of(key: str):
    return select(ProcessDefinition).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version.desc())


def _version(key: str, version: int) -> ProcessDefinition:
    definition = db.session.scalar(select(ProcessDefinition).where(
        ProcessDefinition.key == key, ProcessDefinition.version == version))
    if definition is None:
        abort(404)
    return definition


def _latest(key: str) -> ProcessDefinition:
    definition = definitions.latest(key)
    if definition is None:
        abort(404)
    return definition


def _deployers(rows) -> dict[int, User]:
    ids = {d.deployed_by_id for d in rows if d.deployed_by_id}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))} if ids else {}


@bp.route("/")
@login_required
def index():
    require(VIEW)
    newest = select(ProcessDefinition.key, func.max(ProcessDefinition.version)).group_by(ProcessDefinition.key)
    page = paginate(select(ProcessDefinition).where(
        tuple_(ProcessDefinition.key, ProcessDefinition.version).in_(newest)).order_by(ProcessDefinition.key))
    keys = [d.key for d in page.items]
    counts = dict(db.session.execute(select(ProcessDefinition.key, func.count()).where(
        ProcessDefinition.key.in_(keys)).group_by(ProcessDefinition.key)).all()) if keys else {}
    return render_template("modeler/index.html", page=page, counts=counts, deployers=_deployers(page.items))


@bp.route("/<key>/")
@login_required
def versions(key: str):
    require(VIEW)
    latest = _latest(key)
    page = paginate(_versions_of(key))
    numbers = db.session.scalars(select(ProcessDefinition.version).where(ProcessDefinition.key == key)
                                 .order_by(ProcessDefinition.version.desc())).all()
    return render_template("modeler/versions.html", key=key, latest=latest, page=page, numbers=numbers,
                           deployers=_deployers(page.items))


@bp.route("/<key>/v<int:version>.bpmn")
@login_required
def download(key: str, version: int):
    require(VIEW)
    definition = _version(key, version)
    response = Response(definition.bpmn_xml, mimetype="application/xml")
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-v{version}.bpmn"'
    # Opened directly, an XML document may run embedded script: serve it inert.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.route("/<key>/compare")
@login_required
def compare(key: str):
    require(VIEW)
    old_number, new_number = request.args.get("a", type=int), request.args.get("b", type=int)
    if old_number is None or new_number is None or old_number == new_number:
        flash(gettext("请选择两个不同的版本进行比较。"), "warning")
        return redirect(url_for(".versions", key=key))
    old_number, new_number = sorted((old_number, new_number))
    old, new = _version(key, old_number), _version(key, new_number)
    result = diagram_diff.diff(old.bpmn_xml, new.bpmn_xml)  # stored versions were validated: both readable
    return render_template("modeler/compare.html", key=key, old=old, new=new, diff=result,
                           labels={k: gettext(v) for k, v in FIELD_LABELS.items()},
                           types={k: gettext(v) for k, v in TYPE_LABELS.items()})


@bp.route("/<key>/edit")
@login_required
def edit(key: str):
    require(VIEW)
    version = request.args.get("version", type=int)
    definition = _version(key, version) if version else _latest(key)
    choices = {
        "forms": sorted(REGISTRY.forms),
        "handlers": sorted(REGISTRY.handlers),
        "lanes": [{"key": k, "label": gettext(lane.label) if lane.label else k}
                  for k, lane in sorted(REGISTRY.lanes.items())],
    }
    return render_template("modeler/edit.html", key=key, definition=definition, latest=_latest(key),
                           choices=choices, may_deploy=may(current_user, DEPLOY),
                           lint_text=modeler_lint_text.messages())


def _refuse(message: str):
    abort(make_response(jsonify(ok=False, problems=[{"element_id": None, "line": None, "message": message,
                                                     "detail": ""}]), 422))


def _posted_xml() -> bytes:
    """The diagram the editor sends, non-empty, read in the encoding its XML declaration
    names and handed on as UTF-8 that says so (deploy stores it as text)."""
    from app.workflow import xml_text

    xml = request.get_data()
    if not xml.strip():
        _refuse(gettext("没有收到流程图内容。"))
    try:
        return xml_text.decode(xml).encode("utf-8")
    except xml_text.XmlEncodingError as error:
        _refuse(gettext(error.message, **error.params))


@bp.route("/<key>/validate", methods=["POST"])
@login_required
def validate(key: str):
    """The checks deploy makes, without deploying: the editor marks what they name. The
    diagram is not deployed yet, so it is read in a child process (isolation.py)."""
    require(DEPLOY)
    _latest(key)
    xml = _posted_xml()
    problems = isolation.validate(xml.decode("utf-8"), f"{key}.bpmn")  # errors, then warnings
    refused = any(p.severity == "error" for p in problems)
    warnings = [] if refused else rule_warnings_json(rule_periods.changes(key, xml.decode("utf-8")))
    return jsonify(ok=not refused, problems=problems_json(problems, xml), warnings=warnings)


@bp.route("/<key>/test-cases", methods=["POST"])
@login_required
def test_cases(key: str):
    """运行用例: the process's cases against the diagram being edited, in a child process."""
    require(DEPLOY)
    _latest(key)
    xml = _posted_xml()
    problems, results = isolation.run_cases(xml.decode("utf-8"), key)
    if problems:  # cases cannot run a diagram that does not parse
        return jsonify(available=True, results=[], problems=problems_json(problems, xml))
    return jsonify(available=bool(results), results=[
        {"name": r.name, "passed": bool(r.passed), "message": r.message or "", "element_id": r.element_id or None}
        for r in results])


@bp.route("/<key>/import", methods=["POST"])
@login_required
def import_file(key: str):
    """【导入】: a .bpmn file from the analyst's disk, read in the encoding its XML
    declaration names (Latin-1, UTF-16, GB18030 …) and answered as UTF-8 text for the
    canvas to open. Nothing is stored: the analyst checks and publishes as usual."""
    require(VIEW)
    _latest(key)
    xml = bpmn_file.read(request.get_data())
    return jsonify(ok=True, xml=xml)


@bp.route("/<key>/deploy", methods=["POST"])
@login_required
def deploy(key: str):
    """A new version, as the API deploys it: validated, audited, one transaction. Two
    changes are published only once the publish dialog's ticks confirm them, each by a
    ?confirm= of its own (both may be needed at once): a waiting period DOMAIN.md names
    as a rule (rule-change), and a structurally different process under this key
    (replace-process). Without them the answer is 409 naming what to confirm, and
    nothing is deployed."""
    require(DEPLOY)
    previous = _latest(key)
    previous_xml = previous.bpmn_xml
    xml = _posted_xml()
    changes = rule_periods.changes(key, xml.decode("utf-8"))
    try:
        definition, created, diagram_warnings = isolation.deploy(xml.decode("utf-8"), "modeler", actor=current_user)
    except definitions.DefinitionError as error:
        db.session.rollback()
        return jsonify(ok=False, problems=problems_json(error.problems, xml)), 422
    if definition.key != key:
        db.session.rollback()
        return jsonify(ok=False, problems=[{"element_id": definition.key, "line": None, "detail": "",
                                            "message": gettext("流程标识须保持为 %(key)s", key=key)}]), 422
    needed = _confirmations_needed(key, previous, previous_xml, xml, changes) if created else {}
    unconfirmed = {name: message for name, message in needed.items()
                   if name not in request.args.getlist("confirm")}
    if unconfirmed:
        db.session.rollback()
        return jsonify(ok=False, confirm=next(iter(unconfirmed)), confirmations=unconfirmed, problems=[],
                       warnings=rule_warnings_json(changes) if rule_periods.CONFIRM_RULE_CHANGE in unconfirmed
                       else [], message=" ".join(unconfirmed.values())), 409
    if created:
        audit.record(current_user, "process.deploy", "process_definition", definition.id,
                     key=definition.key, version=definition.version,
                     **({"rule_changes": [{"timer": c.rule.timer_id, "old": c.old, "new": c.new} for c in changes]}
                        if changes else {}),
                     **({"replaced_process": True} if replacement.CONFIRM_REPLACE_PROCESS in needed else {}))
    db.session.commit()
    return jsonify(ok=True, created=created, version=definition.version,
                   problems=problems_json(diagram_warnings, xml),
                   message=gettext("已发布为第 %(version)d 版。", version=definition.version) if created
                   else gettext("内容与第 %(version)d 版相同，未发布新版本。", version=definition.version))


def _confirmations_needed(key, previous, previous_xml, xml, changes) -> dict[str, str]:
    """What the publish dialog's ticks must confirm (?confirm=a&confirm=b): name → message."""
    needed = {}
    shared, total = replacement.shared_nodes(previous_xml, xml)
    if replacement.replaces(shared, total):
        needed[replacement.CONFIRM_REPLACE_PROCESS] = gettext(
            replacement.REPLACES_PROCESS, key=key, version=previous.version, shared=shared, total=total)
    if changes:
        needed[rule_periods.CONFIRM_RULE_CHANGE] = gettext(rule_periods.NOT_CONFIRMED)
    return needed
