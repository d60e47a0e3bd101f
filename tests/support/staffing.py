"""A project with its staff: a GC and a subcontractor, each with HR, an active 管理人员
designated as its PM on the project, and active 建筑工人 — built through the real
designation service; employments are created active directly (hiring has its own tests)."""
import itertools
from dataclasses import dataclass, field
from datetime import date

from app.extensions import db
from app.models import Employment
from app.models.types import utcnow
from app.services import allocation as service
from tests.support.people import verified_person

_NAMES = itertools.count(1)


def employee(world, enterprise, identity="worker", status="active", name=None):
    """A verified person employed by `enterprise` (status as given); returns the Person."""
    person = verified_person(world, name or f"{'工人' if identity == 'worker' else '经理'}{next(_NAMES)}")
    active = status == "active"
    db.session.add(Employment(person_id=person.id, enterprise_id=enterprise.id, status=status,
                              identity=identity if active or status in ("resigning", "ended") else None,
                              job_type=("900" if identity == "manager" else "010") if active else None,
                              contract_start=date(2024, 3, 1) if active else None,
                              wage_standard_fen=800000 if active else None,
                              started_at=utcnow() if active else None, ended_at=utcnow() if status == "ended" else None))
    db.session.commit()
    return person


@dataclass
class Side:
    """One participant enterprise: its HR, its PM (user and person) and its workers."""

    enterprise: object
    hr: object
    pm: object = None
    pm_person: object = None
    workers: list = field(default_factory=list)


@dataclass
class Staffing:
    project: object
    gc: Side
    sub: Side


def side(world, enterprise, project, workers: int, designate=True) -> Side:
    hr = world.hr_admin(enterprise)
    s = Side(enterprise, hr, workers=[employee(world, enterprise) for _ in range(workers)])
    if designate:
        s.pm_person = employee(world, enterprise, "manager")
        service.designate_manager(hr, project, s.pm_person.id)
        db.session.commit()
        s.pm = s.pm_person.user
    return s


def staffing(world, workers: int = 3) -> Staffing:
    gc_enterprise, sub_enterprise = world.enterprise(), world.enterprise()
    project = world.project(gc_enterprise, subcontractors=[sub_enterprise])
    return Staffing(project, side(world, gc_enterprise, project, workers), side(world, sub_enterprise, project, workers))
