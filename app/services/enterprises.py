"""Enterprises and their staff roles (legal representative, HR admins)."""
from sqlalchemy import select

from app.extensions import db
from app.models import Enterprise, RoleGrant
from app.services import accounts, audit, roles
from app.services.errors import Conflict, RuleViolation


def _existing_user(username: str, field: str):
    user = accounts.find_user(username)
    if user is None:
        raise RuleViolation("该用户不存在，请先注册账号", field=field)
    return user


def create_enterprise(actor, name: str, uscc: str, legal_rep_username: str) -> Enterprise:
    """uscc is already normalised and check-verified by the form."""
    if db.session.scalar(select(Enterprise.id).where(Enterprise.uscc == uscc)) is not None:
        raise Conflict("该统一社会信用代码的企业已存在", field="uscc")
    legal_rep = _existing_user(legal_rep_username, "legal_rep_username")
    enterprise = Enterprise(name=name.strip(), uscc=uscc)
    db.session.add(enterprise)
    db.session.flush()
    roles.grant(legal_rep, roles.LEGAL_REP, enterprise_id=enterprise.id, granted_by=actor)
    audit.record(actor, "enterprise.create", "enterprise", enterprise.id,
                 uscc=uscc, legal_rep=legal_rep.username)
    return enterprise


def add_hr_admin(actor, enterprise: Enterprise, username: str):
    user = _existing_user(username, "username")
    if roles.has_role(user, roles.HR_ADMIN, enterprise_id=enterprise.id):
        raise Conflict("该用户已是本企业的人事聘用管理员", field="username")
    grant = roles.grant(user, roles.HR_ADMIN, enterprise_id=enterprise.id, granted_by=actor)
    audit.record(actor, "enterprise.add_hr_admin", "enterprise", enterprise.id, username=user.username)
    return grant


def staff_of(enterprise: Enterprise):
    """(role, user) pairs of the enterprise's legal representative and HR admins."""

    rows = db.session.scalars(
        select(RoleGrant).where(RoleGrant.enterprise_id == enterprise.id,
                                RoleGrant.role.in_(roles.ENTERPRISE_ROLES),
                                RoleGrant.project_id.is_(None)).order_by(RoleGrant.id))
    return [(g.role, g.user) for g in rows]
