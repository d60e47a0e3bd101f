"""Administrator pages: the audit log and platform roles."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.accounts import PlatformRoleForm
from app.models import AuditEntry, User
from app.services import accounts, audit, roles
from app.web.helpers import paginate, require

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.route("/audit")
@login_required
def audit_log():
    require("audit.view")
    query = select(AuditEntry).order_by(AuditEntry.id.desc())
    filters = {k: request.args.get(k, "").strip() for k in ("action", "record_type", "record_id")}
    for name, value in filters.items():
        if value:
            query = query.where(getattr(AuditEntry, name) == value[:64])
    return render_template("admin/audit.html", page=paginate(query), filters=filters)


@bp.route("/users", methods=["GET", "POST"])
@login_required
def users():
    require("role.grant")
    form = PlatformRoleForm()
    if form.validate_on_submit():
        user = accounts.find_user(form.username.data)
        if user is None:
            form.username.errors = [gettext("该用户不存在，请先注册账号")]
        else:
            roles.grant(user, form.role.data, granted_by=current_user)
            audit.record(current_user, "role.grant", "user", user.id, role=form.role.data)
            db.session.commit()
            flash(gettext("已授予角色。"), "success")
            return redirect(url_for(".users"))
    page = paginate(select(User).order_by(User.id))
    return render_template("admin/users.html", page=page, form=form)
