"""Allocation to projects (DOMAIN §3) and project-manager designation.

INTERFACE (being implemented): pages and API call exactly these functions.
"""
from dataclasses import dataclass


@dataclass
class Result:
    """One person's outcome in a batch allocation."""

    person_id: int
    ok: bool
    allocation_id: int | None = None
    detail: str | None = None  # a Chinese msgid when refused


def designate_manager(actor, project, person_id: int):
    """The participant enterprise's legal rep / HR makes its active 管理人员 employee the
    enterprise's PM on the project: a RoleGrant(project_manager, enterprise, project) and
    a confirmed Allocation(role="project_manager"). One PM per enterprise per project.
    Raises RuleViolation / Conflict / Forbidden. Caller commits. Returns the Allocation."""
    raise NotImplementedError


def allocatable(enterprise, project=None, role: str | None = None) -> list:
    """Active employments of `enterprise` whose person is on no project (no open
    allocation) — the candidate list of 【人员分配】. Returns Employment rows (with .person)."""
    raise NotImplementedError


def allocate(actor, project, person_ids: list[int], role: str, job_type: str | None = None) -> list[Result]:
    """Allocates each person (per-person results, each its own savepoint-free check):
    the allocating enterprise is the person's employer; the actor must be its legal rep /
    HR, or its PM on the project. Starts allocation_confirmation per allocation. Commits."""
    raise NotImplementedError


def allocations_pending_for(user, project) -> dict[int, int]:
    """{enterprise_id: number of allocations awaiting this user's confirmation on the
    project} — the 【待同意分配人数】 counts (from the user's open inbox tasks)."""
    raise NotImplementedError


def roster(project) -> list:
    """Open allocations of the project (Allocation rows), ordered by enterprise, role, name."""
    raise NotImplementedError


def visible_allocation(user, allocation_id: int):
    """The allocation if the user is involved (the person, the allocating enterprise's
    staff or PM/site operators on the project, the GC's PM/staff), else None."""
    raise NotImplementedError
