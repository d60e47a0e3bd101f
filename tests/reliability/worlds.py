"""Two complete, separate worlds for the authorization matrix: each a general contractor
and a labour subcontractor on one project, with every kind of user (HR, legal rep, the
PMs, a site operator, a sign-in officer, workers) and something of every kind in flight
(a hire awaiting consent, an allocation awaiting acceptance, a resignation and a
dismissal awaiting their answers, a payroll batch with a draft being written and one in
review, sign-ins, entries, punches) — all built through the real services.

Every name, username and project code of a world carries its tag, so a response that
leaks anything from the other world can be caught by looking for that tag."""
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from app.extensions import db
from app.models import Allocation, Attendance, HumanTask, SignIn
from app.models.types import utcnow
from app.services import allocation as allocation_service
from app.services import construction_code, employment, payroll, roles, separation, signin
from app.services.calendar import today_in_shanghai
from tests.support.factories import World
from tests.support.site import confirmed, set_point
from tests.support.staffing import employee

BANK_CARD = "6217001210024455667"


@dataclass
class Universe:
    tag: str  # Chinese, in every person and enterprise name
    code: str  # ASCII, in every username and the project code
    users: dict = field(default_factory=dict)  # role → User
    ids: dict = field(default_factory=dict)  # what → id
    tokens: dict = field(default_factory=dict)  # what → construction code token
    markers: list = field(default_factory=list)  # strings that only this world's data contains


def _user(world: World, u: Universe, what: str, **kwargs):
    return world.user(f"{u.code.lower()}_{what}", name=f"{u.tag}{what}", **kwargs)


