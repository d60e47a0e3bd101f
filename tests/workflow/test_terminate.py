"""An administrator's terminate ends the business record the instance is about, in the
same transaction (shared/API.md, Administration): each real process started through
the API, terminated through the API, and its record left consistent — the person
hireable, allocatable or able to resign again, the draft or batch editable again.
A process that declares nothing cannot be terminated, and nothing changes."""
import re
from datetime import date

import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import (Allocation, AuditEntry, BankBatch, Employment, HumanTask, PayrollDraft, ProcessEvent,
                        ProcessInstance, Separation, WorkflowTimer)
from app.services import demo_ca
from tests.api.test_payroll_bank import PASSWORD, approved_batch, s, upload  # noqa: F401 (s: fixture)
from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.factories import auth, log_in, submit, token
from tests.support.people import verified_person
from tests.support.staffing import staffing
from tests.workflow.conftest import deploy, parties  # noqa: F401  (pytest fixtures)

REASON = "发起有误，管理员终止"


@pytest.fixture
def admin(client, world):
    user = world.admin()
    return {"user": user, "tok": token(client, user)}


def terminate(client, admin, instance_id, reason=REASON):
    return client.post(f"/api/v1/process-instances/{instance_id}/terminate", json={"reason": reason},
                       headers=auth(admin["tok"]))


def assert_terminated(client, admin, instance_id):
    """Terminated as the API says, its inbox rows withdrawn, its timer row gone."""
    response = terminate(client, admin, instance_id)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"id": instance_id, "status": "terminated"}
    assert db.session.get(ProcessInstance, instance_id).status == "terminated"
    left = db.session.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance_id)).all()
    assert left and set(left) <= {"withdrawn", "completed"}
    assert db.session.get(WorkflowTimer, instance_id) is None


def audited(action, record_id) -> AuditEntry:
    [entry] = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action,
                                                          AuditEntry.record_id == str(record_id))).all()
    return entry


def assert_audited(action, record_id, admin):
    entry = audited(action, record_id)
    assert entry.actor_id == admin["user"].id and entry.reason == REASON


def tasks(client, tok, key):
    return [t for t in client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] if t["task_key"] == key]


def complete(client, tok, task_id, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth(tok))


# --- hire_consent ----------------------------------------------------------------------------

def hire(client, tok, enterprise, person):
    return client.post(f"/api/v1/enterprises/{enterprise.id}/employments",
                       json={"name": person.name, "id_number": person.id_number}, headers=auth(tok))


def employment_status(client, tok, employment_id):
    return client.get(f"/api/v1/employments/{employment_id}", headers=auth(tok)).get_json()["status"]


@pytest.mark.parametrize("stage", ["pending_consent", "pending_registration"])
def test_a_terminated_hire_is_withdrawn_and_the_person_can_be_hired_again(client, world, admin, stage):
    first, second = world.enterprise(), world.enterprise()
    first_hr, second_hr = (token(client, world.hr_admin(e)) for e in (first, second))
    person = verified_person(world, "赵再聘")
    me = token(client, person.user)
    employment_id = hire(client, first_hr, first, person).get_json()["id"]
    if stage == "pending_registration":
        [consent] = tasks(client, me, "worker_consent")
        assert complete(client, me, consent["id"], {"decision": "agree"}).status_code == 200
    assert employment_status(client, first_hr, employment_id) == stage
    assert hire(client, second_hr, second, person).status_code == 422  # still open at the first enterprise

    instance_id = db.session.get(Employment, employment_id).process_instance_id
    assert_terminated(client, admin, instance_id)
    assert employment_status(client, first_hr, employment_id) == "withdrawn"
    assert tasks(client, me, "worker_consent") == [] and tasks(client, first_hr, "employment_registration") == []
    assert_audited("employment.withdraw", employment_id, admin)
    assert audited("process.terminate", instance_id).reason == REASON

    elsewhere = hire(client, second_hr, second, person)  # another enterprise
    assert elsewhere.status_code == 201 and elsewhere.get_json()["status"] == "pending_consent"
    assert_terminated(client, admin, db.session.get(Employment, elsewhere.get_json()["id"]).process_instance_id)
    again = hire(client, first_hr, first, person)  # and the same one
    assert again.status_code == 201 and again.get_json()["id"] not in (employment_id, elsewhere.get_json()["id"])
    [consent] = tasks(client, me, "worker_consent")
    assert consent["subject"]["employment_id"] == again.get_json()["id"]


