"""The allocation API: PM designation, 【人员分配】 with per-person results, the two
confirmation levels through the inbox, and who may see or confirm what."""
import pytest

from app.services import allocation as service
from tests.support.factories import auth, token
from tests.support.staffing import employee, staffing


@pytest.fixture
def s(world):
    return staffing(world)


def allocate(client, tok, project_id, person_ids, role="worker", **extra):
    return client.post(f"/api/v1/projects/{project_id}/allocations",
                       json={"person_ids": person_ids, "role": role, **extra}, headers=auth(tok))


def tasks(client, tok, task_key) -> dict:
    """{allocation_id: task} of the caller's open tasks of that key."""
    items = client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"]
    return {i["subject"]["allocation_id"]: i for i in items
            if i["process_key"] == "allocation_confirmation" and i["task_key"] == task_key}


def complete(client, tok, task_id, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth(tok))


def status(client, tok, allocation_id):
    response = client.get(f"/api/v1/allocations/{allocation_id}", headers=auth(tok))
    return response.get_json()["status"] if response.status_code == 200 else response.status_code


def test_two_level_confirmation_end_to_end(client, s):
    hr, sub_pm, gc_pm = (token(client, u) for u in (s.sub.hr, s.sub.pm, s.gc.pm))
    ids = [p.id for p in s.sub.workers]
    response = allocate(client, hr, s.project.id, ids, job_type="020")
    assert response.status_code == 200
    results = response.get_json()["results"]
    assert [(r["person_id"], r["ok"]) for r in results] == [(i, True) for i in ids]
    a, b, c = (r["allocation_id"] for r in results)
    assert {status(client, hr, x) for x in (a, b, c)} == {"pending_level1"}
    body = client.get(f"/api/v1/allocations/{a}", headers=auth(hr)).get_json()
    assert body == {**body, "id": a, "project_id": s.project.id, "enterprise_id": s.sub.enterprise.id,
                    "person_id": ids[0], "role": "worker"}

    level1 = tasks(client, sub_pm, "level1_accept")
    assert set(level1) == {a, b, c} and level1[a]["title"] == "项目人员接收"
    assert level1[a]["subject"] == {**level1[a]["subject"], "allocation_id": a, "project_id": s.project.id,
                                    "enterprise_id": s.sub.enterprise.id, "person_id": ids[0]}
    assert tasks(client, gc_pm, "level1_accept") == {}  # level 1 is the allocating enterprise's
    assert complete(client, sub_pm, level1[c]["id"], {"decision": "reject"}).status_code == 422  # a reason is needed
    for x in (a, b):
        assert complete(client, sub_pm, level1[x]["id"], {"decision": "agree"}).status_code == 200
    assert complete(client, sub_pm, level1[c]["id"], {"decision": "reject", "comment": "工种不符"}).status_code == 200
    assert [status(client, hr, x) for x in (a, b, c)] == ["pending_gc", "pending_gc", "rejected"]
    assert complete(client, sub_pm, level1[a]["id"], {"decision": "agree"}).status_code == 409

    gc = tasks(client, gc_pm, "gc_confirm")
    assert set(gc) == {a, b} and gc[a]["title"] == "待同意分配（施工总包确认）"
    for x in (a, b):
        assert complete(client, gc_pm, gc[x]["id"], {"decision": "agree"}).status_code == 200
    assert [status(client, gc_pm, x) for x in (a, b, c)] == ["confirmed", "confirmed", "rejected"]

    again = allocate(client, hr, s.project.id, [ids[2]]).get_json()["results"][0]
    assert again["ok"] and again["allocation_id"] != c


def test_a_gc_pm_allocating_gc_workers_is_confirmed_at_once(client, s):
    results = allocate(client, token(client, s.gc.pm), s.project.id, [s.gc.workers[0].id]).get_json()["results"]
    assert status(client, token(client, s.gc.hr), results[0]["allocation_id"]) == "confirmed"


