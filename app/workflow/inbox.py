"""The inbox: human_task rows kept in step with the READY user tasks of an instance,
candidate rules from lanes, and the one indexed query that lists a user's tasks.

A rule may leave one holder of its role out (Candidate.excluded_user_id: four eyes),
kept in the row's candidate_excluded_user_id; the inbox query, is_candidate (which every
claim and completion checks) and anyone_else all honour it."""
from dataclasses import asdict
from datetime import datetime

from sqlalchemy import and_, func, or_, select, tuple_, update
from sqlalchemy.orm import joinedload
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent
from SpiffWorkflow.util.task import TaskState

from app.extensions import db
from app.models import HumanTask, ProcessInstance, RoleGrant, User
from app.models.types import utcnow
from app.workflow.registry import ENTERPRISE, PLATFORM, PROJECT, REGISTRY, Candidate


def form_key_of(task) -> str | None:
    return (getattr(task.task_spec, "extensions", {}) or {}).get("properties", {}).get("formKey")


def due_at(task) -> datetime | None:
    """The deadline of an interrupting boundary timer on this task, if any."""
    deadlines = []
    for sibling in task.parent.children if task.parent else ():
        spec = sibling.task_spec
        if isinstance(spec, BoundaryEvent) and spec.cancel_activity and sibling.state == TaskState.WAITING:
            value = sibling.internal_data.get("event_value")
            if isinstance(value, str):
                try:
                    deadlines.append(datetime.fromisoformat(value))
                except ValueError:
                    pass
    return min(deadlines) if deadlines else None


def resolve(lane: str, subject: dict) -> Candidate:
    return REGISTRY.lanes[lane].resolve(subject)


def fixed_candidates(lanes, subject: dict) -> dict:
    """The rules of the lanes whose rule never changes for a subject (Lane.fixed: a
    person's own account), resolved once when the instance starts and kept with its
    state, so opening their tasks later looks nothing up."""
    fixed = {}
    for lane in lanes:
        if lane in REGISTRY.lanes and REGISTRY.lanes[lane].fixed:
            try:
                fixed[lane] = asdict(resolve(lane, subject))
            except (KeyError, TypeError, ValueError):  # not this subject's lane: if a task opens, it says so
                continue
    return fixed


def set_candidate(row: HumanTask, candidate: Candidate) -> None:
    """Writes the rule on the row."""
    row.candidate_role, row.candidate_enterprise_id = candidate.role, candidate.enterprise_id
    row.candidate_project_id, row.candidate_user_id = candidate.project_id, candidate.user_id
    row.candidate_excluded_user_id = candidate.excluded_user_id


def _candidate_columns(candidate: Candidate) -> dict:
    return {"candidate_role": candidate.role, "candidate_enterprise_id": candidate.enterprise_id,
            "candidate_project_id": candidate.project_id, "candidate_user_id": candidate.user_id,
            "candidate_excluded_user_id": candidate.excluded_user_id}


def changes(instance, open_before: set[str], ready_tasks, completed=None, actor_id=None, now=None,
            fixed: dict | None = None, form: dict | None = None) -> tuple[tuple | None, list[dict], set[str]]:
    """What a step changes in the instance's inbox: (the completed row and its closing
    values, or None; the rows to open for newly READY user tasks; the spiff ids of open
    rows to withdraw). Writing is the caller's (rows.write_step, then withdraw).

    The open (or suspended) rows of an instance are exactly the READY user tasks of its
    saved state, so `open_before` (those of the state as loaded) names them without a
    query; `completed` is the row just completed, already in the session, and `form` what
    was submitted with it (kept on the row: it is the history's record). `fixed` are
    the rules resolved at start (fixed_candidates)."""
    ready_ids = {str(t.id) for t in ready_tasks}
    gone = open_before - ready_ids
    now = now or utcnow()
    close = None
    if completed is not None and completed.spiff_task_id in gone:
        close = (completed, {"status": "completed", "completed_at": now, "completed_by_id": actor_id,
                             "completed_data": form})
        gone.discard(completed.spiff_task_id)
    opened = [_open_row(instance, task, now, fixed or {}) for task in ready_tasks if str(task.id) not in open_before]
    return close, opened, gone


def withdraw(instance_id: int, spiff_task_ids: set[str], now) -> None:
    """Open rows of tasks that are no longer READY (a boundary timer, a message, a gateway)."""
    if spiff_task_ids:
        db.session.execute(update(HumanTask).where(
            HumanTask.instance_id == instance_id, HumanTask.spiff_task_id.in_(sorted(spiff_task_ids)),
            HumanTask.status.in_(("open", "suspended"))).values(status="withdrawn", completed_at=now))


def _open_row(instance, task, now, fixed: dict) -> dict:
    spec, lane = task.task_spec, task.task_spec.lane
    candidate = Candidate(**fixed[lane]) if lane in fixed else resolve(lane, instance.subject)
    return {"spiff_task_id": str(task.id), "process_key": instance.process_key,
            "task_key": spec.bpmn_id, "title": (spec.bpmn_name or spec.bpmn_id)[:200], "form_key": form_key_of(task),
            "subject": instance.subject, "subject_text": instance.subject_text, "lane": lane,
            "due_at": due_at(task), "status": "open", "created_at": now, "claimed_by_id": None,
            "completed_at": None, "completed_by_id": None, "completed_data": None, **_candidate_columns(candidate)}


