"""人员管理 pages: the staff list, 【新建聘用关系】, the employment's page, and the consent
and 聘用登记 forms as the inbox task page renders them."""
import re
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Employment, HumanTask
from app.services import employment as service
from tests.support.factories import log_in, submit
from tests.support.people import verified_person


@pytest.fixture
def firm(world):
    enterprise = world.enterprise()
    return {"enterprise": enterprise, "hr": world.hr_admin(enterprise), "world": world}


def staff_url(firm, suffix=""):
    return f"/enterprises/{firm['enterprise'].id}/staff/{suffix}"


def hire(firm, person):
    employment = service.request_hire(firm["hr"], firm["enterprise"], person.name, person.id_number)
    db.session.commit()
    return employment


def open_task(employment, key) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == employment.process_instance_id,
                                                     HumanTask.task_key == key, HumanTask.status == "open"))


def signed_in(app, user):
    """A browser of its own for each user (logging out is a POST with a CSRF token)."""
    browser = app.test_client()  # the `client` fixture has set the isolating client class
    log_in(browser, user)
    return browser


def listed(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-employment-id="(\d+)"', html)]


def test_an_empty_list_explains_how_to_start(client, firm):
    log_in(client, firm["hr"])
    html = client.get(staff_url(firm)).get_data(as_text=True)
    assert "人员管理" in html and 'data-testid="empty"' in html and "新建聘用关系" in html


def test_only_the_enterprises_hr_and_legal_rep_manage_its_staff(app, client, firm, world):
    project = world.project(firm["enterprise"])
    pm = signed_in(app, world.project_manager(project, firm["enterprise"]))  # sees the enterprise, does not hire
    assert pm.get(staff_url(firm)).status_code == 403
    assert 'data-testid="staff-link"' not in pm.get(f"/enterprises/{firm['enterprise'].id}").get_data(as_text=True)
    stranger = signed_in(app, world.hr_admin(world.enterprise()))
    assert stranger.get(staff_url(firm)).status_code == 404
    assert stranger.get(staff_url(firm, "new")).status_code == 404
    legal = signed_in(app, firm["enterprise"].legal_rep)
    assert 'data-testid="staff-link"' in legal.get(f"/enterprises/{firm['enterprise'].id}").get_data(as_text=True)
    assert legal.get(staff_url(firm)).status_code == 200


def test_new_hire_shows_each_refusal_clearly_and_creates_nothing(client, firm, world):
    person = verified_person(world, "王建国")
    log_in(client, firm["hr"])
    response = submit(client, staff_url(firm, "new"), {"name": "王建华", "id_number": person.id_number})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="refusal"' in html
    assert "姓名与身份证号码登记信息不一致" in html
    bad = submit(client, staff_url(firm, "new"), {"name": "王建国", "id_number": "310101199001011235"})
    assert "身份证号码校验位不正确" in bad.get_data(as_text=True)
    assert db.session.scalar(select(Employment.id)) is None


def test_new_hire_leads_to_the_employment_page(client, firm, world):
    person = verified_person(world, "李四")
    log_in(client, firm["hr"])
    response = submit(client, staff_url(firm, "new"), {"name": "李四", "id_number": person.id_number})
    assert response.status_code == 302
    employment = db.session.scalar(select(Employment))
    assert response.headers["Location"].endswith(staff_url(firm, str(employment.id)))
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "待本人确认" in html and "发起聘用申请" in html and "消息通知" in html
    assert person.id_number not in html and person.id_number[-4:] in html
    listing = client.get(staff_url(firm)).get_data(as_text=True)
    assert listed(listing) == [employment.id] and "待本人确认" in listing and person.id_number not in listing


def test_consent_in_the_inbox_then_registration_from_the_employment_page(client, app, firm, world):
    person = verified_person(world, "张三")
    employment = hire(firm, person)
    consent = open_task(employment, "worker_consent")
    worker = signed_in(app, person.user)
    page = worker.get(f"/inbox/{consent.id}").get_data(as_text=True)
    assert re.search(r'type="radio" [^>]*value="agree"', page) and re.search(r'type="radio" [^>]*value="reject"', page)
    assert "同意" in page and "拒绝" in page
    assert submit(worker, f"/inbox/{consent.id}", {"decision": "agree"}).status_code == 302

    log_in(client, firm["hr"])
    detail = client.get(staff_url(firm, str(employment.id))).get_data(as_text=True)
    registration = open_task(employment, "employment_registration")
    assert "待聘用登记" in detail and f'href="/inbox/{registration.id}"' in detail and "聘用登记" in detail
    form = client.get(f"/inbox/{registration.id}").get_data(as_text=True)
    assert "建筑工人" in form and "管理人员" in form and "010 砌筑工" in form and "工资标准（元）" in form
    assert 'data-fen-preview="wage_standard"' in form  # the amount is read back grouped as it is typed
    assert "聘用关系" in form and "聘用记录编号" not in form and "employment_id" not in form  # words, not ids
    refused = submit(client, f"/inbox/{registration.id}", {"identity": "manager", "job_type": "010",
                                                            "contract_start": "2026-12-01",
                                                            "wage_standard": "30000"})
    assert refused.status_code == 200 and "管理人员的工种应为" in refused.get_data(as_text=True)
    done = submit(client, f"/inbox/{registration.id}", {"identity": "worker", "job_type": "020",
                                                         "contract_start": "2026-12-01",
                                                         "wage_standard": "30000.50"})
    assert done.status_code == 302
    detail = client.get(staff_url(firm, str(employment.id))).get_data(as_text=True)
    assert "聘用成功" in detail and "在职" in detail and "020 钢筋工" in detail and "30,000.50" in detail
    assert "本人同意聘用" in detail and person.name in detail and 'data-testid="register"' not in detail
    history_times = re.findall(r'<span class="text-nowrap text-muted">([^<]+)</span>', detail)
    assert len(history_times) >= 4
    listing = client.get(staff_url(firm)).get_data(as_text=True)
    assert "建筑工人" in listing and "020 钢筋工" in listing and "2026-12-01" in listing


def test_history_times_are_shown_in_shanghai(client, firm, world):
    person = verified_person(world, "赵五")
    employment = hire(firm, person)
    log_in(client, firm["hr"])
    html = client.get(staff_url(firm, str(employment.id))).get_data(as_text=True)
    started = employment.requested_at.astimezone(ZoneInfo("Asia/Shanghai"))
    assert started.strftime("%Y-%m-%d %H:%M") in html


def test_status_pills_search_and_pagination(client, app, firm, world):
    app.config["PAGE_SIZE"] = 2
    people = [verified_person(world, name) for name in ("陈一", "陈二", "林三")]
    rows = [hire(firm, p) for p in people]
    rows[0].status = "declined"
    db.session.commit()
    log_in(client, firm["hr"])
    first = client.get(staff_url(firm)).get_data(as_text=True)
    assert listed(first) == [rows[2].id, rows[1].id] and "第 1 / 2 页" in first
    assert re.search(r'data-status="declined"[^>]*>已拒绝 <span[^>]*>1<', first)
    assert listed(client.get(staff_url(firm) + "?page=2").get_data(as_text=True)) == [rows[0].id]
    assert listed(client.get(staff_url(firm) + "?status=declined").get_data(as_text=True)) == [rows[0].id]
    assert listed(client.get(staff_url(firm) + "?q=陈").get_data(as_text=True)) == [rows[1].id, rows[0].id]
    none = client.get(staff_url(firm) + "?q=不存在").get_data(as_text=True)
    assert listed(none) == [] and "没有符合条件的人员" in none


def test_another_enterprises_employment_is_not_found_here(client, firm, world):
    person = verified_person(world, "钱六")
    employment = hire(firm, person)
    other = world.enterprise()
    log_in(client, other.legal_rep)
    assert client.get(f"/enterprises/{other.id}/staff/{employment.id}").status_code == 404
    assert client.get(staff_url(firm, str(employment.id))).status_code == 404
