"""选择身份 (manual 004 二(2)4: "选择身份【班前签到员】，点击所属的班前签到员对应的项目"):
the signed-in user's identities — one per role grant, named by its project or enterprise —
each leading to where that identity works; a 班前签到员 goes straight to the project's
【班前签到】 scanner. Only the user's own grants are listed, so there is nothing to scope."""
from flask import Blueprint, render_template, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Enterprise, Project
from app.services import roles
from app.web.menus import is_worker

bp = Blueprint("identities", __name__, url_prefix="/me")

# role → where that identity works; project roles take the project id, enterprise roles the enterprise id
PROJECT_PAGES = {roles.SIGNIN_OFFICER: lambda pid: url_for("onsite.scan", pid=pid, purpose="signin"),
                 roles.PROJECT_MANAGER: lambda pid: url_for("site.overview", pid=pid),
                 roles.SITE_OPERATOR: lambda pid: url_for("site.overview", pid=pid)}
ENTERPRISE_PAGES = {roles.LEGAL_REP: lambda eid: url_for("enterprise.detail", eid=eid),
                    roles.HR_ADMIN: lambda eid: url_for("enterprise.detail", eid=eid)}
PLATFORM_PAGES = {roles.ADMIN: "admin.users", roles.DATACENTER: "datacenter.queue", roles.ANALYST: "modeler.index"}
ORDER = (roles.SIGNIN_OFFICER, roles.PROJECT_MANAGER, roles.SITE_OPERATOR, roles.LEGAL_REP, roles.HR_ADMIN,
         *roles.PLATFORM_ROLES)


def _names(model, ids: set[int]) -> dict[int, str]:
    """id → name in one query (no lookup per grant)."""
    if not ids:
        return {}
    return dict(db.session.execute(select(model.id, model.name).where(model.id.in_(ids))).all())


def identities_of(user) -> list[dict]:
    """Each grant as {role, label, scope, url}, sign-in officers first; a worker's own
    identity (建筑工人 → the home page) last."""
    grants = sorted(user.grants, key=lambda g: (ORDER.index(g.role) if g.role in ORDER else len(ORDER), g.id or 0))
    projects = _names(Project, {g.project_id for g in grants if g.project_id})
    enterprises = _names(Enterprise, {g.enterprise_id for g in grants if g.enterprise_id})
    rows = []
    for grant in grants:
        label = gettext(roles.ROLE_LABELS.get(grant.role, grant.role))
        if grant.role in PROJECT_PAGES and grant.project_id:
            rows.append({"role": grant.role, "label": label, "scope": projects.get(grant.project_id, ""),
                         "url": PROJECT_PAGES[grant.role](grant.project_id)})
        elif grant.role in ENTERPRISE_PAGES and grant.enterprise_id:
            rows.append({"role": grant.role, "label": label, "scope": enterprises.get(grant.enterprise_id, ""),
                         "url": ENTERPRISE_PAGES[grant.role](grant.enterprise_id)})
        elif grant.role in PLATFORM_PAGES:
            rows.append({"role": grant.role, "label": label, "scope": "", "url": url_for(PLATFORM_PAGES[grant.role])})
    if is_worker(user):
        rows.append({"role": "worker", "label": gettext("建筑工人"), "scope": "", "url": url_for("home.index")})
    return rows


@bp.route("/identities")
@login_required
def choose():
    return render_template("identities.html", identities=identities_of(current_user))
