"""Project pages: the list, creation by the general contractor, participants."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.organisations import ParticipantByUsccForm, ProjectForm
from app.models import Enterprise, Project
from app.services import access, projects
from app.services.errors import DomainError
from app.web import allocation
from app.web.helpers import paginate, require, show_domain_error, visible_or_404

bp = Blueprint("projects", __name__, url_prefix="/projects")


@bp.route("/")
@login_required
def index():
    page = paginate(access.visible_projects(current_user))
    can_create = db.session.scalar(access.gc_enterprises_for(current_user).limit(1)) is not None
    return render_template("projects/index.html", page=page, can_create=can_create)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    gc_choices = db.session.scalars(access.gc_enterprises_for(current_user)).all()
    if not gc_choices:
        abort(403)
    form = ProjectForm()
    if request.method == "GET" and len(gc_choices) == 1:
        form.gc_enterprise_id.data = gc_choices[0].id
    if form.validate_on_submit():
        gc = next((e for e in gc_choices if e.id == form.gc_enterprise_id.data), None)
        if gc is None:
            form.gc_enterprise_id.errors = [gettext("请选择您所在的施工总包单位")]
        else:
            require("project.create", gc)
            account = form.wage_account
            try:
                project = projects.create_project(
                    current_user, code=form.code.data, name=form.name.data, address=form.address.data,
                    gc_enterprise=gc, bank_name=account.bank_name.data, account_no=account.account_no.data,
                    account_name=account.account_name.data)
                db.session.commit()
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash(gettext("项目已创建。"), "success")
                return redirect(url_for(".detail", pid=project.id))
    return render_template("projects/new.html", form=form, gc_choices=gc_choices)


@bp.route("/<int:pid>", methods=["GET", "POST"])
@login_required
def detail(pid: int):
    project = visible_or_404(Project, pid, "project.view")
    form = ParticipantByUsccForm()
    if form.validate_on_submit():
        require("project.manage_participants", project)
        enterprise = db.session.scalar(select(Enterprise).where(Enterprise.uscc == form.uscc.data))
        if enterprise is None:
            form.uscc.errors = [gettext("未找到该统一社会信用代码的企业，请确认企业已在平台登记")]
        else:
            try:
                projects.add_participant(current_user, project, enterprise.id, form.kind.data)
                db.session.commit()
            except DomainError as error:
                show_domain_error(form, error)
            else:
                flash(gettext("已添加参建单位：%(name)s。", name=enterprise.name), "success")
                return redirect(url_for(".detail", pid=pid))
    return render_template("projects/detail.html", project=project, form=form,
                           can_manage=access.may(current_user, "project.manage_participants", project),
                           managers=allocation.manager_names(project), designations=allocation.designations(project))