def test_the_monitor_page_says_what_terminate_does_and_does_it(client, world):
    enterprise = world.enterprise()
    hr = token(client, world.hr_admin(enterprise))
    person = verified_person(world, "钱页面")
    employment_id = hire(client, hr, enterprise, person).get_json()["id"]
    instance_id = db.session.get(Employment, employment_id).process_instance_id
    user = world.admin()
    log_in(client, user)
    page = f"/admin/monitor/instances/{instance_id}"
    effect = client.get(page).get_data(as_text=True)
    assert 'data-testid="termination-effect"' in effect and "聘用申请撤回，该人员可被重新聘用" in effect
    done = submit(client, f"{page}/terminate", {"reason": REASON}, page=page)
    assert "流程已终止" in client.get(done.location).get_data(as_text=True)
    assert employment_status(client, hr, employment_id) == "withdrawn"
    assert audited("employment.withdraw", employment_id).actor_id == user.id
    hr_browser = client.application.test_client()
    log_in(hr_browser, enterprise.legal_rep)
    shown = hr_browser.get(f"/enterprises/{enterprise.id}/staff/{employment_id}").get_data(as_text=True)
    assert "已撤回" in shown and "已由系统管理员撤回" in shown


def test_a_hire_that_has_moved_on_is_left_as_it_is(client, world, admin):
    """The flow can only be live while the hire awaits it; should a record have moved on
    anyway (here set by hand, as a redeployed diagram might leave it), terminate ends
    the flow and does not end an employment that only a separation may end."""
    enterprise = world.enterprise()
    hr = token(client, world.hr_admin(enterprise))
    employment_id = hire(client, hr, enterprise, verified_person(world, "孙已聘")).get_json()["id"]
    employment = db.session.get(Employment, employment_id)
    employment.status = "active"
    db.session.commit()
    assert_terminated(client, admin, employment.process_instance_id)
    assert employment_status(client, hr, employment_id) == "active"
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "employment.withdraw")) == 0


# --- allocation_confirmation -------------------------------------------------------------------

def allocate(client, tok, project_id, person_id):
    response = client.post(f"/api/v1/projects/{project_id}/allocations",
                           json={"person_ids": [person_id], "role": "worker"}, headers=auth(tok))
    return response.get_json()["results"][0]


def test_a_terminated_allocation_is_cancelled_and_the_person_can_be_allocated_again(client, world, admin):
    s = staffing(world, workers=1)
    hr, sub_pm = token(client, s.sub.hr), token(client, s.sub.pm)
    worker = s.sub.workers[0]
    first = allocate(client, hr, s.project.id, worker.id)
    assert first["ok"]
    allocation_id = first["allocation_id"]
    assert allocate(client, hr, s.project.id, worker.id)["detail"] == "该人员已分配到本项目"

    assert_terminated(client, admin, db.session.get(Allocation, allocation_id).process_instance_id)
    status = client.get(f"/api/v1/allocations/{allocation_id}", headers=auth(hr)).get_json()["status"]
    assert status == "cancelled"
    assert tasks(client, sub_pm, "level1_accept") == []
    assert_audited("allocation.cancel", allocation_id, admin)

    again = allocate(client, hr, s.project.id, worker.id)
    assert again["ok"] and again["allocation_id"] != allocation_id
    [level1] = tasks(client, sub_pm, "level1_accept")
    assert level1["subject"]["allocation_id"] == again["allocation_id"]


# --- resignation / dismissal -------------------------------------------------------------------

def resign(client, tok, reason="回老家"):
    return client.post("/api/v1/me/resignation", json={"reason": reason}, headers=auth(tok))


def test_a_terminated_resignation_is_withdrawn_and_the_person_may_resign_again(client, world, admin):
    s = staffing(world, workers=1)
    worker = s.gc.workers[0]
    me, hr = token(client, worker.user), token(client, s.gc.hr)
    applied = resign(client, me).get_json()
    assert employment_status(client, me, applied["employment_id"]) == "resigning"
    instance_id = applied["process_instance_id"]
    assert db.session.get(WorkflowTimer, instance_id) is not None  # the 24-hour rule's timer

    assert_terminated(client, admin, instance_id)
    assert employment_status(client, me, applied["employment_id"]) == "active"
    assert client.get("/api/v1/me/resignation", headers=auth(me)).status_code == 404
    assert tasks(client, hr, "enterprise_agree") == []
    separation = db.session.scalar(select(Separation).where(Separation.process_instance_id == instance_id))
    assert separation.status == "withdrawn"
    assert_audited("separation.withdraw", applied["employment_id"], admin)

    again = resign(client, me, "还是要走")
    assert again.status_code == 201 and again.get_json()["process_instance_id"] != instance_id
    assert len(tasks(client, hr, "enterprise_agree")) == 1


