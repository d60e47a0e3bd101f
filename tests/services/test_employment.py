"""【新建聘用关系】's refusals, the consent flow's outcomes, lists and visibility."""
import pytest
from sqlalchemy import func, select

from app.extensions import db
from app.models import AuditEntry, Employment, HumanTask, ProcessInstance, Registration
from app.services import employment as service
from app.services.errors import Conflict, NotFound, RuleViolation
from tests.support.identifiers import make_id_number
from tests.support.people import registration, submitted_person, verified_person


@pytest.fixture
def hiring(world):
    enterprise = world.enterprise()
    return {"enterprise": enterprise, "hr": world.hr_admin(enterprise), "world": world}


def hire(hiring, person, name=None, enterprise=None):
    employment = service.request_hire(hiring["hr"], enterprise or hiring["enterprise"], name or person.name,
                                      person.id_number)
    db.session.commit()
    return employment


def employments() -> int:
    return db.session.scalar(select(func.count(Employment.id)))


def refused(hiring, name, id_number, enterprise=None) -> RuleViolation:
    before = employments()
    with pytest.raises(RuleViolation) as caught:
        service.request_hire(hiring["hr"], enterprise or hiring["enterprise"], name, id_number)
    db.session.rollback()
    assert employments() == before
    return caught.value


def registered_id_number(person) -> str:
    return db.session.scalar(select(Registration.id_number).where(Registration.person_id == person.id))


def test_a_registration_awaiting_the_data_center_is_not_registered_again(hiring, world):
    person = submitted_person(world, "李待审")
    id_number = registered_id_number(person)
    error = refused(hiring, "李待审", id_number)
    assert error.message == "该人员的个人信息登记尚在大数据中心处理中，无需重复登记，处理完成后即可聘用"
    assert error.field == "id_number"


def test_no_verified_registration_is_refused(hiring, world):
    assert refused(hiring, "无登记", make_id_number(seq=901)).message == "该人员尚未完成个人信息登记"
    rejected = world.user(name="被退回").person
    row = registration(rejected, "rejected", name="被退回")
    db.session.commit()
    assert refused(hiring, "被退回", row.id_number).message == "该人员尚未完成个人信息登记"


def test_a_name_that_differs_from_the_registration_is_refused(hiring, world):
    person = verified_person(world, "王建国")
    error = refused(hiring, "王建华", person.id_number)
    assert (error.message, error.field) == ("姓名与身份证号码登记信息不一致", "name")


def test_names_compare_without_spaces_and_with_any_middle_dot(hiring, world):
    person = verified_person(world, "买买提·艾力")
    employment = hire(hiring, person, name=" 买买提•艾力 ")
    assert employment.status == "pending_consent"


def test_an_open_employment_elsewhere_must_end_first(hiring, world):
    person = verified_person(world, "张在职")
    other = world.enterprise()
    hire({**hiring, "hr": world.hr_admin(other)}, person, enterprise=other)
    error = refused(hiring, "张在职", person.id_number)
    assert error.message == "该人员在另外一家单位未离职，需先在原单位办理离职"


def test_a_second_request_here_is_refused(hiring, world):
    person = verified_person(world, "赵重复")
    first = hire(hiring, person)
    assert refused(hiring, "赵重复", person.id_number).message == "已存在该人员的聘用申请或聘用关系"
    first.status = "active"
    db.session.commit()
    assert refused(hiring, "赵重复", person.id_number).message == "已存在该人员的聘用申请或聘用关系"


def test_a_lost_race_on_the_unique_index_gets_the_same_refusal(hiring, world, monkeypatch):
    person = verified_person(world, "钱并发")
    hire(hiring, person)
    real, calls = service._open_employment, []

    def blind_first_time(person_id):
        calls.append(person_id)
        return None if len(calls) == 1 else real(person_id)

    monkeypatch.setattr(service, "_open_employment", blind_first_time)
    error = refused(hiring, "钱并发", person.id_number)
    assert error.message == "已存在该人员的聘用申请或聘用关系" and len(calls) == 2


