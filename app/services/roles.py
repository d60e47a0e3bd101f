"""Roles as data: which roles exist, in which scope, and who holds them."""
from app.extensions import db
from app.models import RoleGrant
from app.services.i18n import N_

# Platform roles
ADMIN = "admin"
DATACENTER = "datacenter"
ANALYST = "analyst"
PLATFORM_ROLES = (ADMIN, DATACENTER, ANALYST)

# Enterprise roles
LEGAL_REP = "legal_rep"
HR_ADMIN = "hr_admin"
ENTERPRISE_ROLES = (LEGAL_REP, HR_ADMIN)

# Project roles: held for one enterprise on one project
PROJECT_MANAGER = "project_manager"
SITE_OPERATOR = "site_operator"
SIGNIN_OFFICER = "signin_officer"
PROJECT_ROLES = (PROJECT_MANAGER, SITE_OPERATOR, SIGNIN_OFFICER)

ROLE_LABELS = {
    ADMIN: N_("系统管理员"),
    DATACENTER: N_("大数据中心"),
    ANALYST: N_("业务分析员"),
    LEGAL_REP: N_("法人"),
    HR_ADMIN: N_("人事聘用管理员"),
    PROJECT_MANAGER: N_("项目经理"),
    SITE_OPERATOR: N_("现场操作用户"),
    SIGNIN_OFFICER: N_("班前签到员"),
}


def has_role(user, role: str, enterprise_id=None, project_id=None) -> bool:
    """True when the user holds the role in exactly that scope (None = any)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    for grant in user.grants:
        if grant.role != role:
            continue
        if enterprise_id is not None and grant.enterprise_id != enterprise_id:
            continue
        if project_id is not None and grant.project_id != project_id:
            continue
        return True
    return False


def enterprise_ids_with(user, *roles: str) -> set[int]:
    return {g.enterprise_id for g in user.grants if g.role in roles and g.enterprise_id}


def project_ids_with(user, *roles: str) -> set[int]:
    return {g.project_id for g in user.grants if g.role in roles and g.project_id}


def grant(user, role: str, enterprise_id=None, project_id=None, granted_by=None) -> RoleGrant:
    """Gives the role unless already held; returns the grant either way."""
    for existing in user.grants:
        if (existing.role, existing.enterprise_id, existing.project_id) == (role, enterprise_id, project_id):
            return existing
    new = RoleGrant(user=user, role=role, enterprise_id=enterprise_id, project_id=project_id,
                    granted_by_id=getattr(granted_by, "id", None))
    db.session.add(new)
    return new


def revoke(user, role: str, enterprise_id=None, project_id=None) -> bool:
    """Takes the role back in exactly that scope; False when it was not held."""
    for existing in list(user.grants):
        if (existing.role, existing.enterprise_id, existing.project_id) == (role, enterprise_id, project_id):
            user.grants.remove(existing)
            db.session.delete(existing)
            return True
    return False


def role_summary(user) -> list[dict]:
    """The user's roles as plain data, for /me and the navigation."""
    return [
        {"role": g.role, "enterprise_id": g.enterprise_id, "project_id": g.project_id}
        for g in sorted(user.grants, key=lambda g: g.id or 0)
    ]
