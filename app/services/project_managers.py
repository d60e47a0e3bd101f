"""The 项目经理 designation: who is an enterprise's PM on a project, and handing it over.

The designation is a RoleGrant(project_manager, enterprise, project) — one per
enterprise per project. Allocating the PM to the project (an Allocation with role
"project_manager") is app/services/allocation.designate_manager's business, which calls
hand_over here; the allocation outlives the designation: a replaced PM stays on the
project until the site exits them (【确认退场】), and only then may be dismissed
(DOMAIN §7). Callers commit.
"""
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask, Participant, RoleGrant, User
from app.services import audit, roles
from app.workflow import inbox, runtime


def lock_participation(enterprise_id: int, project_id: int) -> None:
    """Locks the enterprise's participation row until commit (PostgreSQL), so two
    designations for the same unit on the same project run one after the other and the
    second sees the first's PM: one PM per enterprise per project."""
    db.session.scalar(select(Participant.id).where(Participant.enterprise_id == enterprise_id,
                                                   Participant.project_id == project_id).with_for_update())


def designated(enterprise_id: int, project_id: int) -> list[RoleGrant]:
    """The enterprise's PM grants on the project (one, unless data predates the rule)."""
    return list(db.session.scalars(select(RoleGrant).where(
        RoleGrant.role == roles.PROJECT_MANAGER, RoleGrant.enterprise_id == enterprise_id,
        RoleGrant.project_id == project_id).order_by(RoleGrant.id)))


def projects_led(user, enterprise_id: int) -> list[int]:
    """The projects on which the user is the enterprise's designated PM."""
    if user is None:
        return []
    return sorted(g.project_id for g in user.grants
                  if g.role == roles.PROJECT_MANAGER and g.enterprise_id == enterprise_id and g.project_id)


def hand_over(actor, enterprise_id: int, project_id: int, successor: User) -> list[User]:
    """Takes the designation from whoever held it for the enterprise on the project
    (their allocation is left alone) and releases the tasks they had claimed there and
    may no longer do, so the successor can take them. Returns the replaced PMs."""
    replaced = []
    for grant in designated(enterprise_id, project_id):
        predecessor = grant.user
        if predecessor.id == successor.id:
            continue
        roles.revoke(predecessor, roles.PROJECT_MANAGER, enterprise_id, project_id)
        _release_claims(predecessor, enterprise_id, project_id)
        audit.record(actor, "project.replace_manager", "project", project_id, enterprise_id=enterprise_id,
                     replaced_user_id=predecessor.id, replaced_person_id=getattr(predecessor.person, "id", None),
                     successor_user_id=successor.id)
        replaced.append(predecessor)
    return replaced


def _release_claims(user, enterprise_id: int, project_id: int) -> None:
    """A claimed task stays claimed by its claimer; one who lost the role that made them
    a candidate would keep it from everyone else."""
    rows = db.session.scalars(select(HumanTask).where(
        HumanTask.status == "open", HumanTask.claimed_by_id == user.id,
        HumanTask.candidate_enterprise_id == enterprise_id, HumanTask.candidate_project_id == project_id))
    for row in rows.all():
        if not inbox.is_candidate(user, row):
            runtime.unclaim(row, user)
