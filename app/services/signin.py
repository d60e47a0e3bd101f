"""Pre-shift sign-in (班前签到, DOMAIN §5): the project's sign-in point, sign-in
officers, and sign-ins in both directions — the officer scans the worker's code, or
the worker, inside the range, scans the officer's code. One per worker per project per
day; a second returns the first. Callers commit.
"""
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from app.extensions import db
from app.models import Allocation, ApiToken, Person, Project, RoleGrant, SignIn, User
from app.models.types import utcnow
from app.services import accounts, audit, geo, roles
from app.services.errors import Conflict, Forbidden, NotFound, RuleViolation
from app.services.i18n import N_
from app.services.construction_code import read_personal_code
from app.models.allocation import OPEN_ALLOCATION
from app.services.project_members import (ACCEPTED, NOT_ON_PROJECT, UNKNOWN_PERSON, Outcome, allocation_on,
                                           person_from_code)
from app.services.idcard import SHANGHAI

DEFAULT_RADIUS_M, MIN_RADIUS_M, MAX_RADIUS_M = 300, 50, 5000

NOT_GC_PM = N_("只有施工总包在本项目的项目经理可以进行此操作")
NOT_OFFICER = N_("您不是本项目的班前签到员")
CODE_NOT_OFFICER = N_("该建设码不是本项目班前签到员的建设码")
NO_LOCATION = N_("该项目未设置签到地址，请项目经理设置")
OUT_OF_RANGE = N_("您不在项目签到范围内，请到项目现场签到")
POSITION_NEEDED = N_("签到需要打开手机定位")
OFFICER_POSITION_NEEDED = N_("请开启定位后再签到")
BAD_COORD_SYSTEM = N_("坐标系只能是 gcj02 或 wgs84")
BAD_LNG = N_("经度须在 -180 到 180 之间")
BAD_LAT = N_("纬度须在 -90 到 90 之间")
BAD_RADIUS = N_("签到范围须在 50 到 5000 米之间")
NOT_MEMBER = N_("只能从本项目已确认接收的人员中选择班前签到员")
NO_ACCOUNT = N_("该人员尚无登录账号，不能担任班前签到员")
ALREADY_OFFICER = N_("该人员已是本项目的班前签到员")
NOT_AN_OFFICER = N_("该人员不是本项目的班前签到员")

NO_PERSON = N_("当前账号没有个人信息，请先完成个人信息登记")  # as the API says it of every /me call

SIGNED_IN = N_("%(name)s签到成功")
ALREADY_SIGNED_IN = N_("%(name)s今日已签到")


def is_gc_pm(user, project) -> bool:
    return roles.has_role(user, roles.PROJECT_MANAGER, enterprise_id=project.gc_enterprise_id,
                          project_id=project.id)


def require_gc_pm(user, project) -> None:
    if not is_gc_pm(user, project):
        raise Forbidden(NOT_GC_PM)


# --- 项目班前签到定位调整 → 手动录入坐标 ---------------------------------------------------------

@dataclass
class Point:
    lng: float
    lat: float
    radius_m: int
    coord_system: str
    outside_mainland: bool


def check_point(lng, lat, radius_m, coord_system) -> Point:
    """Validates a sign-in point as typed (the forms check the same; this guards every caller)."""
    if coord_system not in geo.COORD_SYSTEMS:
        raise RuleViolation(BAD_COORD_SYSTEM, field="coord_system")
    if not isinstance(lng, (int, float)) or not -180 <= lng <= 180:
        raise RuleViolation(BAD_LNG, field="lng")
    if not isinstance(lat, (int, float)) or not -90 <= lat <= 90:
        raise RuleViolation(BAD_LAT, field="lat")
    if not isinstance(radius_m, int) or not MIN_RADIUS_M <= radius_m <= MAX_RADIUS_M:
        raise RuleViolation(BAD_RADIUS, field="radius_m")
    return Point(float(lng), float(lat), radius_m, coord_system, not geo.in_mainland_china(lng, lat))


