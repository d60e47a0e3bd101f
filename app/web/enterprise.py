"""Enterprise pages: the list, creation by an admin, and the enterprise's staff."""
from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.organisations import EnterpriseForm, HrAdminForm
from app.models import Enterprise, Participant, Project
from app.services import access, enterprises
from app.services.errors import DomainError
from app.web import hire_registration
from app.web.helpers import paginate, require, show_domain_error, visible_or_404

bp = Blueprint("enterprise", __name__, url_prefix="/enterprises")
bp.register_blueprint(hire_registration.bp)  # 聘用登记: enterprise.hire_registration.index


@bp.route("/")
@login_required
def index():
    page = paginate(access.visible_enterprises(current_user))
    return render_template("enterprise/index.html", page=page)


@bp.route("/new", methods=["GET", "POST"])
@login_required
def new():
    require("enterprise.create")
    form = EnterpriseForm()
    if form.validate_on_submit():
        try:
            enterprise = enterprises.create_enterprise(current_user, form.name.data, form.uscc.data,
                                                       form.legal_rep_username.data)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("企业已创建。"), "success")
            return redirect(url_for(".detail", eid=enterprise.id))
    return render_template("enterprise/new.html", form=form)


@bp.route("/<int:eid>", methods=["GET", "POST"])
@login_required
def detail(eid: int):
    enterprise = visible_or_404(Enterprise, eid, "enterprise.view")
    form = HrAdminForm()
    if form.validate_on_submit():
        require("enterprise.manage_hr_admins", enterprise)
        try:
            enterprises.add_hr_admin(current_user, enterprise, form.username.data)
            db.session.commit()
        except DomainError as error:
            show_domain_error(form, error)
        else:
            flash(gettext("已添加人事聘用管理员。"), "success")
            return redirect(url_for(".detail", eid=eid))
    participations = db.session.execute(
        select(Participant, Project).join(Project, Participant.project_id == Project.id)
        .where(Participant.enterprise_id == eid).order_by(Project.id.desc())).all()
    return render_template("enterprise/detail.html", enterprise=enterprise, form=form,
                           staff=enterprises.staff_of(enterprise), participations=participations)
