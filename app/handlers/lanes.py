"""Lane roles: each BPMN lane name is one of these keys; it turns a task's subject
into a candidate rule, and names the granted roles that satisfy it. Labels are
translated where they are shown (the modeler, the monitor)."""
from sqlalchemy import select

from app.extensions import db
from app.models import Person, Project
from app.services import payroll, roles
from app.services.i18n import N_
from app.workflow.registry import ENTERPRISE, PERSON, PLATFORM, PROJECT, Candidate, Lane


def _person(subject: dict) -> Candidate:
    # a person's account is theirs for good (the lane is fixed); get() finds the person
    # a start has just described in the session without asking the database again
    person = db.session.get(Person, subject["person_id"])
    user_id = person.user_id if person is not None else None
    return Candidate(user_id=user_id if user_id is not None else -1)


def _enterprise_hr(subject: dict) -> Candidate:
    return Candidate(role="enterprise_hr", enterprise_id=subject["enterprise_id"])


def _project_manager(subject: dict) -> Candidate:
    return Candidate(role="project_manager", enterprise_id=subject["enterprise_id"],
                     project_id=subject["project_id"])


def _gc_pm(subject: dict) -> Candidate:
    gc = db.session.scalar(select(Project.gc_enterprise_id).where(Project.id == subject["project_id"]))
    return Candidate(role="gc_pm", enterprise_id=gc, project_id=subject["project_id"])


def _alloc_level1(subject: dict) -> Candidate:
    """项目人员接收: the allocating enterprise's PM or site operators on the project."""
    return Candidate(role="alloc_level1", enterprise_id=subject["enterprise_id"], project_id=subject["project_id"])


def _payroll_sub_review(subject: dict) -> Candidate:
    """工资支付表审核 by the subcontractor: its legal rep / HR, or its PM on the project —
    never the table's drafter (four eyes)."""
    return payroll.reviewer_of(subject["draft_id"], payroll.SUB_REVIEW)


def _payroll_gc_review(subject: dict) -> Candidate:
    """工资支付表审核 by the GC: its legal rep / HR, or its PM on the project — never the
    table's drafter, so the GC PM's own table goes to the GC's legal rep or HR."""
    return payroll.reviewer_of(subject["draft_id"], payroll.GC_REVIEW)


def _enterprise_legal_rep(subject: dict) -> Candidate:
    """What only the enterprise itself may do, with its digital certificate."""
    return Candidate(role="enterprise_legal_rep", enterprise_id=subject["enterprise_id"])


def _admin(_subject: dict) -> Candidate:
    return Candidate(role="admin")


LANES = {
    "person": Lane(_person, (), N_("本人"), PERSON, fixed=True),
    "enterprise_hr": Lane(_enterprise_hr, (roles.LEGAL_REP, roles.HR_ADMIN), N_("法人或人事聘用管理员"), ENTERPRISE),
    "project_manager": Lane(_project_manager, (roles.PROJECT_MANAGER,), N_("本单位项目经理"), PROJECT),
    "gc_pm": Lane(_gc_pm, (roles.PROJECT_MANAGER,), N_("施工总包项目经理"), PROJECT),
    "alloc_level1": Lane(_alloc_level1, (roles.PROJECT_MANAGER, roles.SITE_OPERATOR), N_("本单位项目经理或现场操作用户"),
                         PROJECT),
    "payroll_sub_review": Lane(_payroll_sub_review, (roles.PROJECT_MANAGER, roles.LEGAL_REP, roles.HR_ADMIN),
                               N_("分包单位的法人、人事聘用管理员或项目经理"), PROJECT),
    "payroll_gc_review": Lane(_payroll_gc_review, (roles.PROJECT_MANAGER, roles.LEGAL_REP, roles.HR_ADMIN),
                              N_("施工总包的法人、人事聘用管理员或项目经理"), PROJECT),
    "enterprise_legal_rep": Lane(_enterprise_legal_rep, (roles.LEGAL_REP,), N_("法人"), ENTERPRISE),
    "admin": Lane(_admin, (roles.ADMIN,), N_("系统管理员"), PLATFORM),
}
