"""【人员分配】 on the enterprise side (法人 / 人事聘用管理员): role → project → people →
【确认】, with each person's result; and 【指定项目经理】 posted from the project page.

The helpers here (labels, candidate rows, running a batch) serve the site side
(app/web/site.py) as well: both sides allocate through the same service call.
"""
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Enterprise, Participant, Person, Project, RoleGrant
from app.services import allocation as service
from app.services import roles
from app.services.access import may
from app.services.errors import DomainError
from app.services.idcard import mask_id_number
from app.services.job_types import JOB_TYPES, MANAGER_CODE
from app.web.helpers import require, visible_or_404, trade_name

bp = Blueprint("allocation", __name__, url_prefix="/enterprises/<int:eid>/allocate")

BATCH_LIMIT = 200
MAX_ID = 2**31 - 1  # larger ids cannot exist, and SQLite overflows on them
ALLOCATABLE_ROLES = ("worker", "site_operator")  # a PM is designated, not allocated
ROLE_LABELS = {"worker": _l("建筑工人"), "site_operator": _l("现场操作用户"), "project_manager": _l("项目经理")}
ROLE_HINTS = {"worker": _l("在项目上从事施工作业的人员，需选择工种"),
              "site_operator": _l("协助项目经理接收人员、扫码进场和考勤、办理退场")}
STATUS_LABELS = {"pending_level1": _l("待接收"), "pending_gc": _l("待总包确认"), "confirmed": _l("已确认"),
                 "on_site": _l("已进场"), "exited": _l("已退场"), "rejected": _l("未通过"),
                 "cancelled": _l("已取消")}
STATUS_BADGES = {"pending_level1": "text-bg-warning", "pending_gc": "text-bg-info", "confirmed": "text-bg-primary",
                 "on_site": "text-bg-success", "exited": "text-bg-secondary", "rejected": "text-bg-danger",
                 "cancelled": "text-bg-secondary"}
IDENTITY_LABELS = {"worker": _l("建筑工人"), "manager": _l("管理人员")}
KIND_LABELS = {"general_contractor": _l("施工总包"), "labor_subcontractor": _l("劳务分包"),
               "specialist_subcontractor": _l("专业分包")}
WORKER_JOB_TYPES = [(code, name) for code, name in JOB_TYPES.items() if code != MANAGER_CODE]


# --- shared with the site side -----------------------------------------------------------

def masked(person) -> str:
    return mask_id_number(person.id_number) if person is not None and person.id_number else ""


def job_label(code: str | None) -> str:
    return f"{code} {trade_name(code)}" if code else ""


def chosen_role() -> str:
    role = (request.values.get("role") or "").strip()
    return role if role in ALLOCATABLE_ROLES else ""


def chosen_job_type(role: str) -> str:
    """A worker's trade on the project; blank keeps the trade of the employment registration."""
    code = (request.values.get("job_type") or "").strip()
    return code if role == "worker" and code in JOB_TYPES and code != MANAGER_CODE else ""


def candidate_rows(employments) -> list[dict]:
    """The people offered for allocation (ID numbers masked)."""
    rows = [{"person_id": e.person_id, "name": e.person.name, "id_number": masked(e.person),
             "identity": IDENTITY_LABELS.get(e.identity, "") if e.identity else "",
             "job_type": job_label(e.job_type)} for e in employments]
    return sorted(rows, key=lambda r: (r["name"], r["person_id"]))


def _id_from(values, name: str) -> int:
    """A positive id from the form, or 0 (which matches no row)."""
    return _as_id((values.get(name) or "").strip())


def _as_id(value: str) -> int:
    ok = value.isascii() and value.isdigit() and len(value) <= 12
    return int(value) if ok and 0 < int(value) <= MAX_ID else 0


def selected_person_ids() -> list[int]:
    ids = []
    for value in request.form.getlist("person_ids"):
        person_id = _as_id(value)
        if person_id and person_id not in ids:
            ids.append(person_id)
    return ids


def run_allocation(project: Project, role: str, job_type: str) -> list[dict] | None:
    """Allocates the ticked people; returns one row per person for the page, or None
    when nothing could be tried (a message has been flashed)."""
    if role not in ALLOCATABLE_ROLES:
        flash(gettext("请选择被分配人员的角色。"), "warning")
        return None
    ids = selected_person_ids()
    if not ids:
        flash(gettext("请先勾选要分配的人员。"), "warning")
        return None
    if len(ids) > BATCH_LIMIT:
        flash(gettext("一次最多分配%(num)d人，请分批操作。", num=BATCH_LIMIT), "warning")
        return None
    try:
        results = service.allocate(current_user, project, ids, role, job_type or None)
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return None
    names = dict(db.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all())
    allocation_ids = [r.allocation_id for r in results if r.allocation_id]
    statuses = dict(db.session.execute(select(Allocation.id, Allocation.status)
                                       .where(Allocation.id.in_(allocation_ids))).all()) if allocation_ids else {}
    rows = []
    for r in results:
        status = statuses.get(r.allocation_id)
        rows.append({"person_id": r.person_id, "name": names.get(r.person_id, f"#{r.person_id}"), "ok": r.ok,
                     "detail": gettext(r.detail) if r.detail else "",
                     "status": STATUS_LABELS.get(status, "") if status else "",
                     "badge": STATUS_BADGES.get(status, "text-bg-light")})
    done = sum(1 for r in rows if r["ok"])
    if done == len(rows):
        flash(gettext("分配成功：共%(num)d人。", num=done), "success")
    else:
        flash(gettext("%(done)d人分配成功，%(failed)d人未能分配，原因见下表。", done=done, failed=len(rows) - done),
              "warning")
    return rows


