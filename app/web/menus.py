"""The navigation bar by who you are (issue 19 item 7, the manuals' menus).

A worker (a person with no staff role, or one hired or placed as a 建筑工人) gets the
worker's entries; staff get their roles' entries only — a legal representative is not
offered 个人建设码. Adding an entry is one line in the section it belongs to.
"""
from dataclasses import dataclass

from flask import g
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select

from app.extensions import db
from app.models import Allocation, Employment
from app.models.allocation import OPEN_ALLOCATION
from app.models.employment import OPEN_STATUSES
from app.services.roles import (ADMIN, ANALYST, DATACENTER, ENTERPRISE_ROLES, PROJECT_MANAGER, PROJECT_ROLES,
                              SIGNIN_OFFICER, SITE_OPERATOR)

HIRE_PENDING = ("pending_consent", "pending_registration")  # a hire the person must answer


@dataclass(frozen=True)
class Entry:
    """One link of the bar: its label (the manual's word), endpoint and test id."""

    label: object
    endpoint: str
    testid: str = ""


HOME = Entry(_l("首页"), "home.index")

# 实名制首页 / 个人服务 (manual 000, 004): the rest (扫码考勤, 消息通知) is on the worker's home.
WORKER = (
    Entry(_l("聘用信息"), "separation.me.employment", "employment-link"),
    Entry(_l("个人建设码"), "worker_site.code", "code-link"),
    Entry(_l("班前签到"), "worker_site.signin_page", "signin-link"),
    Entry(_l("工资条"), "payroll_wages.mine", "wages-link"),
    Entry(_l("个人信息登记"), "worker.registration", "registration-link"),  # also the bank card
)

# 企业端 (manual 000 企业聘用管理; 004 从业人员实名制管理, 工资支付编制).
ENTERPRISE = (
    Entry(_l("企业聘用管理"), "enterprise.index", "enterprise-link"),
    Entry(_l("项目人员管理"), "projects.index", "projects-link"),
    # 工资支付编制 is per project: 项目人员管理 → the project → 工资支付编制.
)

# Manual 000 聘用登记, for those who hire (the legal representative, HR).
HIRING = (Entry(_l("聘用登记"), "shortcuts.hire_registration", "menu-hire-registration"),)
# Manual 004 从业人员实名制管理 → 建筑工人实名制管理 → 项目人员接收, for a unit's PM or site operator.
RECEIVING = (Entry(_l("项目人员接收"), "shortcuts.project_acceptance", "menu-project-acceptance"),)

# Manual 004 §6: the GC enterprise's 【工资支付表推送银行】 across all its projects.
ENTERPRISE_PAYROLL = (Entry(_l("工资支付表推送银行"), "enterprise_payroll.bank_push", "bank-push-link"),)

# 现场端 for a project's staff (项目经理, 现场操作用户) without an enterprise role.
PROJECT = (Entry(_l("项目人员管理"), "projects.index", "projects-link"),)

# Manual 004: 项目人员管理 → 选择身份【班前签到员】 → the project → 【班前签到】.
OFFICER = (Entry(_l("选择身份"), "identities.choose", "identity-link"),)

DATACENTER_ENTRIES = (Entry(_l("登记审核"), "datacenter.queue", "datacenter-link"),)
ANALYST_ENTRIES = (Entry(_l("流程建模"), "modeler.index", "modeler-link"),)
ADMIN_ENTRIES = (
    Entry(_l("账号与角色"), "admin.users", "users-link"),
    Entry(_l("审计日志"), "admin.audit_log", "audit-link"),
    Entry(_l("流程监控"), "monitor.dashboard", "monitor-link"),
    Entry(_l("流程建模"), "modeler.index", "modeler-link"),
)


def is_worker(user) -> bool:
    """Whether the worker's entries are offered: a person with no staff role (a newcomer
    must reach 个人信息登记), or staff who are also hired or placed as a 建筑工人, or who
    have a hire to answer. A 管理人员 with grants keeps the staff menu."""
    person = user.person
    if person is None:
        return False
    if not user.grants:
        return True
    as_worker = exists().where(Employment.person_id == person.id, Employment.status.in_(OPEN_STATUSES),
                               (Employment.identity == "worker") | Employment.status.in_(HIRE_PENDING))
    placed = exists().where(Allocation.person_id == person.id, Allocation.role == "worker",
                            Allocation.status.in_(OPEN_ALLOCATION))
    return bool(db.session.scalar(select(as_worker | placed)))


def entries_for(user) -> list[Entry]:
    """The bar's entries for this user, in the manuals' order, each endpoint once."""
    held = {grant.role for grant in user.grants}
    sections = [(HOME,)]
    if is_worker(user):
        sections.append(WORKER)
    if ADMIN in held or held & set(ENTERPRISE_ROLES):
        sections.append(ENTERPRISE)
    elif held & set(PROJECT_ROLES) - {SIGNIN_OFFICER}:
        sections.append(PROJECT)
    if held & set(ENTERPRISE_ROLES):
        sections += [HIRING, ENTERPRISE_PAYROLL]
    if held & {PROJECT_MANAGER, SITE_OPERATOR}:
        sections.append(RECEIVING)
    if SIGNIN_OFFICER in held:
        sections.append(OFFICER)
    if DATACENTER in held:
        sections.append(DATACENTER_ENTRIES)
    if ANALYST in held:
        sections.append(ANALYST_ENTRIES)
    if ADMIN in held:
        sections.append(ADMIN_ENTRIES)
    seen, entries = set(), []
    for entry in (entry for section in sections for entry in section):
        if entry.endpoint not in seen:
            seen.add(entry.endpoint)
            entries.append(entry)
    return entries


def menu(user) -> list[Entry]:
    """entries_for, computed once per request (base.html asks on every page)."""
    cache = g.setdefault("_menu_entries", {})
    if user.id not in cache:
        cache[user.id] = entries_for(user)
    return cache[user.id]