def set_location(actor, project, lng, lat, radius_m=DEFAULT_RADIUS_M, coord_system=geo.GCJ02) -> Point:
    """The GC PM sets the sign-in point; kept as typed and as WGS-84 for measuring."""
    require_gc_pm(actor, project)
    point = check_point(lng, lat, radius_m, coord_system)
    project.signin_lng, project.signin_lat, project.signin_coord_system = point.lng, point.lat, coord_system
    project.signin_wgs84_lng, project.signin_wgs84_lat = geo.to_wgs84(point.lng, point.lat, coord_system)
    project.signin_radius_m, project.signin_set_at, project.signin_set_by_id = radius_m, utcnow(), actor.id
    audit.record(actor, "signin.location", "project", project.id, lng=point.lng, lat=point.lat,
                 radius_m=radius_m, coord_system=coord_system)
    return point


def distance_to(project, lng, lat, coord_system=geo.WGS84) -> int:
    """Metres from a position to the project's sign-in point; refuses when none is set."""
    if project.signin_wgs84_lng is None or project.signin_wgs84_lat is None:
        raise RuleViolation(NO_LOCATION)
    try:
        lng, lat = float(lng), float(lat)
    except (TypeError, ValueError):
        raise RuleViolation(POSITION_NEEDED, field="lng") from None
    if not (-180 <= lng <= 180 and -90 <= lat <= 90):
        raise RuleViolation(BAD_LNG if not -180 <= lng <= 180 else BAD_LAT, field="lng")
    if coord_system not in geo.COORD_SYSTEMS:
        raise RuleViolation(BAD_COORD_SYSTEM, field="coord_system")
    w_lng, w_lat = geo.to_wgs84(lng, lat, coord_system)
    return round(geo.distance_m(w_lng, w_lat, project.signin_wgs84_lng, project.signin_wgs84_lat))


def require_in_range(project, lng, lat, coord_system=geo.WGS84) -> int:
    distance = distance_to(project, lng, lat, coord_system)
    if distance > project.signin_radius_m:
        raise RuleViolation(OUT_OF_RANGE, field="lng")
    return distance


# --- 项目角色授权管理: sign-in officers --------------------------------------------------------

def officers(project) -> list[tuple[Person, Allocation | None]]:
    """The project's sign-in officers, with their allocation on the project."""
    people = db.session.scalars(
        select(Person).join(User, Person.user_id == User.id).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == roles.SIGNIN_OFFICER, RoleGrant.project_id == project.id)
        .order_by(Person.name, Person.id)).unique().all()
    return [(p, allocation_on(p.id, project.id)) for p in people]


def is_officer(user, project_id: int) -> bool:
    return roles.has_role(user, roles.SIGNIN_OFFICER, project_id=project_id)


def appoint_officer(actor, project, person_id: int) -> Allocation:
    """【添加授权】 → 班前签到员: an accepted member of the project with an account."""
    require_gc_pm(actor, project)
    allocation = allocation_on(person_id, project.id)
    if allocation is None or allocation.status not in ACCEPTED:
        raise RuleViolation(NOT_MEMBER, field="person_id")
    user = allocation.person.user
    if user is None:
        raise RuleViolation(NO_ACCOUNT, field="person_id")
    if is_officer(user, project.id):
        raise Conflict(ALREADY_OFFICER)
    roles.grant(user, roles.SIGNIN_OFFICER, enterprise_id=allocation.enterprise_id, project_id=project.id,
                granted_by=actor)
    audit.record(actor, "signin.appoint_officer", "person", person_id, project_id=project.id)
    return allocation


def revoke_officer(actor, project, person_id: int) -> None:
    require_gc_pm(actor, project)
    person = db.session.get(Person, person_id)
    user = person.user if person is not None else None
    grants = [g for g in (user.grants if user else []) if g.role == roles.SIGNIN_OFFICER and g.project_id == project.id]
    if not grants:
        raise NotFound(NOT_AN_OFFICER)
    for grant in grants:
        roles.revoke(user, grant.role, grant.enterprise_id, grant.project_id)
    audit.record(actor, "signin.revoke_officer", "person", person_id, project_id=project.id)


# --- sign-ins ------------------------------------------------------------------------------

def _member(person, project) -> Allocation:
    allocation = allocation_on(person.id, project.id)
    if allocation is None or allocation.status not in ACCEPTED:
        raise RuleViolation(NOT_ON_PROJECT, field="token")
    return allocation


