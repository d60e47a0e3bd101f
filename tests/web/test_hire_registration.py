"""聘用登记 as manual 000: 选择身份 → 姓名 picker →【选择】→ fields →【确认】→ 聘用成功, several
people at once, 工资标准 in 元 (stored as fen); the inbox task form takes 元 too; only the
enterprise's own HR / legal representative sees and completes its people."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import Employment, HumanTask
from app.services import employment as service
from app.workflow import runtime
from tests.support.factories import csrf_from, log_in, submit, token
from tests.support.people import verified_person


@pytest.fixture
def firm(world):
    enterprise = world.enterprise()
    return {"enterprise": enterprise, "hr": world.hr_admin(enterprise), "world": world}


def consented(firm, name):
    """A person hired by the firm who agreed: their employment awaits registration."""
    person = verified_person(firm["world"], name)
    employment = service.request_hire(firm["hr"], firm["enterprise"], person.name, person.id_number)
    db.session.commit()
    runtime.complete(open_task(employment, "worker_consent"), person.user, {"decision": "agree"})
    return employment


def open_task(employment, key) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == employment.process_instance_id,
                                                     HumanTask.task_key == key, HumanTask.status == "open"))


def url(firm, suffix=""):
    return f"/enterprises/{firm['enterprise'].id}/hire-registration/{suffix}"


def fill_url(firm, identity, employments):
    return url(firm, "fill") + f"?identity={identity}" + "".join(f"&e={e.id}" for e in employments)


def fields(employments, **values) -> dict:
    data = {}
    for e in employments:
        for key, value in values.items():
            data[f"e{e.id}-{key}"] = value
    return data


def fresh(employment) -> Employment:
    db.session.expire_all()
    return db.session.get(Employment, employment.id)


def test_the_picker_lists_who_consented_and_registers_several_at_once(client, firm):
    first, second, third = (consented(firm, n) for n in ("张一", "张二", "李三"))
    log_in(client, firm["hr"])
    detail = client.get(f"/enterprises/{firm['enterprise'].id}").get_data(as_text=True)
    assert 'data-testid="hire-registration-link"' in detail
    picker = client.get(url(firm)).get_data(as_text=True)
    assert "选择身份" in picker and "建筑工人" in picker and "管理人员" in picker and ">选择</button>" in picker
    assert {"张一", "张二", "李三"} <= set(re.findall(r'<span class="fw-semibold text-nowrap">([^<]+)</span>', picker))
    assert first.person.id_number not in picker and first.person.id_number[-4:] in picker  # masked
    searched = client.get(url(firm) + "?q=张").get_data(as_text=True)
    assert "张一" in searched and "李三" not in searched

    page = client.get(fill_url(firm, "worker", [first, second])).get_data(as_text=True)
    assert "张一" in page and "张二" in page and "李三" not in page and "工资标准（元）" in page and "分" not in page
    response = client.post(fill_url(firm, "worker", [first, second]), data={
        **fields([first, second], job_type="020", contract_start="2026-12-01", wage_standard="8000.50"),
        "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    done = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "聘用成功：张一、张二" in done
    for e in (first, second):
        row = fresh(e)
        assert (row.status, row.identity, row.job_type, row.wage_standard_fen) == ("active", "worker", "020", 800050)
    assert fresh(third).status == "pending_registration" and "李三" in done  # still in the picker
    assert "张一" not in re.sub(r'<div class="alert[^"]*"[^>]*>.*?</div>', "", done, flags=re.S)


def test_a_manager_takes_the_manager_post_without_choosing_it(client, firm):
    boss = consented(firm, "王经理")
    log_in(client, firm["hr"])
    page = client.get(fill_url(firm, "manager", [boss])).get_data(as_text=True)
    assert "900 管理人员" in page and "请选择工种" not in page
    response = client.post(fill_url(firm, "manager", [boss]), data={
        **fields([boss], contract_start="2026-12-01", wage_standard="12000"), "csrf_token": csrf_from(page)})
    assert response.status_code == 302
    row = fresh(boss)
    assert (row.status, row.identity, row.job_type, row.wage_standard_fen) == ("active", "manager", "900", 1_200_000)


@pytest.mark.parametrize("wage, message", [
    ("8000.505", "请填写金额（元），最多两位小数"), ("-1", "请填写金额（元），最多两位小数"),
    ("abc", "请填写金额（元），最多两位小数"), ("", "请填写工资标准"), ("0", "工资标准应在0.01元至1,000,000.00元之间"),
    ("1000000.01", "工资标准应在0.01元至1,000,000.00元之间"), ("1e3", "请填写金额（元），最多两位小数"),
])
def test_a_bad_wage_is_refused_and_nobody_is_registered(client, firm, wage, message):
    good, bad = consented(firm, "周好"), consented(firm, "周坏")
    log_in(client, firm["hr"])
    page = client.get(fill_url(firm, "worker", [good, bad])).get_data(as_text=True)
    data = {**fields([good], job_type="010", contract_start="2026-12-01", wage_standard="8000"),
            **fields([bad], job_type="010", contract_start="2026-12-01", wage_standard=wage)}
    response = client.post(fill_url(firm, "worker", [good, bad]), data={**data, "csrf_token": csrf_from(page)})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and message in html and "所有人员均未登记" in html
    assert 'aria-invalid="true"' in html
    assert fresh(good).status == "pending_registration" and fresh(bad).status == "pending_registration"


def test_other_fields_are_checked_too(client, firm):
    person = consented(firm, "吴一")
    log_in(client, firm["hr"])
    page = client.get(fill_url(firm, "worker", [person])).get_data(as_text=True)
    response = client.post(fill_url(firm, "worker", [person]), data={
        **fields([person], job_type="900", contract_start="2026-02-30", wage_standard="8000"),
        "csrf_token": csrf_from(page)})
    html = response.get_data(as_text=True)
    assert "建筑工人不能选择“管理人员”工种" in html and "日期格式应为YYYY-MM-DD" in html
    assert fresh(person).status == "pending_registration"
    assert client.get(url(firm, "fill") + "?identity=boss&e=1").status_code == 302  # no identity: back to step 1
    assert client.get(url(firm, "fill") + "?identity=worker").status_code == 302  # nobody ticked


def test_without_a_csrf_token_nothing_is_registered(client, firm):
    person = consented(firm, "吴二")
    log_in(client, firm["hr"])
    response = client.post(fill_url(firm, "worker", [person]),
                           data=fields([person], job_type="010", contract_start="2026-12-01", wage_standard="8000"))
    assert response.status_code == 400 and fresh(person).status == "pending_registration"


def test_another_enterprises_hr_neither_sees_nor_registers_its_people(app, client, firm, world):
    person = consented(firm, "钱多")
    other = world.enterprise()
    other_hr = world.hr_admin(other)
    log_in(client, other_hr)
    assert client.get(url(firm)).status_code == 404
    assert client.get(fill_url(firm, "worker", [person])).status_code == 404
    # through its own enterprise's page the stranger cannot reach them either
    other_url = f"/enterprises/{other.id}/hire-registration/"
    assert "钱多" not in client.get(other_url).get_data(as_text=True)
    page = client.get(other_url).get_data(as_text=True)
    response = client.post(f"{other_url}fill?identity=worker&e={person.id}", data={
        **fields([person], job_type="010", contract_start="2026-12-01", wage_standard="8000"),
        "csrf_token": csrf_from(page)})
    assert response.status_code == 302 and fresh(person).status == "pending_registration"
    # a PM of the enterprise sees the enterprise but does not hire for it
    project = world.project(firm["enterprise"])
    pm_client = app.test_client()
    log_in(pm_client, world.project_manager(project, firm["enterprise"]))
    assert pm_client.get(url(firm)).status_code == 403


def test_the_inbox_task_form_takes_yuan_and_the_api_keeps_fen(client, firm):
    first, second = consented(firm, "孙一"), consented(firm, "孙二")
    log_in(client, firm["hr"])
    task = open_task(first, "employment_registration")
    form = client.get(f"/inbox/{task.id}").get_data(as_text=True)
    assert "工资标准（元）" in form and "100分=1元" not in form and 'data-unit="yuan"' in form
    for bad in ("8000.505", "-1", "abc", ""):
        refused = submit(client, f"/inbox/{task.id}", {"identity": "worker", "job_type": "010",
                                                      "contract_start": "2026-12-01", "wage_standard": bad})
        assert refused.status_code == 200 and fresh(first).status == "pending_registration"
    done = submit(client, f"/inbox/{task.id}", {"identity": "worker", "job_type": "010",
                                                 "contract_start": "2026-12-01", "wage_standard": "8000"})
    assert done.status_code == 302 and fresh(first).wage_standard_fen == 800_000
    # the JSON API's form is unchanged: wage_standard_fen in fen
    api = client.application.test_client()
    headers = {"Authorization": f"Bearer {token(api, firm['hr'])}"}
    api_task = open_task(second, "employment_registration")
    reply = api.post(f"/api/v1/tasks/{api_task.id}/complete", headers=headers, json={"data": {
        "identity": "worker", "job_type": "010", "contract_start": "2026-12-01", "wage_standard_fen": 800050}})
    assert reply.status_code == 200, reply.get_json()
    assert fresh(second).wage_standard_fen == 800050
