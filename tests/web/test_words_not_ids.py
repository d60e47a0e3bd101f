"""Words, not ids (issue 19 item 8): a task shows the person (name, masked ID number) and the
enterprise by name, never 人员编号 15 / 企业编号 2; the diagram's lanes carry role names,
not `person` / `enterprise_hr`; the monitor names the enterprise a task waits on; the
audit log reads 个人信息登记审核不通过, not `registration.reject`."""
import re

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import HumanTask
from app.services import audit
from app.services import employment as hiring
from tests.support.factories import log_in, submit
from tests.support.people import registration, verified_person
from tests.support.staffing import staffing


@pytest.fixture
def s(world, client):  # `client` makes app.test_client() isolate each request
    return staffing(world, workers=0)


def signed_in(app, user):
    browser = app.test_client()
    log_in(browser, user)
    return browser


def hire_task(employment, key) -> HumanTask:
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == employment.process_instance_id,
                                                     HumanTask.task_key == key, HumanTask.status == "open"))


def subject_rows(html: str) -> dict[str, str]:
    return dict(re.findall(r'<dt class="col-4">([^<]+)</dt><dd class="col-8" data-testid="subject-row">([^<]+)</dd>',
                           html))


@pytest.fixture
def hire(world, s):
    person = verified_person(world, "王小明")
    employment = hiring.request_hire(s.gc.hr, s.gc.enterprise, person.name, person.id_number)
    db.session.commit()
    return person, employment


def test_the_consent_task_names_the_person_and_the_enterprise(app, s, hire):
    person, employment = hire
    worker = signed_in(app, person.user)
    consent = hire_task(employment, "worker_consent")
    html = worker.get(f"/inbox/{consent.id}").get_data(as_text=True)
    rows = subject_rows(html)
    assert rows["企业"] == s.gc.enterprise.name
    assert rows["人员"].startswith(f"{person.name}（") and person.id_number not in html  # masked
    assert rows["人员"][len(person.name) + 1:len(person.name) + 5] == person.id_number[:4]
    assert rows["聘用关系"] == f"{person.name} · {s.gc.enterprise.name}"
    assert not re.search(r"编号\s*\d|#\d", re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1]))


def test_the_diagram_shows_lanes_by_role_name(app, s, hire):
    person, employment = hire
    worker = signed_in(app, person.user)
    xml = worker.get(f"/inbox/{hire_task(employment, 'worker_consent').id}/diagram.bpmn").get_data(as_text=True)
    lanes = re.findall(r'<bpmn:lane [^>]*name="([^"]*)"', xml)
    assert "本人" in lanes and "法人或人事聘用管理员" in lanes
    assert "person" not in lanes and "enterprise_hr" not in lanes


def test_the_monitor_names_the_enterprise_a_task_waits_on(app, s, world, hire):
    person, employment = hire
    worker = signed_in(app, person.user)
    assert submit(worker, f"/inbox/{hire_task(employment, 'worker_consent').id}", {"decision": "agree"}).status_code == 302
    admin = signed_in(app, world.admin())
    html = admin.get(f"/admin/monitor/instances/{employment.process_instance_id}").get_data(as_text=True)
    candidate = re.search(r'data-testid="candidate">(.*?)</span>', html, re.S).group(1)
    assert "法人或人事聘用管理员" in candidate and s.gc.enterprise.name in candidate
    assert "企业 #" not in html and "enterprise_hr" not in html


def test_the_audit_log_reads_in_words(app, s, world, hire):
    person, employment = hire
    rejected = registration(person, "rejected")
    admin_user = world.admin()
    audit.record(admin_user, "registration.reject", "registration", rejected.id, reason="照片不清晰")
    audit.record(admin_user, "something.new", "person", person.id)
    db.session.commit()
    html = signed_in(app, admin_user).get("/admin/audit").get_data(as_text=True)
    actions = re.findall(r'<td data-testid="audit-action" title="([^"]+)">([^<]+)</td>', html)
    records = re.findall(r'<td data-testid="audit-record">([^<]+)</td>', html)
    assert ("registration.reject", "个人信息登记审核不通过") in actions
    assert ("employment.request", "新建聘用关系") in actions
    assert ("something.new", "something.new") in actions  # an unknown action keeps its key
    assert f"聘用关系 {person.name} · {s.gc.enterprise.name}" in records
    assert any(r.startswith(f"个人信息登记 {person.name}（{person.id_number[:4]}") for r in records)
    assert person.id_number not in html
    assert "registration #" not in html and "person #" not in html