def _core(statement, params):
    """On the session's connection, in its transaction, without the ORM's execution
    machinery (these statements name tables and columns, no mapped objects)."""
    return db.session.connection().execute(statement, params)


_INSERT_SIGNIN = insert(SignIn.__table__).returning(*SignIn.__table__.columns)


def _sign_in(project_id: int, allocation, officer_person_id: int, method: str, lng, lat,
             distance) -> tuple[SignIn, bool]:
    """The day's sign-in of the person on the project: (record, created) — a new one as
    the row stored (its columns, no relationships). Two scans at the same moment meet at
    the unique (project, person, day) and return one record.
    `allocation` is an Allocation or a row with its id, person_id and enterprise_id."""
    now = utcnow()
    day = now.astimezone(SHANGHAI).date()
    values = {"project_id": project_id, "person_id": allocation.person_id, "allocation_id": allocation.id,
              "enterprise_id": allocation.enterprise_id, "work_date": day, "signed_at": now, "method": method,
              "officer_person_id": officer_person_id, "lng": lng, "lat": lat, "distance_m": distance}
    # No look first: at the morning peak nearly every sign-in is the day's first, and the
    # unique key answers the rare second one. One prebuilt INSERT … RETURNING: the row
    # as stored, without the ORM's bookkeeping for a single new record.
    try:
        return _core(_INSERT_SIGNIN, values).one(), True
    except IntegrityError:  # nothing else is pending in a sign-in's transaction
        db.session.rollback()
        return db.session.scalar(select(SignIn).where(
            SignIn.project_id == project_id, SignIn.person_id == allocation.person_id,
            SignIn.work_date == day)), False


def officer_scan(actor, project, token, lng=None, lat=None, coord_system=geo.WGS84) -> Outcome:
    """Direction B: the officer, inside the range with location on, scans the worker's
    personal construction code. Both directions are geofenced (DOMAIN §5): without the
    officer's position a sign-in could be recorded anywhere."""
    if not is_officer(actor, project.id):
        raise Forbidden(NOT_OFFICER)
    officer = actor.person
    if project.signin_wgs84_lng is None:
        raise RuleViolation(NO_LOCATION)
    if lng is None or lat is None:
        raise RuleViolation(OFFICER_POSITION_NEEDED, field="lng")
    distance = require_in_range(project, lng, lat, coord_system)
    w_lng, w_lat = geo.to_wgs84(float(lng), float(lat), coord_system)
    person = person_from_code(token)
    allocation = _member(person, project)
    record, created = _sign_in(project.id, allocation, officer.id, "officer_scan", w_lng, w_lat, distance)
    if created:
        audit.record(actor, "signin.officer_scan", "signin", record.id, person_id=person.id, project_id=project.id)
    return Outcome(person, "signed_in" if created else "already_signed_in",
                   SIGNED_IN if created else ALREADY_SIGNED_IN, created, record)


def _constant(value):
    """A value written into the SQL, not sent as a parameter. PostgreSQL re-plans a
    prepared statement for every execution while its generic plan looks dearer than a
    plan for the values at hand: with the allocation states as parameters it did so for
    every sign-in (1.7 ms of the server's time; 0.5 ms with them written in)."""
    return bindparam(None, value, expanding=isinstance(value, tuple), literal_execute=True)


_OPEN = Allocation.status.in_(_constant(tuple(OPEN_ALLOCATION)))


