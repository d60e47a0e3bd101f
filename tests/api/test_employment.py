"""The employment API: 【新建聘用关系】, consent and 聘用登记 through the inbox, visibility."""
import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Registration
from app.services import roles
from tests.support.factories import auth, token
from tests.support.identifiers import make_id_number
from tests.support.people import submitted_person, verified_person

TERMS = {"identity": "worker", "job_type": "010", "contract_start": "2026-12-01", "wage_standard_fen": 3000000}


@pytest.fixture
def firm(client, world):
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    return {"enterprise": enterprise, "hr": hr, "tok": token(client, hr), "world": world}


def create(client, firm, name, id_number, tok=None, eid=None):
    return client.post(f"/api/v1/enterprises/{eid or firm['enterprise'].id}/employments",
                       json={"name": name, "id_number": id_number}, headers=auth(tok or firm["tok"]))


def my_task(client, tok, task_key):
    items = client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"]
    found = [i for i in items if i["process_key"] == "hire_consent" and i["task_key"] == task_key]
    assert len(found) == 1, items
    return found[0]


def complete(client, tok, task_id, data):
    return client.post(f"/api/v1/tasks/{task_id}/complete", json={"data": data}, headers=auth(tok))


def get(client, tok, employment_id):
    return client.get(f"/api/v1/employments/{employment_id}", headers=auth(tok))


def test_hire_consent_and_registration_end_to_end(client, firm):
    person = verified_person(firm["world"], "王建国")
    response = create(client, firm, "王建国", person.id_number.lower())
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending_consent"
    eid = body["id"]

    person_tok = token(client, person.user)
    consent = my_task(client, person_tok, "worker_consent")
    assert consent["subject"]["employment_id"] == eid and consent["subject"]["person_id"] == person.id
    assert consent["form"]["key"] == "consent" and consent["due_at"]
    assert consent["form"]["schema"]["properties"]["decision"]["enum"] == ["agree", "reject"]
    assert client.get("/api/v1/tasks", headers=auth(firm["tok"])).get_json()["items"] == []
    assert complete(client, person_tok, consent["id"], {"decision": "agree"}).status_code == 200
    assert get(client, firm["tok"], eid).get_json()["status"] == "pending_registration"

    registration = my_task(client, firm["tok"], "employment_registration")
    assert registration["subject"]["enterprise_id"] == firm["enterprise"].id
    assert set(registration["form"]["schema"]["properties"]) == set(TERMS)
    assert complete(client, firm["tok"], registration["id"], TERMS).status_code == 200
    record = get(client, person_tok, eid).get_json()
    assert record == {"id": eid, "status": "active", "identity": "worker", "enterprise_id": firm["enterprise"].id,
                      "person_id": person.id}
    assert client.get("/api/v1/tasks", headers=auth(firm["tok"])).get_json()["items"] == []


def test_a_declined_request_can_be_made_again(client, firm):
    person = verified_person(firm["world"], "李拒绝")
    first = create(client, firm, "李拒绝", person.id_number).get_json()["id"]
    person_tok = token(client, person.user)
    consent = my_task(client, person_tok, "worker_consent")
    assert complete(client, person_tok, consent["id"], {"decision": "reject"}).status_code == 200
    assert get(client, firm["tok"], first).get_json()["status"] == "declined"
    assert client.get("/api/v1/tasks", headers=auth(person_tok)).get_json()["items"] == []
    second = create(client, firm, "李拒绝", person.id_number)
    assert second.status_code == 201 and second.get_json()["id"] != first


@pytest.mark.parametrize("bad, field", [
    ({**TERMS, "identity": "boss"}, "identity"),
    ({k: v for k, v in TERMS.items() if k != "identity"}, "identity"),
    ({**TERMS, "job_type": "999"}, "job_type"),
    ({**TERMS, "job_type": "900"}, "job_type"),
    ({**TERMS, "identity": "manager"}, "job_type"),
    ({**TERMS, "contract_start": "2026-02-30"}, "contract_start"),
    ({**TERMS, "contract_start": "2026/12/01"}, "contract_start"),
    ({**TERMS, "wage_standard_fen": 0}, "wage_standard_fen"),
    ({**TERMS, "wage_standard_fen": -100}, "wage_standard_fen"),
    ({**TERMS, "wage_standard_fen": 3000000.5}, "wage_standard_fen"),
    ({**TERMS, "wage_standard_fen": "3e6"}, "wage_standard_fen"),
    ({**TERMS, "wage_standard_fen": 10**20}, "wage_standard_fen"),
])
def test_bad_registration_data_is_422_and_the_task_stays_open(client, firm, bad, field):
    person = verified_person(firm["world"], "张数据")
    eid = create(client, firm, "张数据", person.id_number).get_json()["id"]
    person_tok = token(client, person.user)
    complete(client, person_tok, my_task(client, person_tok, "worker_consent")["id"], {"decision": "agree"})
    task = my_task(client, firm["tok"], "employment_registration")
    response = complete(client, firm["tok"], task["id"], bad)
    assert response.status_code == 422 and field in response.get_json()["errors"], response.get_json()
    assert my_task(client, firm["tok"], "employment_registration")["id"] == task["id"]
    assert get(client, firm["tok"], eid).get_json()["status"] == "pending_registration"
    manager = {**TERMS, "identity": "manager", "job_type": "900"}
    assert complete(client, firm["tok"], task["id"], manager).status_code == 200
    assert get(client, firm["tok"], eid).get_json()["identity"] == "manager"


