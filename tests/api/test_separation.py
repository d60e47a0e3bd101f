"""The separation API: 【申请离职】 with the 24-hour rule through the inbox API, withdrawal,
【批量解聘】 with per-person results, consent and cancellation — and who may do what."""
from datetime import datetime, timedelta, timezone

import pytest
import time_machine

from tests.support.factories import auth, token
from tests.support.site import confirmed
from tests.support.staffing import employee, staffing


@pytest.fixture
def s(world):
    return staffing(world, workers=2)


def my_tasks(client, tok, key):
    return [t for t in client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] if t["task_key"] == key]


def complete(client, tok, task_id, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth(tok))


def employment_status(client, tok, employment_id):
    return client.get(f"/api/v1/employments/{employment_id}", headers=auth(tok)).get_json()["status"]


def test_resignation_through_the_api_with_the_24_hour_rule(app, client, s):
    worker = s.gc.workers[0]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        me, hr = token(client, worker.user), token(client, s.gc.hr)
        assert client.post("/api/v1/me/resignation", json={"reason": " "}, headers=auth(me)).status_code == 422
        applied = client.post("/api/v1/me/resignation", json={"reason": "回老家"}, headers=auth(me))
        assert applied.status_code == 201 and applied.get_json()["process_instance_id"]
        assert client.post("/api/v1/me/resignation", json={"reason": "again"}, headers=auth(me)).status_code == 409
        mine = client.get("/api/v1/me/resignation", headers=auth(me)).get_json()
        assert datetime.fromisoformat(mine["immediate_available_at"]) == now + timedelta(hours=24)
        assert mine["immediate_task_id"] is None
        [agree] = my_tasks(client, hr, "enterprise_agree")
        assert agree["process_key"] == "resignation" and agree["subject"]["person_id"] == worker.id
        refused = complete(client, hr, agree["id"], {"decision": "reject", "comment": "不批"})
        assert refused.status_code == 422
    with time_machine.travel(now + timedelta(hours=24, seconds=1), tick=False):
        assert app.test_cli_runner().invoke(args=["timers", "fire-due"]).exit_code == 0
        me, hr = token(client, worker.user), token(client, s.gc.hr)  # a day later: fresh API tokens
        [immediate] = my_tasks(client, me, "immediate_resignation")
        assert complete(client, me, immediate["id"], {"confirm": False}).status_code == 422
        assert complete(client, me, immediate["id"], {"confirm": True}).status_code == 200
        assert complete(client, hr, agree["id"], {"decision": "agree"}).status_code == 409  # withdrawn
        assert employment_status(client, me, mine["employment_id"]) == "ended"
        assert client.get("/api/v1/me/resignation", headers=auth(me)).status_code == 404


def test_withdrawing_a_resignation(client, s):
    worker = s.sub.workers[0]
    me = token(client, worker.user)
    client.post("/api/v1/me/resignation", json={"reason": "家中有事"}, headers=auth(me))
    withdrawn = client.delete("/api/v1/me/resignation", headers=auth(me))
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    assert my_tasks(client, token(client, s.sub.hr), "enterprise_agree") == []
    assert client.delete("/api/v1/me/resignation", headers=auth(me)).status_code == 404
    assert employment_status(client, me, withdrawn.get_json()["employment_id"]) == "active"


def test_batch_dismissal_consent_decline_and_cancel(client, s, world):
    worker, other = s.gc.workers
    on_site = employee(world, s.gc.enterprise, "manager")
    confirmed(s.project, on_site, status="on_site", role="site_operator")
    hr = token(client, s.gc.hr)
    url = f"/api/v1/enterprises/{s.gc.enterprise.id}/dismissals"
    assert client.post(url, json={"person_ids": [worker.id]}, headers=auth(hr)).status_code == 422  # no reason
    response = client.post(url, json={"person_ids": [worker.id, on_site.id, other.id], "reason": "工程完工"},
                           headers=auth(hr))
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["person_id"], r["ok"]) for r in results] == [(worker.id, True), (on_site.id, False), (other.id, True)]
    assert results[1]["detail"] == "该管理人员仍在工地，需先在工地端完成退场"

    me = token(client, worker.user)
    [consent] = my_tasks(client, me, "worker_consent")
    assert consent["process_key"] == "dismissal"
    assert complete(client, me, consent["id"], {"decision": "reject"}).status_code == 422  # a reason is needed
    assert complete(client, me, consent["id"], {"decision": "agree"}).status_code == 200
    assert employment_status(client, me, consent["subject"]["employment_id"]) == "ended"
    cancelled = client.delete(f"{url}/{other.id}", headers=auth(hr))
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    assert client.delete(f"{url}/{other.id}", headers=auth(hr)).status_code == 404
    assert my_tasks(client, token(client, other.user), "worker_consent") == []


def test_only_the_employers_staff_dismiss(client, s, world):
    url = f"/api/v1/enterprises/{s.gc.enterprise.id}/dismissals"
    body = {"person_ids": [s.gc.workers[0].id], "reason": "原因"}
    assert client.post(url, json=body, headers=auth(token(client, s.gc.pm))).status_code == 403
    assert client.post(url, json=body, headers=auth(token(client, s.sub.hr))).status_code == 404
    outsider_url = f"/api/v1/enterprises/{s.sub.enterprise.id}/dismissals"
    results = client.post(outsider_url, json=body, headers=auth(token(client, s.sub.hr))).get_json()["results"]
    assert results[0]["ok"] is False  # not their employee; nothing revealed about whose it is