def test_a_terminated_dismissal_is_withdrawn_and_the_employment_active_again(client, world, admin):
    s = staffing(world, workers=1)
    worker = s.gc.workers[0]
    me, hr = token(client, worker.user), token(client, s.gc.hr)
    dismissed = client.post(f"/api/v1/enterprises/{s.gc.enterprise.id}/dismissals",
                            json={"person_ids": [worker.id], "reason": "工程完工"}, headers=auth(hr))
    [result] = dismissed.get_json()["results"]
    separation = db.session.get(Separation, result["separation_id"])
    employment_id = separation.employment_id
    assert employment_status(client, me, employment_id) == "dismissing"
    [consent] = tasks(client, me, "worker_consent")

    assert_terminated(client, admin, separation.process_instance_id)
    assert employment_status(client, me, employment_id) == "active"
    assert db.session.get(Separation, result["separation_id"]).status == "withdrawn"
    assert complete(client, me, consent["id"], {"decision": "agree"}).status_code == 409
    assert_audited("separation.withdraw", employment_id, admin)

    assert resign(client, me).status_code == 201  # a new separation may start
    assert employment_status(client, me, employment_id) == "resigning"


# --- payroll / payroll_batch -------------------------------------------------------------------

def test_a_terminated_review_puts_the_draft_back_to_drafting(client, world, admin):
    s = staffing(world, workers=1)
    sub_pm, sub_hr = token(client, s.sub.pm), token(client, s.sub.hr)
    gc_pm = token(client, s.gc.pm)
    pid = s.project.id
    client.put(f"/api/v1/projects/{pid}/payroll-settings", json={"settlement_day": 25}, headers=auth(gc_pm))
    batch_id = client.post(f"/api/v1/projects/{pid}/bank-batches", json={"pay_month": "2026-11"},
                           headers=auth(gc_pm)).get_json()["id"]
    worker = s.sub.workers[0]
    sign_ins(s.project, worker, [date(2026, 11, 2), date(2026, 11, 3)])
    with_card(worker)
    body = client.post(f"/api/v1/projects/{pid}/payroll-drafts", json={"pay_month": "2026-11", "batch_id": batch_id},
                       headers=auth(sub_pm)).get_json()
    draft_url = f"/api/v1/payroll-drafts/{body['id']}"
    line_url = f"{draft_url}/lines/{body['lines'][0]['id']}"
    assert client.put(line_url, json={"gross_fen": 600_00}, headers=auth(sub_pm)).status_code == 200
    assert client.post(f"{draft_url}/submit", headers=auth(sub_pm)).get_json()["status"] == "sub_review"
    assert client.put(line_url, json={"gross_fen": 650_00}, headers=auth(sub_pm)).status_code == 409
    instance_id = db.session.get(PayrollDraft, body["id"]).process_instance_id

    assert_terminated(client, admin, instance_id)
    assert client.get(draft_url, headers=auth(sub_pm)).get_json()["status"] == "drafting"
    assert tasks(client, sub_hr, "sub_review") == []
    assert_audited("payroll.reopen", body["id"], admin)
    edited = client.put(line_url, json={"gross_fen": 650_00}, headers=auth(sub_pm))
    assert edited.status_code == 200 and edited.get_json()["net_fen"] == 650_00
    resubmitted = client.post(f"{draft_url}/submit", headers=auth(sub_pm))
    assert resubmitted.status_code == 200 and resubmitted.get_json()["status"] == "sub_review"
    assert db.session.get(PayrollDraft, body["id"]).process_instance_id != instance_id
    assert len(tasks(client, sub_hr, "sub_review")) == 1


def test_a_terminated_signing_voids_the_summary_and_reopens_the_batch(client, s, admin):
    s = s
    gc_pm = token(client, s.gc.pm)
    batch_id = approved_batch(client, s)
    batch_url = f"/api/v1/bank-batches/{batch_id}"
    assert client.post(f"{batch_url}/summary", headers=auth(gc_pm)).status_code == 201
    pm_cert = demo_ca.issue_person(s.ca, s.gc.pm_person.name, s.gc.pm_person.id_number, PASSWORD)
    assert upload(client, gc_pm, batch_id, pm_cert).get_json()["status"] == "pm_signed"
    instance_id = db.session.get(BankBatch, batch_id).process_instance_id

    assert_terminated(client, admin, instance_id)
    assert client.get(batch_url, headers=auth(gc_pm)).get_json()["status"] == "open"
    batch = db.session.get(BankBatch, batch_id)
    assert batch.document is None and batch.pm_signed_by_id is None and batch.summarized_at is None
    assert tasks(client, token(client, s.gc.enterprise.legal_rep), "enterprise_sign") == []
    assert_audited("payroll.summary_withdrawn", batch_id, admin)

    remade = client.post(f"{batch_url}/summary", headers=auth(gc_pm))
    assert remade.status_code == 201 and remade.get_json()["status"] == "summarized"
    assert db.session.get(BankBatch, batch_id).process_instance_id != instance_id
    assert upload(client, gc_pm, batch_id, pm_cert).get_json()["status"] == "pm_signed"  # the new file, signed anew


