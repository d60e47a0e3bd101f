"""processes/hire_consent.bpmn: its definition, the 7-day expiry and the decline path."""
from datetime import timedelta

import time_machine
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, HumanTask, ProcessInstance, WorkflowTimer
from app.models.types import utcnow
from app.services import employment as service
from app.web.inbox import has_diagram
from app.workflow import definitions, runtime
from tests.support.factories import auth, token
from tests.support.people import verified_person

BPMN = definitions.PROCESSES_DIR / "hire_consent.bpmn"


def fire_due(app) -> str:
    result = app.test_cli_runner().invoke(args=["timers", "fire-due"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.output


def request(enterprise, hr, person):
    employment = service.request_hire(hr, enterprise, person.name, person.id_number)
    db.session.commit()
    return employment


def tasks(employment, status="open") -> dict:
    return {t.task_key: t for t in db.session.scalars(select(HumanTask).where(
        HumanTask.instance_id == employment.process_instance_id, HumanTask.status == status))}


def test_the_definition_validates_with_lanes_forms_a_quoted_timer_and_a_diagram(app):
    xml = BPMN.read_text(encoding="utf-8")
    parsed = definitions.parse(xml.encode(), BPMN.name)
    assert (parsed.key, parsed.name) == ("hire_consent", "聘用确认")
    specs = parsed.spec.task_specs
    assert (specs["worker_consent"].lane, specs["employment_registration"].lane) == ("person", "enterprise_hr")
    assert specs["worker_consent"].extensions["properties"]["formKey"] == "consent"
    assert specs["employment_registration"].extensions["properties"]["formKey"] == "employment_registration"
    assert '<bpmn:timeDuration>"P7D"</bpmn:timeDuration>' in xml
    assert {specs[k].operation_name for k in ("mark_consented", "mark_declined", "mark_expired", "mark_registered")} \
        == {"employment_consented", "employment_declined", "employment_expired", "employment_registered"}
    assert has_diagram(xml)


def test_loaded_from_processes_without_any_step(client, world):
    client.get("/api/v1/openapi.json")  # the first request loads processes/
    assert definitions.latest("hire_consent").version == 1


def test_unanswered_for_seven_days_the_request_expires(app, client, world):
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    person = verified_person(world, "陈过期")
    t0 = utcnow()
    with time_machine.travel(t0, tick=False) as clock:
        employment = request(enterprise, hr, person)
        assert db.session.get(WorkflowTimer, employment.process_instance_id).due_at == t0 + timedelta(days=7)
        assert tasks(employment)["worker_consent"].due_at == t0 + timedelta(days=7)
        clock.move_to(t0 + timedelta(days=6, hours=23, minutes=59))
        assert "fired 0" in fire_due(app)
        assert employment.status == "pending_consent" and set(tasks(employment)) == {"worker_consent"}
        clock.move_to(t0 + timedelta(days=7, seconds=1))
        assert "fired 1" in fire_due(app)
        assert employment.status == "expired" and employment.ended_at is not None
        assert tasks(employment) == {} and set(tasks(employment, "withdrawn")) == {"worker_consent"}
        assert db.session.get(ProcessInstance, employment.process_instance_id).status == "completed"
        tok = token(client, person.user)
        assert client.get("/api/v1/tasks", headers=auth(tok)).get_json()["items"] == []
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "employment.expire"))
        assert entry.actor_id is None and entry.record_id == str(employment.id)
        again = request(enterprise, hr, person)
        assert again.status == "pending_consent" and again.id != employment.id


def test_declining_ends_the_request_with_the_reason(app, world):
    enterprise = world.enterprise()
    hr = world.hr_admin(enterprise)
    person = verified_person(world, "林拒绝")
    employment = request(enterprise, hr, person)
    runtime.complete(tasks(employment)["worker_consent"], person.user, {"decision": "reject", "comment": "已有工作"})
    db.session.expire_all()
    assert (employment.status, employment.end_reason) == ("declined", "已有工作")
    assert db.session.get(WorkflowTimer, employment.process_instance_id) is None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "employment.decline"))
    assert entry.actor_id == person.user_id
