"""The GC PM's on-site settings (DOMAIN §5): 【项目角色授权管理】 (sign-in officers:
【添加授权】, revoke) and 【项目班前签到定位调整】 → 【手动录入坐标】."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.site import OfficerForm, SigninLocationForm
from app.models import Allocation, Person, Project
from app.services import geo, signin, site
from app.services.errors import DomainError
from app.web import allocation as common
from app.web.helpers import show_domain_error
from app.web.onsite import project_or_404

bp = Blueprint("onsite_settings", __name__, url_prefix="/projects/<int:pid>/site")

SEARCH_LIMIT = 50
OUTSIDE_MAINLAND = "该坐标不在中国大陆范围内，请确认经纬度是否填反或有误"  # msgid shared with the API


def _gc_pm_project(pid: int) -> Project:
    """404 when the project is not visible, 403 when the user is not its GC PM."""
    project = project_or_404(pid)
    if not signin.is_gc_pm(current_user, project):
        abort(403)
    return project


# --- 【项目角色授权管理】 ----------------------------------------------------------------------

@bp.route("/roles")
@login_required
def roles(pid: int):
    project = _gc_pm_project(pid)
    rows = [{"person_id": p.id, "name": p.name, "id_number": common.masked(p),
             "unit": a.enterprise.name if a else "", "status": common.STATUS_LABELS.get(a.status, "") if a else ""}
            for p, a in signin.officers(project)]
    return render_template("onsite/roles.html", project=project, rows=rows)


def _members(project: Project, name: str) -> list[dict]:
    """Accepted members of the project (已分配确认) whose name contains `name`."""
    query = (select(Allocation).join(Person, Allocation.person_id == Person.id)
             .where(Allocation.project_id == project.id, Allocation.status.in_(site.ACCEPTED))
             .order_by(Person.name, Person.id).limit(SEARCH_LIMIT + 1))
    if name:
        escaped = name.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(Person.name.like(f"%{escaped}%", escape="\\"))
    officers = {p.id for p, _a in signin.officers(project)}
    return [{"person_id": a.person_id, "name": a.person.name, "id_number": common.masked(a.person),
             "unit": a.enterprise.name, "role": common.ROLE_LABELS.get(a.role, a.role),
             "officer": a.person_id in officers, "has_account": a.person.user_id is not None}
            for a in db.session.scalars(query)]


@bp.route("/roles/new", methods=["GET", "POST"])
@login_required
def add_officer(pid: int):
    """【添加授权】: 授权职务 【班前签到员】, search the name, pick, 【确认】."""
    project = _gc_pm_project(pid)
    form = OfficerForm()
    name = (request.values.get("q") or "").strip()[:40]
    if form.validate_on_submit() and form.person_id.data <= common.MAX_ID:
        try:
            allocation = signin.appoint_officer(current_user, project, form.person_id.data)
            db.session.commit()
        except DomainError as error:
            db.session.rollback()
            flash(gettext(error.message, **error.params), "danger")
        else:
            flash(gettext("已授权%(name)s为班前签到员", name=allocation.person.name), "success")
            return redirect(url_for(".roles", pid=pid))
    elif request.method == "POST":
        flash(gettext("请选择人员"), "warning")
    members = _members(project, name)
    return render_template("onsite/add_officer.html", project=project, form=form, q=name,
                           members=members[:SEARCH_LIMIT], more=len(members) > SEARCH_LIMIT)


@bp.route("/roles/<int:person_id>/revoke", methods=["POST"])
@login_required
def revoke_officer(pid: int, person_id: int):
    project = _gc_pm_project(pid)
    person = db.session.get(Person, person_id)
    try:
        signin.revoke_officer(current_user, project, person_id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
    else:
        flash(gettext("已撤销%(name)s的班前签到员授权", name=person.name), "success")
    return redirect(url_for(".roles", pid=pid))


# --- 【项目班前签到定位调整】 → 【手动录入坐标】 -------------------------------------------------------

@bp.route("/signin-location", methods=["GET", "POST"])
@login_required
def signin_location(pid: int):
    project = _gc_pm_project(pid)
    form = SigninLocationForm()
    if request.method == "GET" and project.signin_lng is not None:
        form.lng.data, form.lat.data = project.signin_lng, project.signin_lat
        form.radius_m.data = project.signin_radius_m
        form.coord_system.data = project.signin_coord_system
    if form.validate_on_submit():
        try:
            point = signin.set_location(current_user, project, form.lng.data, form.lat.data,
                                        form.radius_m.data or signin.DEFAULT_RADIUS_M,
                                        form.coord_system.data or geo.GCJ02)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("签到地址已保存：签到范围%(radius)d米", radius=point.radius_m), "success")
            if point.outside_mainland:
                flash(gettext(OUTSIDE_MAINLAND), "warning")
            return redirect(url_for(".signin_location", pid=pid))
    return render_template("onsite/signin_location.html", project=project, form=form,
                           system_labels={geo.GCJ02: "GCJ-02", geo.WGS84: "WGS-84"})
