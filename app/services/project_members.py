"""A project's members as a scan finds them: the person a personal construction code
names, their open allocation on the project, and what the scan did. Entry, attendance
and exit (app/services/site.py) and sign-in (app/services/signin.py) both build on it."""
from dataclasses import dataclass

from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Person
from app.models.allocation import OPEN_ALLOCATION
from app.services.construction_code import read_personal_code
from app.services.errors import RuleViolation
from app.services.i18n import N_

ACCEPTED = ("confirmed", "on_site")   # 已分配确认: a member of the project

NOT_ON_PROJECT = N_("该人员未分配到本项目")
UNKNOWN_PERSON = N_("建设码对应的人员不存在")


@dataclass
class Outcome:
    """What a scan did: `result` is a code for machines, `message` a msgid with
    %(name)s / %(project)s for people."""

    person: Person
    result: str
    message: str
    created: bool
    record: object = None


def allocation_on(person_id: int, project_id: int, lock: bool = False) -> Allocation | None:
    """The person's open allocation on this project (at most one open allocation exists).
    With `lock`, the row is locked until commit (PostgreSQL), so that two scanners
    scanning the same person at once act one after the other: one entry, one punch."""
    query = select(Allocation).where(Allocation.person_id == person_id, Allocation.project_id == project_id,
                                     Allocation.status.in_(OPEN_ALLOCATION)).limit(1)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.scalar(query)


def person_from_code(token, field: str = "token") -> Person:
    person = db.session.get(Person, read_personal_code(token, field))
    if person is None:
        raise RuleViolation(UNKNOWN_PERSON, field=field)
    return person