def test_refusals_come_per_person_with_a_translated_detail(client, s, world):
    hr = token(client, s.gc.hr)
    pending = employee(world, s.gc.enterprise, status="pending_consent")
    ended = employee(world, s.gc.enterprise, status="ended")
    other = world.project(s.gc.enterprise)
    assert allocate(client, hr, other.id, [s.gc.workers[0].id]).get_json()["results"][0]["ok"]
    results = allocate(client, hr, s.project.id, [s.gc.workers[0].id, pending.id, ended.id]).get_json()["results"]
    assert [r["ok"] for r in results] == [False, False, False]
    assert results[0]["detail"] == "该人员已在其他项目中，需先退场"
    assert results[1]["detail"] == "只有聘用登记成功且在职的人员才能分配"
    assert "allocation_id" not in results[0]


def test_bad_bodies_are_422_and_strangers_404_or_403(client, s, world):
    hr = token(client, s.sub.hr)
    assert allocate(client, hr, s.project.id, [s.sub.workers[0].id], role="boss").get_json()["errors"].keys() == {"role"}
    assert "person_ids" in allocate(client, hr, s.project.id, []).get_json()["errors"]
    assert "person_ids" in allocate(client, hr, s.project.id, ["x"]).get_json()["errors"]
    assert allocate(client, hr, s.project.id, [s.sub.workers[0].id], job_type="999").status_code == 422
    assert allocate(client, hr, 999999, [s.sub.workers[0].id]).status_code == 404
    stranger = world.enterprise()
    assert allocate(client, token(client, stranger.legal_rep), s.project.id, [s.sub.workers[0].id]).status_code == 404
    # a worker on the project sees it but may not allocate
    worker = s.gc.workers[0]
    assert allocate(client, token(client, s.gc.pm), s.project.id, [worker.id]).status_code == 200
    assert allocate(client, token(client, worker.user), s.project.id, [worker.id]).status_code in (403, 404)


def test_others_cannot_see_or_confirm_an_allocation(client, s, world):
    result = allocate(client, token(client, s.gc.hr), s.project.id, [s.gc.workers[0].id]).get_json()["results"][0]
    allocation_id = result["allocation_id"]
    other_pm = employee(world, s.gc.enterprise, "manager")
    other_project = world.project(s.gc.enterprise)
    assert client.post(f"/api/v1/projects/{other_project.id}/managers", json={"person_id": other_pm.id},
                       headers=auth(token(client, s.gc.hr))).status_code == 201
    task_id = tasks(client, token(client, s.gc.pm), "level1_accept")[allocation_id]["id"]
    for user in (s.sub.pm, other_pm.user):  # another enterprise's PM; the same enterprise's PM elsewhere
        tok = token(client, user)
        assert status(client, tok, allocation_id) == 404
        assert complete(client, tok, task_id, {"decision": "agree"}).status_code in (403, 404)
    assert status(client, token(client, s.gc.hr), allocation_id) == "pending_level1"
    assert status(client, token(client, s.gc.workers[0].user), allocation_id) == "pending_level1"


def test_designating_a_pm(client, s, world):
    hr = token(client, s.sub.hr)

    def designate(person, tok=hr, pid=s.project.id):
        return client.post(f"/api/v1/projects/{pid}/managers", json={"person_id": person.id}, headers=auth(tok))

    second = employee(world, s.sub.enterprise, "manager")
    again = designate(s.sub.pm_person)
    assert again.status_code == 409 and again.get_json()["detail"] == "该人员已是本单位在本项目的项目经理"
    other = world.project(s.gc.enterprise, subcontractors=[s.sub.enterprise])
    response = designate(second, pid=other.id)
    assert response.status_code == 201
    assert (response.get_json()["role"], response.get_json()["status"]) == ("project_manager", "confirmed")
    refused = designate(s.sub.workers[0], pid=other.id)
    assert refused.status_code == 422 and refused.get_json()["detail"] == "只有身份为管理人员的人员才能担任项目经理"
    assert designate(employee(world, s.gc.enterprise, "manager"), pid=other.id).get_json()["detail"] == \
        service.NOT_EMPLOYEE
    assert designate(second, tok=token(client, s.sub.pm)).status_code == 403
    assert designate(second, tok=token(client, world.enterprise().legal_rep)).status_code == 404
    assert client.post(f"/api/v1/projects/{s.project.id}/managers", json={},
                       headers=auth(hr)).get_json()["errors"].keys() == {"person_id"}