def test_request_creates_the_employment_and_starts_the_consent_flow(hiring, world):
    person = verified_person(world, "孙同意")
    employment = hire(hiring, person)
    instance = db.session.get(ProcessInstance, employment.process_instance_id)
    assert (employment.status, employment.requested_by_id) == ("pending_consent", hiring["hr"].id)
    assert instance.process_key == "hire_consent"
    assert instance.subject == {"employment_id": employment.id, "person_id": person.id,
                                "enterprise_id": hiring["enterprise"].id}
    [task] = db.session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all()
    assert (task.task_key, task.form_key, task.candidate_user_id) == ("worker_consent", "consent", person.user_id)
    assert task.due_at is not None
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "employment.request"))
    assert (entry.actor_id, entry.record_id) == (hiring["hr"].id, str(employment.id))


def test_outcomes_move_the_status_and_are_audited(hiring, world):
    person = verified_person(world, "周登记")
    employment = hire(hiring, person)
    service.consent_given(employment.id, person.user_id)
    assert employment.status == "pending_registration"
    with pytest.raises(Conflict):
        service.consent_declined(employment.id, person.user_id)
    service.register(employment.id, hiring["hr"].id, "manager", "900", "2026-12-01", 1_200_000)
    db.session.commit()
    assert (employment.status, employment.identity, employment.job_type) == ("active", "manager", "900")
    assert employment.contract_start.isoformat() == "2026-12-01" and employment.started_at is not None
    actions = db.session.execute(select(AuditEntry.action, AuditEntry.actor_id).where(
        AuditEntry.record_type == "employment").order_by(AuditEntry.id)).all()
    assert actions == [("employment.request", hiring["hr"].id), ("employment.consent", person.user_id),
                       ("employment.register", hiring["hr"].id)]


@pytest.mark.parametrize("terms, field", [
    (("boss", "010", "2026-12-01", 100), "identity"),
    (("worker", "999", "2026-12-01", 100), "job_type"),
    (("worker", "900", "2026-12-01", 100), "job_type"),
    (("manager", "010", "2026-12-01", 100), "job_type"),
    (("worker", "010", "2026-02-30", 100), "contract_start"),
    (("worker", "010", "2026-12-01", 0), "wage_standard_fen"),
    (("worker", "010", "2026-12-01", True), "wage_standard_fen"),
    (("worker", "010", "2026-12-01", "100"), "wage_standard_fen"),
])
def test_registration_terms_are_checked_again_by_the_service(hiring, world, terms, field):
    person = verified_person(world, "吴条件")
    employment = hire(hiring, person)
    service.consent_given(employment.id, person.user_id)
    with pytest.raises(RuleViolation) as caught:
        service.register(employment.id, hiring["hr"].id, *terms)
    assert caught.value.field == field


def test_expiry_leaves_a_changed_employment_alone(hiring, world):
    person = verified_person(world, "郑过期")
    employment = hire(hiring, person)
    service.consent_given(employment.id, person.user_id)
    assert service.consent_expired(employment.id).status == "pending_registration"
    assert service.consent_expired(10**6) is None


def test_list_filters_by_status_and_name(hiring, world):
    people = [verified_person(world, name) for name in ("王一", "王二", "李三")]
    rows = [hire(hiring, p) for p in people]
    rows[0].status = "declined"
    db.session.commit()

    def listed(**filters):
        return [e.id for e in db.session.scalars(service.list_employees(hiring["enterprise"], **filters))]

    assert listed() == [rows[2].id, rows[1].id, rows[0].id]
    assert listed(status="pending_consent") == [rows[2].id, rows[1].id]
    assert listed(name="王") == [rows[1].id, rows[0].id]
    assert listed(name="%") == []
    assert service.status_counts(hiring["enterprise"]) == {"declined": 1, "pending_consent": 2}
    assert [e.id for e in db.session.scalars(service.list_employees(world.enterprise()))] == []


def test_the_person_and_the_employers_staff_see_an_employment_no_one_else(hiring, world):
    person = verified_person(world, "冯可见")
    employment = hire(hiring, person)
    enterprise = hiring["enterprise"]
    for user in (person.user, hiring["hr"], enterprise.legal_rep):
        assert service.employment_for(user, employment.id) is employment
    stranger_hr = world.hr_admin(world.enterprise())
    for user in (stranger_hr, world.user(), world.admin()):
        with pytest.raises(NotFound):
            service.employment_for(user, employment.id)
    with pytest.raises(NotFound):
        service.employment_for(hiring["hr"], 10**6)