def manager_names(project: Project) -> dict[int, list[str]]:
    """enterprise_id → the names of its PMs on the project."""
    rows = db.session.scalars(select(RoleGrant).where(RoleGrant.project_id == project.id,
                                                      RoleGrant.role == roles.PROJECT_MANAGER)
                              .order_by(RoleGrant.id)).all()
    names: dict[int, list[str]] = {}
    for grant in rows:
        if grant.enterprise_id is not None:
            names.setdefault(grant.enterprise_id, []).append(grant.user.name)
    return names


def designations(project: Project) -> list[dict]:
    """For each participant whose legal rep / HR the user is: the managers (管理人员) it
    may designate as its PM on the project — 【指定项目经理】 while it has none,
    【更换项目经理】 (with the current PM's name) once it has one."""
    forms, current = [], None
    for participant in project.participants:
        enterprise = participant.enterprise
        if not may(current_user, "employment.manage", enterprise):
            continue
        current = manager_names(project) if current is None else current
        employments = service.allocatable(enterprise, project, role="project_manager")
        choices = [(e.person_id, f"{e.person.name}（{masked(e.person)}）") for e in employments
                   if e.identity == "manager"]
        forms.append({"enterprise": enterprise, "choices": sorted(choices, key=lambda c: c[1]),
                      "current": current.get(enterprise.id, [])})
    return forms


# --- the enterprise side -----------------------------------------------------------------

def _hiring_enterprise(eid: int) -> Enterprise:
    """404 when the enterprise is not visible, 403 when the user does not act for it."""
    enterprise = visible_or_404(Enterprise, eid, "enterprise.view")
    require("employment.manage", enterprise)
    return enterprise


def _participations(enterprise: Enterprise) -> list[tuple]:
    return db.session.execute(
        select(Participant, Project).join(Project, Participant.project_id == Project.id)
        .where(Participant.enterprise_id == enterprise.id).order_by(Project.id.desc())).all()


@bp.route("/", methods=["GET", "POST"])
@login_required
def index(eid: int):
    enterprise = _hiring_enterprise(eid)
    participations = _participations(enterprise)
    projects = {project.id: project for _participant, project in participations}
    role = chosen_role()
    job_type = chosen_job_type(role)
    project = projects.get(request.values.get("project_id", type=int))  # only a project it is on
    results = None
    if request.method == "POST":
        if project is None:
            flash(gettext("请选择项目。"), "warning")
        else:
            results = run_allocation(project, role, job_type)
    candidates = candidate_rows(service.allocatable(enterprise, project, role)) if role and project else []
    return render_template("allocation/index.html", enterprise=enterprise, participations=participations,
                           project=project, role=role, job_type=job_type, candidates=candidates, results=results,
                           role_labels=ROLE_LABELS, role_hints=ROLE_HINTS, kind_labels=KIND_LABELS,
                           job_types=WORKER_JOB_TYPES, job_label=job_label(job_type))


@bp.route("/project-manager", methods=["POST"])
@login_required
def designate(eid: int):
    """【指定项目经理】, posted from the project page by the participant's legal rep / HR."""
    enterprise = _hiring_enterprise(eid)
    project = db.session.get(Project, _id_from(request.form, "project_id"))
    if project is None or not any(p.enterprise_id == enterprise.id for p in project.participants):
        abort(404)
    back = redirect(url_for("projects.detail", pid=project.id))
    person = db.session.get(Person, _id_from(request.form, "person_id"))
    if person is None:
        flash(gettext("请选择要指定的项目经理。"), "warning")
        return back
    try:
        designation = service.designate_manager(current_user, project, person.id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(gettext(error.message, **error.params), "danger")
        return back
    flash(gettext("已指定%(name)s为%(enterprise)s在本项目的项目经理。", name=person.name, enterprise=enterprise.name),
          "success")
    for replaced in designation.replaced:
        flash(gettext("原项目经理%(name)s仍在本项目，须由施工总包【确认退场】后才能解聘。", name=replaced.name), "info")
    return back