def task_with_instance(task_id: int) -> HumanTask | None:
    """An inbox row with its instance and the instance's definition: one statement for
    everything a completion reads before it loads the workflow."""
    return db.session.scalars(select(HumanTask).where(HumanTask.id == task_id).options(
        joinedload(HumanTask.instance).joinedload(ProcessInstance.definition))).first()


def set_visibility(instance_id: int, visible: bool) -> None:
    """Suspended or failed instances leave every inbox; resumed ones come back."""
    old, new = ("suspended", "open") if visible else ("open", "suspended")
    for row in db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.status == old)):
        row.status = new


def _scopes(user) -> dict[str, set]:
    """For each lane role the user satisfies, the scopes in which they do:
    {lane: {None}} for platform lanes, {enterprise_id} or {(enterprise_id, project_id)}."""
    scopes: dict[str, set] = {}
    for lane_role, lane in REGISTRY.lanes.items():
        for grant in user.grants:
            if grant.role not in lane.grant_roles:
                continue
            if lane.scope == PLATFORM:
                scope = None
            elif lane.scope == ENTERPRISE:
                scope = grant.enterprise_id
            else:
                scope = (grant.enterprise_id, grant.project_id)
            scopes.setdefault(lane_role, set()).add(scope)
    return scopes


def _rule(user):
    """The SQL condition: tasks whose candidate rule this user satisfies. Exact
    equalities only (no IS NULL branches), so the planner estimates a few rows; the
    exclusion filters the rows they find. In a project lane, an enterprise-wide grant
    (project None: legal rep, HR) stands for every project of its enterprise."""
    conditions = [HumanTask.candidate_user_id == user.id]
    for lane_role, scopes in _scopes(user).items():
        scope_kind = REGISTRY.lanes[lane_role].scope
        if scope_kind == PLATFORM:
            conditions.append(HumanTask.candidate_role == lane_role)
        elif scope_kind == ENTERPRISE:
            conditions.append(and_(HumanTask.candidate_role == lane_role,
                                   HumanTask.candidate_enterprise_id.in_(sorted(scopes))))
        else:
            pairs = sorted(s for s in scopes if s[1] is not None)
            wide = sorted({e for e, p in scopes if p is None})
            if pairs:
                conditions.append(and_(HumanTask.candidate_role == lane_role, tuple_(
                    HumanTask.candidate_enterprise_id, HumanTask.candidate_project_id).in_(pairs)))
            if wide:
                conditions.append(and_(HumanTask.candidate_role == lane_role,
                                       HumanTask.candidate_enterprise_id.in_(wide)))
    return and_(or_(*conditions), func.coalesce(HumanTask.candidate_excluded_user_id, 0) != user.id)


def is_candidate(user, row: HumanTask) -> bool:
    if row.candidate_excluded_user_id == user.id:
        return False
    if row.candidate_user_id is not None:
        return row.candidate_user_id == user.id
    scopes = _scopes(user).get(row.candidate_role)
    if not scopes:
        return False
    scope_kind = REGISTRY.lanes[row.candidate_role].scope
    if scope_kind == PLATFORM:
        return True
    if scope_kind == ENTERPRISE:
        return row.candidate_enterprise_id in scopes
    return ((row.candidate_enterprise_id, row.candidate_project_id) in scopes
            or (row.candidate_enterprise_id, None) in scopes)


def anyone_else(candidate: Candidate) -> bool:
    """True when an active user other than the excluded one satisfies the rule: the
    scopes of is_candidate, asked of the role grants rather than of one user."""
    if candidate.user_id is not None:
        return candidate.user_id != candidate.excluded_user_id
    lane = REGISTRY.lanes[candidate.role]
    query = select(RoleGrant.id).join(User, User.id == RoleGrant.user_id).where(
        RoleGrant.role.in_(lane.grant_roles), User.active.is_(True))
    if candidate.excluded_user_id is not None:
        query = query.where(RoleGrant.user_id != candidate.excluded_user_id)
    if lane.scope == ENTERPRISE:
        query = query.where(RoleGrant.enterprise_id == candidate.enterprise_id)
    elif lane.scope == PROJECT:
        query = query.where(RoleGrant.enterprise_id == candidate.enterprise_id,
                            or_(RoleGrant.project_id == candidate.project_id, RoleGrant.project_id.is_(None)))
    return db.session.scalar(query.limit(1)) is not None


def my_tasks(user, process_key=None, text=None, due_before=None, order="created"):
    """A select() of the user's open tasks, newest first unless sorted by due date."""
    query = select(HumanTask).where(HumanTask.status == "open", _rule(user))
    if process_key:
        query = query.where(HumanTask.process_key == process_key)
    if text:
        query = query.where(or_(HumanTask.subject_text.contains(text, autoescape=True),
                                 HumanTask.title.contains(text, autoescape=True)))
    if due_before is not None:
        query = query.where(HumanTask.due_at.is_not(None), HumanTask.due_at <= due_before)
    if order == "due":
        return query.order_by(HumanTask.due_at.is_(None), HumanTask.due_at, HumanTask.id)
    return query.order_by(HumanTask.created_at.desc(), HumanTask.id.desc())


def counts_by_process(user) -> dict[str, int]:
    rows = db.session.execute(select(HumanTask.process_key, func.count()).where(
        HumanTask.status == "open", _rule(user)).group_by(HumanTask.process_key))
    return dict(rows.all())
