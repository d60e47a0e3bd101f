"""One answer to "may this user do X on that object?", for pages and API alike.

Each action names a rule; a rule is a small function of (user, object). Visibility
queries for lists live here too, so a list never shows what a detail page would refuse.
"""
from sqlalchemy import or_, select

from app.extensions import db
from app.models import Employment, Enterprise, Participant, Project
from app.models.employment import OPEN_STATUSES

# Whose HR may see a person's ID number and images: an employer the person has agreed
# to (a request still awaiting consent does not make one the "current employer").
CURRENT_EMPLOYER = tuple(s for s in OPEN_STATUSES if s != "pending_consent")
from app.services import roles as R


def _is_admin(user, _obj=None) -> bool:
    return R.has_role(user, R.ADMIN)


def _enterprise_staff(user, enterprise_id) -> bool:
    return any(R.has_role(user, r, enterprise_id=enterprise_id) for r in R.ENTERPRISE_ROLES)


def _view_enterprise(user, enterprise) -> bool:
    return _is_admin(user) or any(g.enterprise_id == enterprise.id for g in user.grants)


def _manage_hr_admins(user, enterprise) -> bool:
    return R.has_role(user, R.LEGAL_REP, enterprise_id=enterprise.id)


def _manage_employment(user, enterprise) -> bool:
    """Hiring and the staff list: the enterprise's legal representative and HR admins."""
    return _enterprise_staff(user, enterprise.id)


def _view_employment(user, employment) -> bool:
    """The person employed, and the employer's legal representative and HR admins."""
    return employment.person.user_id == user.id or _enterprise_staff(user, employment.enterprise_id)


def _create_project(user, gc_enterprise) -> bool:
    return _is_admin(user) or _enterprise_staff(user, gc_enterprise.id)


def _view_project(user, project) -> bool:
    if _is_admin(user) or any(g.project_id == project.id for g in user.grants):
        return True
    return any(_enterprise_staff(user, p.enterprise_id) for p in project.participants)


def _manage_participants(user, project) -> bool:
    gc = project.gc_enterprise_id
    return _enterprise_staff(user, gc) or R.has_role(
        user, R.PROJECT_MANAGER, enterprise_id=gc, project_id=project.id)


def _is_analyst(user, _obj=None) -> bool:
    return R.has_role(user, R.ANALYST)


def _process_registrations(user, _obj=None) -> bool:
    return R.has_role(user, R.DATACENTER)


def _view_personal_data(user, registration_or_person) -> bool:
    """ID number and ID-card images: the person, the data center, and the HR / legal
    representative of the person's current employer (DOMAIN "Identifiers")."""
    person = getattr(registration_or_person, "person", registration_or_person)
    if person is None:
        return False
    if person.user_id == user.id or _process_registrations(user):
        return True
    staff_of = R.enterprise_ids_with(user, *R.ENTERPRISE_ROLES)
    if not staff_of:
        return False
    return db.session.scalar(select(Employment.id).where(
        Employment.person_id == person.id, Employment.status.in_(CURRENT_EMPLOYER),
        Employment.enterprise_id.in_(staff_of)).limit(1)) is not None


RULES = {
    "platform.admin": _is_admin,
    "process.monitor": _is_admin,
    "process.deploy": _is_analyst,
    "process.view_definitions": lambda user, obj=None: _is_admin(user) or _is_analyst(user),
    "audit.view": _is_admin,
    "role.grant": _is_admin,
    "enterprise.create": _is_admin,
    "enterprise.view": _view_enterprise,
    "enterprise.manage_hr_admins": _manage_hr_admins,
    "employment.manage": _manage_employment,
    "employment.view": _view_employment,
    "project.create": _create_project,
    "project.view": _view_project,
    "project.manage_participants": _manage_participants,
    "registration.process": _process_registrations,
    "registration.view_personal_data": _view_personal_data,
}


def may(user, action: str, obj=None) -> bool:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    return RULES[action](user, obj)


def visible_enterprises(user):
    """A select() of the enterprises the user may see."""
    query = select(Enterprise).order_by(Enterprise.id)
    if _is_admin(user):
        return query
    ids = {g.enterprise_id for g in user.grants if g.enterprise_id}
    return query.where(Enterprise.id.in_(ids or [-1]))


def visible_projects(user):
    """A select() of the projects the user may see."""
    query = select(Project).order_by(Project.id.desc())
    if _is_admin(user):
        return query
    staff_of = list(R.enterprise_ids_with(user, *R.ENTERPRISE_ROLES)) or [-1]
    on_projects = list({g.project_id for g in user.grants if g.project_id}) or [-1]
    participating = select(Participant.project_id).where(Participant.enterprise_id.in_(staff_of))
    return query.where(or_(Project.id.in_(on_projects), Project.id.in_(participating)))


def gc_enterprises_for(user):
    """Enterprises for which the user may create projects (as general contractor)."""
    if _is_admin(user):
        return select(Enterprise).order_by(Enterprise.name)
    ids = R.enterprise_ids_with(user, *R.ENTERPRISE_ROLES) or {-1}
    return select(Enterprise).where(Enterprise.id.in_(ids)).order_by(Enterprise.name)


