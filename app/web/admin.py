"""Administrator pages: the audit log, platform roles and account locks."""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.forms.accounts import PlatformRoleForm
from app.models import AuditEntry, User
from app.services import accounts, audit, roles
from app.services.errors import DomainError
from app.web import audit_labels
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
    page = paginate(query)
    return render_template("admin/audit.html", page=page, filters=filters, records=audit_labels.record_words(page.items),
                           action_label=audit_labels.action_label, actions=audit_labels.ACTION_LABELS,
                           record_types=audit_labels.RECORD_LABELS)


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
    locked = accounts.locked_usernames(u.username for u in page.items)
    locked_ids = {u.id for u in page.items if u.username.lower() in locked}
    return render_template("admin/users.html", page=page, form=form, locked_ids=locked_ids)


@bp.route("/users/<int:user_id>/unlock", methods=["POST"])
@login_required
def unlock(user_id: int):
    """Lifts a login lock, e.g. after the owner called the help desk."""
    require("platform.admin")
    user = db.session.get(User, user_id) or abort(404)
    try:
        accounts.unlock(current_user, user)
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "warning")
    else:
        db.session.commit()
        flash(gettext("已解除账号%(username)s的登录锁定。", username=user.username), "success")
    return redirect(url_for(".users", page=request.args.get("page", type=int)))


from app.web import admin_calendar  # noqa: E402,F401 — 【节假日安排】, on this blueprint