# --- a process that declares nothing -----------------------------------------------------------

def test_every_shipped_process_declares_what_terminate_does():
    """A diagram added to processes/ without a declaration could never be terminated."""
    from pathlib import Path

    from app.workflow.registry import REGISTRY
    shipped = {re.search(r'<bpmn:process id="([^"]+)"', path.read_text(encoding="utf-8")).group(1)
               for path in (Path(__file__).parents[2] / "processes").glob("*.bpmn")}
    assert {"hire_consent", "allocation_confirmation", "resignation", "dismissal", "payroll",
            "payroll_batch"} <= shipped
    assert shipped <= set(REGISTRY.terminations)
    assert all(REGISTRY.terminations[key].label for key in shipped)


def test_a_process_without_a_declaration_cannot_be_terminated(client, deploy, parties, world, admin):  # noqa: F811
    """approval_timeout (a test diagram) declares nothing in the registry: a 409 that says
    why, and the instance, its task, its timer and the audit log are untouched."""
    from app.workflow import runtime
    deploy("approval_timeout")
    instance = runtime.start("approval_timeout", parties["subject"])
    db.session.commit()
    instance_id = instance.id
    events_before = db.session.scalar(select(func.count()).select_from(ProcessEvent)
                                      .where(ProcessEvent.instance_id == instance_id))

    refused = terminate(client, admin, instance_id)
    assert refused.status_code == 409
    assert refused.get_json()["detail"] == "流程“approval_timeout”未声明终止后其业务记录如何处理，不能终止"
    assert db.session.get(ProcessInstance, instance_id).status == "running"
    assert db.session.scalars(select(HumanTask.status).where(HumanTask.instance_id == instance_id)).all() == ["open"]
    assert db.session.get(WorkflowTimer, instance_id) is not None
    assert db.session.scalar(select(func.count()).select_from(ProcessEvent)
                             .where(ProcessEvent.instance_id == instance_id)) == events_before
    assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action.like("process.%"))) == 0

    log_in(client, admin["user"])
    page = f"/admin/monitor/instances/{instance_id}"
    html = client.get(page).get_data(as_text=True)
    assert 'data-testid="not-terminable"' in html and 'data-testid="terminate-open"' not in html
    posted = submit(client, f"{page}/terminate", {"reason": REASON}, page=page)  # posted anyway
    assert "流程“approval_timeout”未声明终止后其业务记录如何处理，不能终止" in client.get(posted.location).get_data(as_text=True)
    assert db.session.get(ProcessInstance, instance_id).status == "running"


def test_a_terminate_racing_a_completion_is_a_409_and_changes_nothing(client, world, admin, monkeypatch):
    """The person agrees while the administrator terminates: the later commit meets a
    newer instance row and is refused whole — no withdrawn employment beside a live flow."""
    enterprise = world.enterprise()
    person = verified_person(world, "钱竞态")
    employment_id = hire(client, token(client, world.hr_admin(enterprise)), enterprise, person).get_json()["id"]
    instance_id = db.session.get(Employment, employment_id).process_instance_id
    from app.workflow import runtime
    real_terminate = runtime.terminate

    def terminate_as_the_person_agrees(instance, actor, reason):
        with db.engine.begin() as other:  # another worker's completion commits after this one loaded the row
            other.execute(ProcessInstance.__table__.update().where(ProcessInstance.id == instance_id)
                          .values(lock_version=ProcessInstance.lock_version + 1))
        real_terminate(instance, actor, reason)

    monkeypatch.setattr(runtime, "terminate", terminate_as_the_person_agrees)
    response = terminate(client, admin, instance_id)
    assert response.status_code == 409 and response.mimetype == "application/problem+json"
    db.session.expire_all()
    assert db.session.get(ProcessInstance, instance_id).status != "terminated"
    assert db.session.get(Employment, employment_id).status == "pending_consent"