# What a worker's sign-in must know, in one statement built once (the morning peak runs
# it for every worker): the project's sign-in point, the worker's open allocation on
# the project, and whether the person the officer's code names exists and is one of
# the project's sign-in officers.
_FACT_COLUMNS = (
    Project.signin_wgs84_lng, Project.signin_wgs84_lat, Project.signin_radius_m,
    Allocation.id, Allocation.person_id, Allocation.enterprise_id, Allocation.status,
    exists().where(Person.id == bindparam("officer_id")).label("officer_known"),
    exists().where(RoleGrant.user_id == Person.user_id, Person.id == bindparam("officer_id"),
                   RoleGrant.role == _constant(roles.SIGNIN_OFFICER), RoleGrant.project_id == Project.id)
    .label("officer_appointed"),
)
_SIGNIN_FACTS = (
    select(*_FACT_COLUMNS)
    .select_from(Project)
    .outerjoin(Allocation, and_(Allocation.project_id == Project.id, Allocation.person_id == bindparam("person_id"),
                                _OPEN))
    .where(Project.id == bindparam("project_id"))
    .limit(1)
)
# The same facts found from the API's bearer token, with the token's check in the same
# statement: no row when the token is unknown, revoked or expired or its user disabled,
# so a revoked token is refused on the very next request without a statement of its own.
_holder = aliased(Person, name="holder")  # not Person: the officer's subqueries must not correlate to it
_TOKEN_SIGNIN_FACTS = (
    select(_holder.id.label("holder_person_id"), *_FACT_COLUMNS)
    .select_from(ApiToken)
    .join(User, and_(User.id == ApiToken.user_id, User.active.is_(True)))
    .outerjoin(_holder, _holder.user_id == User.id)
    .outerjoin(Project, Project.id == bindparam("project_id"))
    .outerjoin(Allocation, and_(Allocation.project_id == Project.id, Allocation.person_id == _holder.id,
                                _OPEN))
    .where(ApiToken.token_hash == bindparam("digest"), ApiToken.revoked_at.is_(None),
           ApiToken.expires_at > bindparam("now"))
    .limit(1)
)


class TokenRefused(Exception):
    """The bearer token is unknown, revoked or expired, or its user is disabled (401)."""


def _officer_of(officer_token) -> tuple[int | None, RuleViolation | None]:
    try:
        return read_personal_code(officer_token, "officer_token"), None
    except RuleViolation as refusal:
        return None, refusal


def worker_sign_in(user, project_id: int, officer_token, lng, lat, coord_system=geo.WGS84) -> tuple[SignIn, bool]:
    """Direction A: the worker, inside the range with location on, scans the officer's code.
    The refusals come in this order: not on the project, no position, no sign-in point,
    out of range, a bad code, a code of someone who is not the project's officer."""
    person = user.person
    officer_id, bad_code = _officer_of(officer_token)
    facts = None
    if person is not None:
        facts = _core(_SIGNIN_FACTS, {"project_id": project_id, "person_id": person.id,
                                                   "officer_id": officer_id}).first()
    return _sign_in_with(facts, project_id, officer_id, bad_code, lng, lat, coord_system)


def worker_sign_in_by_token(token: str, project_id: int, officer_token, lng, lat,
                            coord_system=geo.WGS84) -> tuple[SignIn, bool]:
    """Direction A from the API, the bearer token checked in the facts' own statement:
    TokenRefused first, then NotFound(NO_PERSON) for an account without a person, then
    the refusals of worker_sign_in in its order."""
    officer_id, bad_code = _officer_of(officer_token)
    facts = _core(_TOKEN_SIGNIN_FACTS, {
        "digest": accounts.token_digest(token), "now": utcnow(), "project_id": project_id,
        "officer_id": officer_id}).first()
    if facts is None:
        raise TokenRefused()
    if facts.holder_person_id is None:
        raise NotFound(NO_PERSON)
    return _sign_in_with(facts, project_id, officer_id, bad_code, lng, lat, coord_system)


def _sign_in_with(facts, project_id: int, officer_id, bad_code, lng, lat, coord_system) -> tuple[SignIn, bool]:
    if facts is None or facts.id is None or facts.status not in ACCEPTED:
        raise NotFound(NOT_ON_PROJECT)
    if lng is None or lat is None:
        raise RuleViolation(POSITION_NEEDED, field="lng")
    distance = require_in_range(facts, lng, lat, coord_system)
    if bad_code is not None:
        raise bad_code
    if not facts.officer_known:
        raise RuleViolation(UNKNOWN_PERSON, field="officer_token")
    if not facts.officer_appointed:
        raise RuleViolation(CODE_NOT_OFFICER, field="officer_token")
    w_lng, w_lat = geo.to_wgs84(float(lng), float(lat), coord_system)
    return _sign_in(project_id, facts, officer_id, "worker_scan", w_lng, w_lat, distance)


def my_projects(user) -> list[Allocation]:
    """The worker's accepted allocations: the projects 【班前签到】 offers."""
    if user.person is None:
        return []
    return list(db.session.scalars(select(Allocation).where(
        Allocation.person_id == user.person.id, Allocation.status.in_(ACCEPTED))))
