"""Four eyes on every wage table (DOMAIN §8, API.md "Inbox"): a sub_review or gc_review is
never offered to the user who drafted that table — not in their inbox (API and 待办事项),
not claimable, not completable (404) — while the unit's legal representative, HR or another
manager reviews; and a unit where nobody but the drafter could review is told, on
【提交审核】, to add an HR administrator, with nothing changed."""
from datetime import date, datetime, timezone

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Employment, HumanTask, PayrollDraft, Project, User
from app.models.types import utcnow
from app.services import allocation, enterprises, payroll
from app.services.errors import Conflict
from app.workflow import inbox, repair
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.factories import auth, csrf_from, log_in, token
from tests.support.people import verified_person
from tests.support.staffing import employee, side, staffing
from tests.test_cli import run

NOV = [date(2026, 11, d) for d in (2, 3, 4)]


@pytest.fixture
def s(world):
    return staffing(world, workers=1)


def open_batch(client, gc_pm, project) -> int:
    pid = project.id
    client.put(f"/api/v1/projects/{pid}/payroll-settings", json={"settlement_day": 25}, headers=auth(gc_pm))
    return client.post(f"/api/v1/projects/{pid}/bank-batches", json={"pay_month": "2026-11"},
                       headers=auth(gc_pm)).get_json()["id"]


def drafted(client, pm, project, batch_id, worker) -> int:
    """【新增编制】 by the unit's PM for its one worker, amounts filled; returns the draft id."""
    sign_ins(project, worker, NOV)
    with_card(worker)
    body = client.post(f"/api/v1/projects/{project.id}/payroll-drafts",
                       json={"pay_month": "2026-11", "batch_id": batch_id}, headers=auth(pm)).get_json()
    [line] = body["lines"]
    assert client.put(f"/api/v1/payroll-drafts/{body['id']}/lines/{line['id']}", json={"gross_fen": 900_00},
                      headers=auth(pm)).status_code == 200
    return body["id"]


def submit(client, pm, draft_id):
    return client.post(f"/api/v1/payroll-drafts/{draft_id}/submit", headers=auth(pm))


def review_task(draft_id, key) -> HumanTask:
    """The open review row, found in the database: what the drafter's inbox must not offer."""
    db.session.expire_all()
    instance_id = db.session.get(PayrollDraft, draft_id).process_instance_id
    return db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                      HumanTask.task_key == key, HumanTask.status == "open")).one()


def inbox_keys(client, tok) -> list[tuple[str, int]]:
    items = client.get("/api/v1/tasks?process_key=payroll", headers=auth(tok)).get_json()["items"]
    return [(t["task_key"], t["subject"]["draft_id"]) for t in items]


def decide(client, tok, task_id, decision="agree"):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": {"decision": decision}}, headers=auth(tok))


def status_of(draft_id) -> str:
    db.session.expire_all()
    return db.session.get(PayrollDraft, draft_id).status


def assert_not_offered(app, client, tok, user, task: HumanTask) -> None:
    """Not in the API inbox, not claimable, not completable; nor in 待办事项 or on its task page."""
    assert (task.task_key, task.subject["draft_id"]) not in inbox_keys(client, tok)
    assert client.post(f"/api/v1/tasks/{task.id}/claim", headers=auth(tok)).status_code == 404
    assert decide(client, tok, task.id).status_code == 404
    browser = app.test_client()
    log_in(browser, user)
    assert f'href="/inbox/{task.id}"' not in browser.get("/inbox/").get_data(as_text=True)
    assert browser.get(f"/inbox/{task.id}").status_code == 404
    db.session.expire_all()
    assert db.session.get(HumanTask, task.id).status == "open" and db.session.get(HumanTask, task.id).claimed_by_id is None


def test_the_gc_pms_own_table_is_reviewed_by_the_gc_legal_rep(app, client, s):
    gc_pm, legal = token(client, s.gc.pm), token(client, s.gc.enterprise.legal_rep)
    draft_id = drafted(client, gc_pm, s.project, open_batch(client, gc_pm, s.project), s.gc.workers[0])
    assert submit(client, gc_pm, draft_id).status_code == 200
    task = review_task(draft_id, "gc_review")

    assert_not_offered(app, client, gc_pm, s.gc.pm, task)
    assert status_of(draft_id) == "gc_review"
    assert ("gc_review", draft_id) in inbox_keys(client, token(client, s.gc.hr))  # HR may review too
    [item] = [t for t in client.get("/api/v1/tasks", headers=auth(legal)).get_json()["items"] if t["id"] == task.id]
    assert decide(client, legal, task.id).status_code == 200
    assert status_of(draft_id) == "approved"
    assert db.session.scalar(select(AuditEntry.actor_id).where(
        AuditEntry.action == "payroll.approve", AuditEntry.record_id == str(draft_id))) == s.gc.enterprise.legal_rep.id