def test_each_refusal_has_its_own_detail(client, firm):
    world = firm["world"]
    waiting = submitted_person(world, "赵待审")
    waiting_number = db.session.scalars(select(Registration.id_number).where(
        Registration.person_id == waiting.id)).one()
    verified = verified_person(world, "钱已登记")
    elsewhere = verified_person(world, "孙别家")
    other = world.enterprise()
    assert create(client, firm, "孙别家", elsewhere.id_number, tok=token(client, world.hr_admin(other)),
                  eid=other.id).status_code == 201
    assert create(client, firm, "钱已登记", verified.id_number).status_code == 201
    cases = {
        ("赵待审", waiting_number): "该人员的个人信息登记尚在大数据中心处理中，无需重复登记，处理完成后即可聘用",
        ("无此人", make_id_number(seq=777)): "该人员尚未完成个人信息登记",
        ("钱未登记", verified.id_number): "姓名与身份证号码登记信息不一致",
        ("孙别家", elsewhere.id_number): "该人员在另外一家单位未离职，需先在原单位办理离职",
        ("钱已登记", verified.id_number): "已存在该人员的聘用申请或聘用关系",
    }
    for (name, number), detail in cases.items():
        response = create(client, firm, name, number)
        assert response.status_code == 422 and response.get_json()["detail"] == detail, (name, response.get_json())


def test_malformed_hire_requests_name_the_field(client, firm):
    for body, field in (({"name": "王", "id_number": "310101199001011234"}, "id_number"),
                        ({"id_number": "310101199001011234"}, "name"), ({"name": "王"}, "id_number")):
        response = client.post(f"/api/v1/enterprises/{firm['enterprise'].id}/employments", json=body,
                               headers=auth(firm["tok"]))
        assert response.status_code == 422 and field in response.get_json()["errors"]


def test_another_enterprise_neither_sees_nor_hires_for_the_first(client, firm):
    world = firm["world"]
    person = verified_person(world, "周本单位")
    eid = create(client, firm, "周本单位", person.id_number).get_json()["id"]
    rival = world.enterprise()
    rival_tok = token(client, world.hr_admin(rival))
    first = firm["enterprise"].id
    assert get(client, rival_tok, eid).status_code == 404
    assert client.get(f"/api/v1/enterprises/{first}/employments", headers=auth(rival_tok)).status_code == 404
    assert create(client, firm, "周本单位", person.id_number, tok=rival_tok).status_code == 404
    assert get(client, token(client, world.user()), eid).status_code == 404
    assert get(client, firm["tok"], 10**6).status_code == 404


def test_seeing_the_enterprise_is_not_enough_to_hire_for_it(client, firm):
    world = firm["world"]
    project = world.project(firm["enterprise"])
    pm = world.project_manager(project, firm["enterprise"])  # holds a grant of the enterprise, not HR
    pm_tok = token(client, pm)
    person = verified_person(world, "吴项目")
    assert create(client, firm, "吴项目", person.id_number, tok=pm_tok).status_code == 403
    assert client.get(f"/api/v1/enterprises/{firm['enterprise'].id}/employments",
                      headers=auth(pm_tok)).status_code == 403


def test_the_person_sees_their_own_employment_only(client, firm):
    world = firm["world"]
    mine, theirs = verified_person(world, "郑本人"), verified_person(world, "冯他人")
    my_id = create(client, firm, "郑本人", mine.id_number).get_json()["id"]
    their_id = create(client, firm, "冯他人", theirs.id_number).get_json()["id"]
    tok = token(client, mine.user)
    assert get(client, tok, my_id).get_json()["status"] == "pending_consent"
    assert get(client, tok, their_id).status_code == 404
    assert client.get(f"/api/v1/enterprises/{firm['enterprise'].id}/employments",
                      headers=auth(tok)).status_code == 404


def test_the_staff_list_masks_id_numbers_and_filters(client, firm):
    world = firm["world"]
    people = [verified_person(world, n) for n in ("陈一", "陈二", "林三")]
    ids = [create(client, firm, p.name, p.id_number).get_json()["id"] for p in people]
    legal_tok = token(client, firm["enterprise"].legal_rep)
    url = f"/api/v1/enterprises/{firm['enterprise'].id}/employments"
    listing = client.get(url, headers=auth(legal_tok)).get_json()
    assert [i["id"] for i in listing["items"]] == ids[::-1] and listing["total"] == 3
    item = listing["items"][-1]
    number = people[0].id_number
    assert item["id_number_masked"] == number[:4] + "*" * 10 + number[-4:]
    assert number not in str(listing)
    assert item["name"] == "陈一" and item["status"] == "pending_consent"
    assert [i["name"] for i in client.get(url, query_string={"name": "陈"}, headers=auth(legal_tok))
            .get_json()["items"]] == ["陈二", "陈一"]
    assert client.get(url, query_string={"status": "active"}, headers=auth(legal_tok)).get_json()["total"] == 0
    assert client.get(url, query_string={"status": "nonsense"}, headers=auth(legal_tok)).status_code == 400


def test_admins_are_not_the_employer(client, firm):
    world = firm["world"]
    person = verified_person(world, "何管理")
    eid = create(client, firm, "何管理", person.id_number).get_json()["id"]
    admin = world.user("root_admin", platform_role=roles.ADMIN)
    tok = token(client, admin)
    assert get(client, tok, eid).status_code == 404
    assert create(client, firm, "何管理", person.id_number, tok=tok).status_code == 403
