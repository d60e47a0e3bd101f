"""Projects and their participants (GC, labour and specialist subcontractors)."""
from sqlalchemy import select

from app.extensions import db
from app.models import Enterprise, Participant, Project
from app.models.projects import GENERAL_CONTRACTOR
from app.services import audit
from app.services.errors import Conflict, RuleViolation


def create_project(actor, *, code: str, name: str, address: str, gc_enterprise: Enterprise,
                   bank_name: str, account_no: str, account_name: str) -> Project:
    if db.session.scalar(select(Project.id).where(Project.code == code)) is not None:
        raise Conflict("该项目编号已存在", field="code")
    project = Project(code=code, name=name.strip(), address=address.strip(), gc_enterprise=gc_enterprise,
                      wage_bank_name=bank_name.strip(), wage_account_no=account_no,
                      wage_account_name=account_name.strip())
    db.session.add(project)
    db.session.flush()
    db.session.add(Participant(project=project, enterprise_id=gc_enterprise.id, kind=GENERAL_CONTRACTOR))
    audit.record(actor, "project.create", "project", project.id, code=code, gc_enterprise_id=gc_enterprise.id)
    return project


def add_participant(actor, project: Project, enterprise_id: int, kind: str) -> Participant:
    enterprise = db.session.get(Enterprise, enterprise_id)
    if enterprise is None:
        raise RuleViolation("企业不存在", field="enterprise_id")
    if any(p.enterprise_id == enterprise_id for p in project.participants):
        raise Conflict("该企业已参建本项目", field="enterprise_id")
    participant = Participant(project=project, enterprise=enterprise, kind=kind)
    db.session.add(participant)
    db.session.flush()
    audit.record(actor, "project.add_participant", "project", project.id, enterprise_id=enterprise_id, kind=kind)
    return participant


def participation(project: Project, enterprise_id: int) -> Participant | None:
    return next((p for p in project.participants if p.enterprise_id == enterprise_id), None)