def test_a_subcontractors_table_is_reviewed_by_its_legal_rep_then_by_the_gc(app, client, s):
    gc_pm, sub_pm = token(client, s.gc.pm), token(client, s.sub.pm)
    sub_legal = token(client, s.sub.enterprise.legal_rep)
    draft_id = drafted(client, sub_pm, s.project, open_batch(client, gc_pm, s.project), s.sub.workers[0])
    assert submit(client, sub_pm, draft_id).status_code == 200
    task = review_task(draft_id, "sub_review")

    assert_not_offered(app, client, sub_pm, s.sub.pm, task)
    assert status_of(draft_id) == "sub_review"
    assert decide(client, sub_legal, task.id).status_code == 200
    assert status_of(draft_id) == "gc_review"
    gc_task = review_task(draft_id, "gc_review")
    assert ("gc_review", draft_id) not in inbox_keys(client, sub_pm)
    assert ("gc_review", draft_id) in inbox_keys(client, gc_pm)  # the GC PM did not draft this one
    assert decide(client, gc_pm, gc_task.id).status_code == 200
    assert status_of(draft_id) == "approved"


# --- a unit where only the drafter could review --------------------------------------------------

def single_user_unit(world, name: str):
    """An enterprise whose one account is its legal representative, also its only 管理人员."""
    person = verified_person(world, f"{name}经理")
    enterprise = world.enterprise(f"{name}有限公司", legal_rep=person.user)
    db.session.add(Employment(person_id=person.id, enterprise_id=enterprise.id, status="active", identity="manager",
                              job_type="900", contract_start=date(2024, 3, 1), wage_standard_fen=800000,
                              started_at=utcnow()))
    db.session.commit()
    return enterprise, person.user


def designate(project, enterprise, user):
    allocation.designate_manager(user, project, user.person.id)
    db.session.commit()


def nothing_submitted(draft_id) -> bool:
    db.session.expire_all()
    draft = db.session.get(PayrollDraft, draft_id)
    submits = db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "payroll.submit", AuditEntry.record_id == str(draft_id)))
    return (draft.status, draft.process_instance_id, draft.submitted_at, submits) == ("drafting", None, None, 0)


def test_a_subcontractor_with_a_single_user_is_told_to_add_an_hr_administrator(app, client, world):
    gc = world.enterprise()
    sub, boss = single_user_unit(world, "独户劳务")
    project = world.project(gc, subcontractors=[sub])
    gc_side = side(world, gc, project, workers=0)
    designate(project, sub, boss)  # the legal representative is also the PM who drafts
    gc_pm, sub_pm = token(client, gc_side.pm), token(client, boss)
    draft_id = drafted(client, sub_pm, project, open_batch(client, gc_pm, project), employee(world, sub))

    refused = submit(client, sub_pm, draft_id)
    assert refused.status_code == 422
    assert refused.get_json()["detail"] == (f"除编制人外，{sub.name}没有可以审核工资支付表的人员："
                                            "请先为该单位添加一名人事聘用管理员，再提交审核")
    assert nothing_submitted(draft_id)
    assert inbox_keys(client, sub_pm) == []

    hr = world.user()  # once the legal representative adds an HR administrator, the table goes
    enterprises.add_hr_admin(boss, sub, hr.username)
    db.session.commit()
    assert submit(client, sub_pm, draft_id).status_code == 200
    task = review_task(draft_id, "sub_review")
    assert_not_offered(app, client, sub_pm, boss, task)  # legal rep as well as drafter: still not theirs
    assert decide(client, token(client, hr), task.id).status_code == 200
    assert status_of(draft_id) == "gc_review"


def test_a_gc_with_a_single_user_is_told_to_add_an_hr_administrator_on_the_page_too(app, client, world):
    gc, boss = single_user_unit(world, "独户总包")
    project = world.project(gc)
    designate(project, gc, boss)
    pm = token(client, boss)
    draft_id = drafted(client, pm, project, open_batch(client, pm, project), employee(world, gc))
    message = f"除编制人外，{gc.name}没有可以审核工资支付表的人员：请先为该单位添加一名人事聘用管理员，再提交审核"

    refused = submit(client, pm, draft_id)
    assert refused.status_code == 422 and refused.get_json()["detail"] == message
    browser = app.test_client()
    log_in(browser, boss)
    url = f"/payroll/drafts/{draft_id}"
    line_id = db.session.get(PayrollDraft, draft_id).lines[0].id
    page = browser.post(url, data={"csrf_token": csrf_from(browser.get(url).get_data(as_text=True)),
                                   f"gross-{line_id}": "900", "action": "submit"})
    assert page.status_code == 422 and message in page.get_data(as_text=True)
    assert nothing_submitted(draft_id)


