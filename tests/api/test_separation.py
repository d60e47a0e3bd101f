"""The separation API: 【申请离职】 with the 24-hour rule through the inbox API, withdrawal,
【批量解聘】 with per-person results, consent and cancellation — and who may do what."""
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import time_machine
from sqlalchemy import func, select

from app.extensions import db
from app.models import Allocation, AuditEntry, Employment, Separation
from app.services import roles
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


def test_after_a_48_hour_redeploy_the_api_says_48_hours(app, client, s, world):
    xml = (Path(__file__).resolve().parents[2] / "processes" / "resignation.bpmn").read_text("utf-8")
    analyst = token(client, world.user(platform_role=roles.ANALYST))
    changed = client.post("/api/v1/process-definitions", data=xml.replace('"PT24H"', '"PT48H"'),
                          content_type="application/xml", headers=auth(analyst))
    assert changed.status_code == 201, changed.get_json()
    worker = s.gc.workers[1]
    now = datetime.now(timezone.utc).replace(microsecond=0)
    with time_machine.travel(now, tick=False):
        me = token(client, worker.user)
        assert client.post("/api/v1/me/resignation", json={"reason": "回老家"}, headers=auth(me)).status_code == 201
        mine = client.get("/api/v1/me/resignation", headers=auth(me)).get_json()
        assert datetime.fromisoformat(mine["immediate_available_at"]) == now + timedelta(hours=48)
    with time_machine.travel(now + timedelta(hours=24, seconds=1), tick=False):
        assert app.test_cli_runner().invoke(args=["timers", "fire-due"]).exit_code == 0
        assert my_tasks(client, token(client, worker.user), "immediate_resignation") == []
    with time_machine.travel(now + timedelta(hours=48, seconds=1), tick=False):
        assert app.test_cli_runner().invoke(args=["timers", "fire-due"]).exit_code == 0
        assert len(my_tasks(client, token(client, worker.user), "immediate_resignation")) == 1


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
    assert results[1]["detail"] == "请先办理退场或更换项目经理"

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


# --- managers leave first (DOMAIN §7) -----------------------------------------------------

def dismissal_of(client, tok, enterprise, person):
    response = client.post(f"/api/v1/enterprises/{enterprise.id}/dismissals",
                           json={"person_ids": [person.id], "reason": "管理岗位调整"}, headers=auth(tok))
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    return result


def employment_id_of(person) -> int:
    return db.session.scalar(select(Employment.id).where(Employment.person_id == person.id,
                                                         Employment.status.in_(("active", "dismissing"))))


def separations_of(person) -> int:
    return db.session.scalar(select(func.count(Separation.id)).where(Separation.person_id == person.id))


def test_the_pm_is_dismissed_only_after_another_is_designated_and_the_site_exits_him(client, s, world):
    """The GC's 项目经理, confirmed on the project and never scanned in: refused, then
    replaced by another manager, exited by the new PM, and dismissed."""
    old_pm, gc = s.gc.pm_person, s.gc.enterprise
    hr = token(client, s.gc.hr)
    refused = dismissal_of(client, hr, gc, old_pm)
    assert (refused["ok"], refused["detail"]) == (False, "请先办理退场或更换项目经理")
    assert refused["projects"] == [{"project_id": s.project.id, "position": "project_manager"}]
    assert employment_status(client, hr, employment_id_of(old_pm)) == "active"
    assert separations_of(old_pm) == 0

    new_pm = employee(world, gc, "manager")
    designated = client.post(f"/api/v1/projects/{s.project.id}/managers", json={"person_id": new_pm.id},
                             headers=auth(hr))
    assert designated.status_code == 201 and designated.get_json()["replaced_person_ids"] == [old_pm.id]
    still_there = dismissal_of(client, hr, gc, old_pm)  # no longer PM, but still allocated there
    assert (still_there["ok"], still_there["detail"]) == (False, "请先办理退场或更换项目经理")
    assert still_there["projects"] == [{"project_id": s.project.id, "position": "confirmed"}]
    assert separations_of(old_pm) == 0

    exits_url = f"/api/v1/projects/{s.project.id}/exits"
    assert client.post(exits_url, json={"person_ids": [old_pm.id]},
                       headers=auth(token(client, old_pm.user))).status_code in (403, 404)  # his PM role is gone
    exited = client.post(exits_url, json={"person_ids": [old_pm.id]}, headers=auth(token(client, new_pm.user)))
    assert exited.status_code == 200 and exited.get_json()["results"] == [{"person_id": old_pm.id, "ok": True}]
    accepted = dismissal_of(client, hr, gc, old_pm)
    assert accepted["ok"] is True and "detail" not in accepted
    assert employment_status(client, hr, employment_id_of(old_pm)) == "dismissing"
    assert separations_of(old_pm) == 1


def test_a_manager_merely_confirmed_on_a_project_is_refused_and_a_worker_is_not(client, s, world):
    manager, worker = employee(world, s.sub.enterprise, "manager"), s.sub.workers[0]
    confirmed(s.project, manager, role="site_operator")
    allocation = confirmed(s.project, worker)
    hr = token(client, s.sub.hr)
    response = client.post(f"/api/v1/enterprises/{s.sub.enterprise.id}/dismissals",
                           json={"person_ids": [manager.id, worker.id], "reason": "工程完工"}, headers=auth(hr))
    refused, accepted = response.get_json()["results"]
    assert (refused["person_id"], refused["ok"], refused["detail"]) == (manager.id, False, "请先办理退场或更换项目经理")
    assert refused["projects"] == [{"project_id": s.project.id, "position": "confirmed"}]
    assert (accepted["person_id"], accepted["ok"]) == (worker.id, True)  # a worker needs no exit
    assert employment_status(client, hr, employment_id_of(manager)) == "active" and separations_of(manager) == 0

    [consent] = my_tasks(client, token(client, worker.user), "worker_consent")
    assert complete(client, token(client, worker.user), consent["id"], {"decision": "agree"}).status_code == 200
    assert db.session.get(Allocation, allocation.id).status == "exited"  # exited with the employment


def test_designating_the_current_pm_again_changes_nothing(client, s):
    response = client.post(f"/api/v1/projects/{s.project.id}/managers", json={"person_id": s.gc.pm_person.id},
                           headers=auth(token(client, s.gc.hr)))
    assert response.status_code == 409 and response.get_json()["detail"] == "该人员已是本单位在本项目的项目经理"
    assert db.session.scalar(select(func.count(AuditEntry.id)).where(
        AuditEntry.action == "project.replace_manager")) == 0