def build(world: World, tag: str, code: str) -> Universe:
    u = Universe(tag, code)
    gc = world.enterprise(name=f"{tag}总包建设有限公司", legal_rep=_user(world, u, "gclegal"))
    sub = world.enterprise(name=f"{tag}分包劳务有限公司", legal_rep=_user(world, u, "sublegal"))
    project = world.project(gc, subcontractors=[sub], code=f"{code}-PRJ")
    project.name = f"{tag}工地项目"
    db.session.commit()

    def person(enterprise, what, identity="worker"):
        return employee(world, enterprise, identity, name=f"{tag}{what}")

    hr = world.hr_admin(gc)
    sub_hr = world.hr_admin(sub)
    for user, what in ((hr, "gchr"), (sub_hr, "subhr")):
        user.name = f"{tag}{what}"
        user.username = f"{code.lower()}_{what}"
    gc_pm, sub_pm = person(gc, "总包经理", "manager"), person(sub, "分包经理", "manager")
    allocation_service.designate_manager(hr, project, gc_pm.id)
    allocation_service.designate_manager(sub_hr, project, sub_pm.id)
    db.session.commit()

    operator = person(gc, "现场操作员")
    confirmed(project, operator, role="site_operator")
    roles.grant(operator.user, roles.SITE_OPERATOR, enterprise_id=gc.id, project_id=project.id)
    officer = person(gc, "签到员")
    confirmed(project, officer)
    set_point(project, gc_pm.user)
    signin.appoint_officer(gc_pm.user, project, officer.id)

    # The worker: a subcontractor's worker on site, signed in through November 2026.
    worker = person(sub, "工人")
    gc_worker = person(gc, "总包工人")
    for who in (worker, gc_worker):
        allocation = confirmed(project, who, status="on_site")
        allocation.entered_at = utcnow()
        db.session.add(Attendance(project_id=project.id, person_id=who.id, allocation_id=allocation.id,
                                  enterprise_id=allocation.enterprise_id, kind="clock_in", method="scan",
                                  at=utcnow(), work_date=today_in_shanghai()))
        for day in (2, 3, 4):
            db.session.add(SignIn(project_id=project.id, person_id=who.id, allocation_id=allocation.id,
                                  enterprise_id=allocation.enterprise_id, work_date=date(2026, 11, day),
                                  method="officer_scan", officer_person_id=officer.id))
        who.bank_name, who.bank_card_number = "中国建设银行", BANK_CARD
    db.session.add(SignIn(project_id=project.id, person_id=worker.id, allocation_id=allocation.id,
                          enterprise_id=sub.id, work_date=today_in_shanghai(), method="officer_scan",
                          officer_person_id=officer.id))
    db.session.commit()

    # In flight: payroll (a GC draft being written, a subcontractor's draft in review) ...
    payroll.set_settlement_day(gc_pm.user, project, "25")
    batch = payroll.create_batch(gc_pm.user, project, "2026-11")
    gc_draft = payroll.create_draft(gc_pm.user, project, batch.id, "2026-11")
    sub_draft = payroll.create_draft(sub_pm.user, project, batch.id, "2026-11")
    for line in sub_draft.lines:
        payroll.set_line(sub_pm.user, sub_draft, line.id, 900000, 0)
    payroll.submit(sub_pm.user, sub_draft)
    db.session.commit()
    # ... a hire awaiting the person's consent ...
    free = employee(world, gc, status="ended", name=f"{tag}待聘人员")
    hire = employment.request_hire(hr, gc, free.name, free.id_number)
    db.session.commit()
    # ... an allocation awaiting the subcontractor PM's acceptance ...
    newcomer = person(sub, "新分配工人")
    [allocated] = allocation_service.allocate(sub_hr, project, [newcomer.id], "worker")
    # ... a resignation awaiting the enterprise, a dismissal awaiting the person.
    resigner, dismissed = person(gc, "辞职工人"), person(gc, "解聘工人")
    resignation = separation.apply_resignation(resigner.user, "回老家")
    separation.dismiss(hr, gc, [dismissed.id], "项目结束")
    db.session.commit()

    def open_task(key):
        return db.session.scalar(select(HumanTask).where(HumanTask.task_key == key, HumanTask.status == "open",
                                                         HumanTask.candidate_enterprise_id.in_((gc.id, sub.id)))
                                 .order_by(HumanTask.id).limit(1))

    sub_review = open_task("sub_review")
    sub_review.claimed_by_id = sub_hr.id  # so that "unclaim" has something to give back
    db.session.commit()

    u.users = {"worker": worker.user, "hr": hr, "sub_hr": sub_hr, "legal_rep": gc.legal_rep,
               "sub_legal_rep": sub.legal_rep, "gc_pm": gc_pm.user, "sub_pm": sub_pm.user,
               "site_operator": operator.user, "signin_officer": officer.user,
               "datacenter": _user(world, u, "datacenter", platform_role=roles.DATACENTER),
               "analyst": _user(world, u, "analyst", platform_role=roles.ANALYST),
               "admin": _user(world, u, "admin", platform_role=roles.ADMIN),
               "login_target": _user(world, u, "target")}
    u.ids = {"gc": gc.id, "sub": sub.id, "project": project.id, "batch": batch.id, "gc_draft": gc_draft.id,
             "gc_line": gc_draft.lines[0].id, "sub_draft": sub_draft.id, "hire": hire.id,
             "hire_instance": hire.process_instance_id, "allocation": allocated.allocation_id,
             "worker": worker.id, "gc_worker": gc_worker.id, "officer": officer.id, "free": free.id,
             "newcomer": newcomer.id, "dismissed": dismissed.id, "resigner": resigner.id,
             "gc_pm_person": gc_pm.id,
             "worker_employment": db.session.scalar(select(Allocation.employment_id).where(
                 Allocation.person_id == worker.id)),
             "agree_task": open_task("enterprise_agree").id, "accept_task": open_task("level1_accept").id,
             "claimed_task": sub_review.id, "resignation_instance": resignation.process_instance_id}
    u.tokens = {"worker": construction_code.issue_personal_code(worker).token,
                "officer": construction_code.issue_personal_code(officer).token,
                "site": construction_code.site_code(project)}
    u.markers = [tag, code, gc.uscc, sub.uscc, f"P{project.id}-202611", free.name,
                 *(p.id_number for p in (worker, gc_worker, officer, free, newcomer, resigner, dismissed, gc_pm))]
    u.free_name, u.free_id_number = free.name, free.id_number
    u.legal_rep_username, u.target_username = gc.legal_rep.username, u.users["login_target"].username
    return u