def test_a_subcontractors_table_needs_someone_at_the_gc_as_well(client, world, s):
    """Both levels are checked before anything starts: with every GC account disabled, the
    subcontractor's table is refused naming the GC, though the sub's HR could review."""
    gc_pm, sub_pm = token(client, s.gc.pm), token(client, s.sub.pm)
    draft_id = drafted(client, sub_pm, s.project, open_batch(client, gc_pm, s.project), s.sub.workers[0])
    for user in (s.gc.pm, s.gc.hr, s.gc.enterprise.legal_rep):
        user.active = False
    db.session.commit()
    refused = submit(client, sub_pm, draft_id)
    assert refused.status_code == 422 and s.gc.enterprise.name in refused.get_json()["detail"]
    assert nothing_submitted(draft_id)


# --- who "the drafter" is --------------------------------------------------------------------------

def test_the_pm_who_took_over_and_submitted_is_the_drafter(client, world, s):
    """A PM replaced mid-month: the successor edits and submits the table the predecessor
    created, and it is the successor — the one who put it forward — who may not review it."""
    gc_pm = token(client, s.gc.pm)
    draft_id = drafted(client, token(client, s.sub.pm), s.project, open_batch(client, gc_pm, s.project),
                       s.sub.workers[0])
    successor = employee(world, s.sub.enterprise, "manager")
    allocation.designate_manager(s.sub.hr, s.project, successor.id)
    db.session.commit()
    assert submit(client, token(client, successor.user), draft_id).status_code == 200
    task = review_task(draft_id, "sub_review")
    assert task.candidate_excluded_user_id == successor.user.id
    assert not inbox.is_candidate(successor.user, task) and inbox.is_candidate(s.sub.hr, task)


def test_a_resubmission_through_the_task_api_is_held_to_the_same_rule(client, s):
    """修改后重新提交 completed through the generic task API: the flow's own step records the
    submitter, and the next review leaves them out as on 【提交审核】."""
    gc_pm, sub_pm, sub_hr = token(client, s.gc.pm), token(client, s.sub.pm), token(client, s.sub.hr)
    draft_id = drafted(client, sub_pm, s.project, open_batch(client, gc_pm, s.project), s.sub.workers[0])
    assert submit(client, sub_pm, draft_id).status_code == 200
    assert client.post(f"/api/v1/tasks/{review_task(draft_id, 'sub_review').id}/complete",
                       json={"data": {"decision": "reject", "comment": "天数有误"}},
                       headers=auth(sub_hr)).status_code == 200
    revise = review_task(draft_id, "revise")
    assert client.post(f"/api/v1/tasks/{revise.id}/complete", json={"data": {"confirm": True}},
                       headers=auth(sub_pm)).status_code == 200
    again = review_task(draft_id, "sub_review")
    assert ("sub_review", draft_id) not in inbox_keys(client, sub_pm) and again.candidate_excluded_user_id == s.sub.pm.id
    assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
        AuditEntry.action == "payroll.submit", AuditEntry.record_id == str(draft_id))) == 2


def test_an_administrator_cannot_hand_the_review_to_its_drafter(client, world, s):
    gc_pm = token(client, s.gc.pm)
    draft_id = drafted(client, gc_pm, s.project, open_batch(client, gc_pm, s.project), s.gc.workers[0])
    assert submit(client, gc_pm, draft_id).status_code == 200
    task = review_task(draft_id, "gc_review")
    with pytest.raises(Conflict):
        repair.reassign(task, s.gc.pm, world.admin())
    db.session.rollback()
    repair.reassign(task, s.gc.hr, world.admin())  # anyone else: as before
    db.session.commit()
    assert inbox.is_candidate(s.gc.hr, task) and not inbox.is_candidate(s.gc.pm, task)


def test_the_demo_worlds_gc_table_is_reviewed_by_gc_legal_or_gc_hr(app):
    """README's payroll story: `gc_pm` drafts and submits; the review waits in `gc_legal`'s
    and `gc_hr`'s 待办事项, not in `gc_pm`'s."""
    with time_machine.travel(datetime(2026, 11, 20, 2, tzinfo=timezone.utc)):  # sign-ins from 26 Oct on
        assert run(app, "demo-data").exit_code == 0
        users = {u.username: u for u in db.session.scalars(select(User))}
        project = db.session.scalar(select(Project).where(Project.settlement_day.is_not(None)))
        gc_pm = users["gc_pm"]
        batch = payroll.create_batch(gc_pm, project, "2026-11")
        draft = payroll.create_draft(gc_pm, project, batch.id, "2026-11")
        for line in draft.lines:
            payroll.set_line(gc_pm, draft, line.id, 6_000_00, 0)
        payroll.submit(gc_pm, draft)
        db.session.commit()

    def reviews(username):
        return db.session.scalars(inbox.my_tasks(users[username]).where(HumanTask.task_key == "gc_review")).all()

    assert reviews("gc_pm") == [] and len(reviews("gc_legal")) == len(reviews("gc_hr")) == 1
