"""The payroll API, first half: settings, batches, drafts from sign-ins, lines in fen,
submission and review through the inbox API — and who may do what."""
from datetime import date

import pytest

from tests.services.test_payroll_drafts import sign_ins, with_card
from tests.support.factories import auth, token
from tests.support.staffing import staffing


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def test_payroll_setup_and_a_draft_through_review(client, s, world):
    gc_pm, sub_pm, sub_hr = (token(client, u) for u in (s.gc.pm, s.sub.pm, s.sub.hr))
    pid = s.project.id
    settings = f"/api/v1/projects/{pid}/payroll-settings"
    assert client.put(settings, json={"settlement_day": 25}, headers=auth(sub_pm)).status_code == 403
    assert client.put(settings, json={"settlement_day": 29}, headers=auth(gc_pm)).status_code == 422
    assert client.put(settings, json={"settlement_day": "month_end"}, headers=auth(gc_pm)).get_json() == {
        "settlement_day": "month_end"}
    assert client.put(settings, json={"settlement_day": 25}, headers=auth(gc_pm)).get_json() == {"settlement_day": 25}

    batches = f"/api/v1/projects/{pid}/bank-batches"
    assert client.post(batches, json={"pay_month": "2026-11"}, headers=auth(sub_pm)).status_code == 403
    assert client.post(batches, json={"pay_month": "2026-13"}, headers=auth(gc_pm)).status_code == 422
    created = client.post(batches, json={"pay_month": "2026-11"}, headers=auth(gc_pm))
    assert created.status_code == 201 and created.get_json()["batch_no"].endswith("-202611-1")
    batch_id = created.get_json()["id"]
    assert client.post(batches, json={"pay_month": "2026-11"}, headers=auth(gc_pm)).status_code == 409
    assert client.get(f"/api/v1/bank-batches/{batch_id}", headers=auth(gc_pm)).get_json()["status"] == "open"
    assert client.get(f"/api/v1/bank-batches/{batch_id}", headers=auth(sub_pm)).status_code == 404

    worker = s.sub.workers[0]
    sign_ins(s.project, worker, [date(2026, 11, 2), date(2026, 11, 3), date(2026, 11, 4)])
    with_card(worker)
    drafts = f"/api/v1/projects/{pid}/payroll-drafts"
    draft = client.post(drafts, json={"pay_month": "2026-11", "batch_id": batch_id}, headers=auth(sub_pm))
    assert draft.status_code == 201
    body = draft.get_json()
    assert [(line["person_id"], line["days"]) for line in body["lines"]] == [(worker.id, 3)]
    line_url = f"/api/v1/payroll-drafts/{body['id']}/lines/{body['lines'][0]['id']}"
    assert client.put(line_url, json={"gross_fen": 900_00, "deductions_fen": 900_01}, headers=auth(sub_pm)).status_code == 422
    assert client.put(line_url, json={"gross_fen": 900.5}, headers=auth(sub_pm)).status_code == 422
    assert client.put(line_url, json={"gross_fen": 900_00}, headers=auth(gc_pm)).status_code == 403
    other_hr = token(client, world.hr_admin(world.enterprise()))
    assert client.put(line_url, json={"gross_fen": 900_00}, headers=auth(other_hr)).status_code == 404
    ok = client.put(line_url, json={"gross_fen": 900_00, "deductions_fen": 50_00}, headers=auth(sub_pm))
    assert ok.status_code == 200 and ok.get_json()["net_fen"] == 850_00
    submitted = client.post(f"/api/v1/payroll-drafts/{body['id']}/submit", headers=auth(sub_pm))
    assert submitted.status_code == 200 and submitted.get_json()["status"] == "sub_review"
    assert client.put(line_url, json={"gross_fen": 1}, headers=auth(sub_pm)).status_code == 409

    [review] = [t for t in client.get("/api/v1/tasks", headers=auth(sub_hr)).get_json()["items"]
                if t["task_key"] == "sub_review"]
    assert review["process_key"] == "payroll" and review["subject"]["draft_id"] == body["id"]
    assert review["subject"]["batch_id"] == batch_id
    assert client.post(f"/api/v1/tasks/{review['id']}/complete", json={"data": {"decision": "agree"}},
                       headers=auth(sub_hr)).status_code == 200
    [gc_review] = [t for t in client.get("/api/v1/tasks", headers=auth(gc_pm)).get_json()["items"]
                   if t["task_key"] == "gc_review"]
    assert client.post(f"/api/v1/tasks/{gc_review['id']}/complete", json={"data": {"decision": "agree"}},
                       headers=auth(gc_pm)).status_code == 200
    assert client.get(f"/api/v1/payroll-drafts/{body['id']}", headers=auth(gc_pm)).get_json()["status"] == "approved"


def test_a_returned_draft_cannot_be_resubmitted_through_the_task_api_without_amounts(client, s, world):
    """The flow's 修改后重新提交 task can be completed through the generic task API too:
    the submission rules (every amount, every bank card) hold there as on 【提交审核】."""
    gc_pm, gc_hr = token(client, s.gc.pm), token(client, s.gc.hr)
    pid = s.project.id
    client.put(f"/api/v1/projects/{pid}/payroll-settings", json={"settlement_day": 25}, headers=auth(gc_pm))
    batch_id = client.post(f"/api/v1/projects/{pid}/bank-batches", json={"pay_month": "2026-11"},
                           headers=auth(gc_pm)).get_json()["id"]
    worker = s.gc.workers[0]
    sign_ins(s.project, worker, [date(2026, 11, 2)])
    with_card(worker)
    body = client.post(f"/api/v1/projects/{pid}/payroll-drafts", json={"pay_month": "2026-11", "batch_id": batch_id},
                       headers=auth(gc_pm)).get_json()
    line_url = f"/api/v1/payroll-drafts/{body['id']}/lines/{body['lines'][0]['id']}"
    client.put(line_url, json={"gross_fen": 300_00}, headers=auth(gc_pm))
    assert client.post(f"/api/v1/payroll-drafts/{body['id']}/submit", headers=auth(gc_pm)).status_code == 200

    def open_task(key, user=gc_pm):
        return [t for t in client.get("/api/v1/tasks", headers=auth(user)).get_json()["items"] if t["task_key"] == key]

    [review] = open_task("gc_review", gc_hr)  # the GC PM drafted it: the GC's HR reviews
    returned = client.post(f"/api/v1/tasks/{review['id']}/complete",
                           json={"data": {"decision": "reject", "comment": "金额有误"}}, headers=auth(gc_hr))
    assert returned.status_code == 200
    from app.extensions import db
    from app.models import PayrollLine
    db.session.get(PayrollLine, body["lines"][0]["id"]).gross_fen = None  # as if cleared while returned
    db.session.commit()
    [revise] = open_task("revise")
    refused = client.post(f"/api/v1/tasks/{revise['id']}/complete", json={"data": {"confirm": True}},
                          headers=auth(gc_pm))
    assert refused.status_code == 422
    draft = client.get(f"/api/v1/payroll-drafts/{body['id']}", headers=auth(gc_pm)).get_json()
    assert draft["status"] == "returned" and open_task("revise") and not open_task("gc_review", gc_hr)
