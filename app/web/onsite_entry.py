"""Entry as manual 000: 【扫一扫】 → 确认进场项目 (the person and the project) → 【确认进场】 →
进场成功 "<name>已成功进入<project>" with 【返回首页】 and 【再次扫码】. A person already on
site is offered 上班打卡 / 下班打卡 instead.

The scan only reads the code to show who it is; the entry itself is site.scan(...,
"entry"), the same call the API makes, when 【确认进场】 is pressed. Nested in the onsite
blueprint: endpoints onsite.entry.*.
"""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.extensions import db
from app.forms.site import ScanForm
from app.models import Allocation
from app.services import site
from app.services.errors import DomainError, Forbidden, RuleViolation
from app.web import allocation as common

bp = Blueprint("entry", __name__, url_prefix="/entry")

def _project(pid: int):
    from app.web.onsite import project_or_404  # onsite imports this module to nest it
    return project_or_404(pid)


def _person_card(allocation: Allocation) -> dict:
    """What 确认进场项目 shows of the person: name, masked ID number, enterprise, role."""
    person = allocation.person
    role = common.ROLE_LABELS.get(allocation.role, allocation.role)
    job = common.job_label(allocation.job_type) if allocation.job_type else ""
    return {"name": person.name, "id_number": common.masked(person), "enterprise": allocation.enterprise.name,
            "role": f"{role} · {job}" if job else role, "status": allocation.status}


def preview(project, form: ScanForm):
    """The 确认进场项目 screen for a scanned code, or None after flashing why not."""
    try:
        if not site.is_site_staff(current_user, project):
            raise Forbidden(site.NOT_SITE_STAFF)
        person = site.person_from_code(form.token.data)
        allocation = site.allocation_on(person.id, project.id)
        if allocation is None:
            raise RuleViolation(site.NOT_ON_PROJECT, field="token")
        if allocation.status not in site.ACCEPTED:
            raise RuleViolation(site.NOT_CONFIRMED, field="token")
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return None
    return render_template("onsite/entry_confirm.html", project=project, card=_person_card(allocation),
                           token=form.token.data, entered=allocation.status == "on_site", form=ScanForm())


@bp.route("/", methods=["POST"])
@login_required
def confirm(pid: int):
    """【确认进场】: enters the person through the same call as the API, then 进场成功."""
    project = _project(pid)
    if not site.is_site_staff(current_user, project):
        abort(403)
    form = ScanForm()
    form.purpose.data = "entry"
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "danger")
        return redirect(url_for("onsite.scan", pid=pid))
    try:
        outcome = site.scan(current_user, project, form.token.data, "entry")
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return redirect(url_for("onsite.scan", pid=pid))
    if not outcome.created:  # entered meanwhile (another scanner): say so on the scanner
        flash(gettext(outcome.message, name=outcome.person.name, project=project.name), "info")
        return redirect(url_for("onsite.scan", pid=pid, scanned=1))
    return redirect(url_for(".done", pid=pid, allocation_id=outcome.record.id))


@bp.route("/<int:allocation_id>/done")
@login_required
def done(pid: int, allocation_id: int):
    """进场成功: "<name>已成功进入<project>", 【返回首页】, 【再次扫码】."""
    project = _project(pid)
    if not site.is_site_staff(current_user, project):
        abort(403)
    allocation = db.session.get(Allocation, allocation_id) if allocation_id <= 2**31 - 1 else None
    if allocation is None or allocation.project_id != project.id or allocation.status != "on_site":
        abort(404)
    message = gettext(site.ENTERED, name=allocation.person.name, project=project.name)
    return render_template("onsite/entry_done.html", project=project, message=message,
                           card=_person_card(allocation))
