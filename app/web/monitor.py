"""流程监控: the administrators' view of running processes — a dashboard, the instance
list, one instance with its repairs (monitor_instance) and bulk migration to the latest
version (monitor_migration). Administrators only."""
from datetime import date

from flask import Blueprint, Response, abort, flash, render_template, request
from flask_babel import gettext, lazy_gettext as _l
from flask_login import login_required
from sqlalchemy import func, select

from app.extensions import db
from app.models import ProcessDefinition, ProcessInstance
from app.models.types import utcnow
from app.models.workflow import INSTANCE_STATUSES
from app.services import outbox
from app.web import monitor_queries as queries
from app.web.diagram_labels import display_xml
from app.web.helpers import paginate, require
from app.web.inbox import has_diagram, process_names
from app.workflow import definitions, scheduler
from app.workflow.job_runs import last_runs

bp = Blueprint("monitor", __name__, url_prefix="/admin/monitor")

STATUS_LABELS = {"running": _l("运行中"), "waiting": _l("等待中"), "suspended": _l("已挂起"), "error": _l("出错"),
                 "completed": _l("已完成"), "terminated": _l("已终止")}
STATUS_STYLES = {"running": "primary", "waiting": "info", "suspended": "secondary", "error": "danger",
                 "completed": "success", "terminated": "dark"}
MAX_ID = 2**31 - 1


@bp.before_request
@login_required
def _administrators_only():
    require("process.monitor")


@bp.app_context_processor
def _labels():
    return {"instance_status_labels": STATUS_LABELS, "instance_status_styles": STATUS_STYLES}


def latest_definitions() -> dict[str, ProcessDefinition]:
    """process_key → its latest version."""
    latest = {}
    for definition in db.session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.version)):
        latest[definition.key] = definition
    return latest


def outdated_counts(latest: dict) -> dict[str, int]:
    """process_key → how many unfinished instances run an older version."""
    counts: dict[str, int] = {}
    rows = db.session.execute(select(ProcessInstance.process_key, ProcessInstance.definition_id, func.count())
                              .where(ProcessInstance.status.not_in(("completed", "terminated")))
                              .group_by(ProcessInstance.process_key, ProcessInstance.definition_id))
    for key, definition_id, count in rows:
        if key in latest and definition_id != latest[key].id:
            counts[key] = counts.get(key, 0) + count
    return counts


@bp.route("/")
def dashboard():
    now = utcnow()
    counts = queries.status_counts()
    latest = latest_definitions()
    keys = sorted(set(counts) | set(latest))
    overdue, overdue_total = queries.overdue_tasks(now)
    failed, failed_total = queries.failed_instances()
    durations = queries.task_durations(now)
    chosen = request.args.get("diagram", "")
    if chosen not in latest:
        chosen = next((k for k in keys if counts.get(k, {}).get("running") or counts.get(k, {}).get("waiting")),
                      keys[0] if keys else "")
    definition = latest.get(chosen)
    waiting = queries.waiting_counts(chosen) if definition else {}
    return render_template("monitor/dashboard.html", keys=keys, counts=counts, latest=latest,
                           names=process_names(keys), outdated=outdated_counts(latest), overdue=overdue,
                           overdue_total=overdue_total, failed=failed, failed_total=failed_total,
                           durations=durations, task_titles=_task_titles(latest), chosen=chosen,
                           definition=definition, waiting=waiting, now=now, jobs=last_runs(scheduler.JOBS),
                           show_diagram=bool(definition) and has_diagram(definition.bpmn_xml),
                           outbox_failed=outbox.state_counts()["failed"])


def _task_titles(latest: dict) -> dict[str, dict[str, str]]:
    """process_key → {task_key: the task's name in the latest version}."""
    titles = {}
    for key, definition in latest.items():
        try:
            spec, _ = definitions.specs_for(definition)
        except definitions.DefinitionError:
            continue
        titles[key] = {s.bpmn_id: s.bpmn_name for s in spec.task_specs.values() if s.bpmn_id and s.bpmn_name}
    return titles


# --- the instance list -----------------------------------------------------------------

def _day(name: str) -> date | None:
    text = (request.args.get(name) or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        flash(gettext("日期格式不正确，已忽略：%(value)s", value=text[:20]), "warning")
        return None


def _list_filters() -> dict:
    status = request.args.get("status", "")
    return {"process": (request.args.get("process") or "").strip()[:64],
            "status": status if status in INSTANCE_STATUSES else "",
            "q": (request.args.get("q") or "").strip()[:50],
            "started_from": _day("started_from"), "started_to": _day("started_to")}


@bp.route("/instances")
def instances():
    filters = _list_filters()
    page = paginate(queries.instances(filters))
    keys = sorted(latest_definitions())
    kept = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in filters.items() if v}
    return render_template("monitor/instances.html", page=page, filters=filters, kept=kept, keys=keys,
                           names=process_names(keys + [i.process_key for i in page.items]),
                           statuses=INSTANCE_STATUSES)


@bp.route("/definitions/<int:definition_id>/diagram.bpmn")
def diagram(definition_id: int):
    """One stored version's XML, for the diagram viewer."""
    definition = db.session.get(ProcessDefinition, definition_id) if definition_id <= MAX_ID else None
    if definition is None:
        abort(404)
    response = Response(display_xml(definition.bpmn_xml), mimetype="application/xml")
    # Opened directly, an XML document may run embedded script: serve it inert.
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


from app.web import monitor_instance, monitor_migration, monitor_outbox  # noqa: E402,F401  (their routes are on bp)
