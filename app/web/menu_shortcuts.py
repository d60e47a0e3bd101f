"""The manuals' menu entries that live under one enterprise or one project: 【聘用登记】
(manual 000, 企业端) and 【项目人员接收】 (manual 004, 从业人员实名制管理 → 建筑工人实名制管理).
A user with one such enterprise or project goes straight there; with several, to the
list to choose from (each page still checks the user's rights itself)."""
from flask import Blueprint, flash, redirect, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from app.services.roles import ENTERPRISE_ROLES, PROJECT_MANAGER, SITE_OPERATOR

bp = Blueprint("shortcuts", __name__)


def _scopes(roles, attribute: str) -> list[int]:
    return sorted({getattr(g, attribute) for g in current_user.grants
                   if g.role in roles and getattr(g, attribute) is not None})


@bp.route("/hire-registration")
@login_required
def hire_registration():
    enterprises = _scopes(ENTERPRISE_ROLES, "enterprise_id")
    if len(enterprises) == 1:
        return redirect(url_for("enterprise.hire_registration.index", eid=enterprises[0]))
    flash(gettext("请先选择企业，再点击【聘用登记】"), "info")
    return redirect(url_for("enterprise.index"))


@bp.route("/project-acceptance")
@login_required
def project_acceptance():
    projects = _scopes((PROJECT_MANAGER, SITE_OPERATOR), "project_id")
    if len(projects) == 1:
        return redirect(url_for("site.receive.index", pid=projects[0]))
    flash(gettext("请先选择项目，再点击【项目人员接收】"), "info")
    return redirect(url_for("projects.index"))
