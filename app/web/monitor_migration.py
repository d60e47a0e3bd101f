"""Bulk migration of one process's instances to its latest version: a dry run lists
each unfinished instance on an older version with its verdict (can move, or why not);
the administrator runs it for the ones selected and sees a result per instance."""
from flask import abort, flash, render_template, request
from flask_babel import gettext
from flask_login import current_user

from app.forms.monitor import ActionForm
from app.services import audit
from app.web.helpers import paginate
from app.web.inbox import process_names
from app.web.monitor import MAX_ID, bp, latest_definitions
from app.workflow import migration

BULK_LIMIT = 100


def _latest_or_404(process_key: str):
    latest = latest_definitions().get(process_key[:64])
    if latest is None:
        abort(404)
    return latest


@bp.route("/processes/<process_key>/migrate", methods=["GET", "POST"])
def bulk_migrate(process_key: str):
    latest = _latest_or_404(process_key)
    form = ActionForm()
    results = None
    if request.method == "POST":
        if form.validate_on_submit():
            results = _run(_selected_ids())
        else:
            flash(gettext("页面已过期，请刷新后重试。"), "danger")
    page = paginate(migration.outdated(process_key))
    verdicts = [migration.check(instance) for instance in page.items]
    return render_template("monitor/migrate.html", process_key=process_key, latest=latest, page=page,
                           verdicts=verdicts, results=results, form=form,
                           process_name=process_names([process_key])[process_key])


def _selected_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("instance_id"):
        if value.isdigit() and int(value) <= MAX_ID and int(value) not in ids:
            ids.append(int(value))
    return ids


def _run(ids: list[int]) -> list[dict] | None:
    if not ids:
        flash(gettext("请至少选择一个流程实例。"), "warning")
        return None
    if len(ids) > BULK_LIMIT:
        flash(gettext("一次最多迁移 %(limit)d 个流程实例。", limit=BULK_LIMIT), "warning")
        return None

    def on_moved(instance, verdict):
        audit.record(current_user, "process.migrate", "process_instance", instance.id,
                     from_version=verdict.from_version, to_version=verdict.target.version, bulk=True)

    results = [{"id": i, "moved": moved, "message": gettext(message, **params)}
               for i, moved, (message, params) in migration.migrate_many(ids, current_user, on_moved)]
    moved = sum(1 for r in results if r["moved"])
    flash(gettext("已迁移 %(moved)d 个，未迁移 %(refused)d 个。", moved=moved, refused=len(results) - moved),
          "success" if moved == len(results) else "warning")
    return results
