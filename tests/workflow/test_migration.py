"""Moving running instances to the latest version: a dry run says which can move and
why the others cannot; the moved ones keep their data, inbox rows and timer deadlines,
continue on the new version's paths, and their history records the move."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from app.extensions import db
from app.models import AuditEntry, HumanTask, ProcessEvent, ProcessInstance, WorkflowTimer
from app.services import audit
from app.services.errors import Conflict
from app.workflow import migration, runtime
from tests.support.factories import auth, token
from tests.workflow.conftest import RECORDED, fixture_xml


def open_task(instance_id):
    return db.session.scalar(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                     HumanTask.status == "open"))


def reasons(verdict):
    return [message % params for message, params in verdict.reasons]


@pytest.fixture
def fleet(deploy, parties):
    """v1 instances: two waiting at 审批, one at 确认结果, one suspended, one finished; then v2
    (审批 → 记录决定 → 复核; 确认结果 removed) is deployed."""
    deploy("migration_review")
    subject = parties["subject"]
    at_approve = [runtime.start("migration_review", subject, data={"note": "保留"}) for _ in range(2)]
    at_acknowledge, suspended, finished = (runtime.start("migration_review", subject) for _ in range(3))
    db.session.commit()
    for instance in (at_acknowledge, finished):
        runtime.complete(open_task(instance.id), parties["hr"], {"decision": "agree"})
    runtime.complete(open_task(finished.id), parties["person_user"], {"decision": "agree"})
    runtime.suspend(suspended, parties["hr"])
    db.session.commit()
    v2 = deploy("migration_review_v2")
    assert v2.version == 2
    return {"at_approve": at_approve, "at_acknowledge": at_acknowledge, "suspended": suspended,
            "finished": finished, "v2": v2}


def test_dry_run_lists_who_can_move_and_why_the_others_cannot(fleet):
    listed = db.session.scalars(migration.outdated("migration_review")).all()
    assert fleet["finished"] not in listed  # ended: nothing to move
    verdicts = {v.instance.id: v for v in map(migration.check, listed)}
    assert len(verdicts) == 4
    for instance in fleet["at_approve"]:
        assert verdicts[instance.id].can_move and verdicts[instance.id].target.version == 2
    assert reasons(verdicts[fleet["at_acknowledge"].id]) == ["当前任务「确认结果」在新版本中已删除（该位置现为「复核」）"]
    assert reasons(verdicts[fleet["suspended"].id]) == ["流程已挂起，请先恢复"]
    assert reasons(migration.check(fleet["finished"])) == ["流程已结束"]
    before = {i.id: (i.definition_id, i.lock_version, i.state) for i in listed}
    db.session.expire_all()
    assert {i.id: (i.definition_id, i.lock_version, i.state) for i in listed} == before  # a dry run changes nothing


def test_bulk_run_moves_the_movable_and_they_finish_on_the_new_paths(fleet, parties, world):
    admin = world.admin()
    first, second = fleet["at_approve"]
    task_before = open_task(first.id)
    timer_before = db.session.get(WorkflowTimer, first.id).due_at
    lock_before = first.lock_version
    ids = [first.id, second.id, fleet["at_acknowledge"].id, fleet["suspended"].id, 999999]

    def on_moved(instance, verdict):
        audit.record(admin, "process.migrate", "process_instance", instance.id,
                     from_version=1, to_version=verdict.target.version)

    results = {i: (moved, message % params) for i, moved, (message, params) in
               migration.migrate_many(ids, admin, on_moved)}
    assert results[first.id] == (True, "已迁移到第 2 版") and results[second.id][0]
    assert results[fleet["at_acknowledge"].id] == (False, "当前任务「确认结果」在新版本中已删除（该位置现为「复核」）")
    assert results[fleet["suspended"].id] == (False, "流程已挂起，请先恢复")
    assert results[999999] == (False, "记录不存在")

    db.session.expire_all()
    moved = db.session.get(ProcessInstance, first.id)
    assert moved.definition_id == fleet["v2"].id and moved.lock_version > lock_before
    assert db.session.get(ProcessInstance, fleet["at_acknowledge"].id).definition.version == 1
    task = open_task(first.id)
    assert task.id == task_before.id and task.candidate_enterprise_id == parties["enterprise"].id
    assert db.session.get(WorkflowTimer, first.id).due_at == timer_before  # the deadline it had
    migrated = db.session.scalar(select(ProcessEvent).where(ProcessEvent.instance_id == first.id,
                                                            ProcessEvent.kind == "migrated"))
    assert migrated.detail == {"from_version": 1, "to_version": 2} and migrated.actor_id == admin.id
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "process.migrate",
                                                      AuditEntry.record_id == str(first.id))) is not None

    runtime.complete(task, parties["hr"], {"decision": "agree"})  # v2: 记录决定, then 复核
    assert RECORDED[-1]["outcome"] == "agree" and RECORDED[-1]["instance_id"] == first.id
    review = open_task(first.id)
    assert review.task_key == "review" and review.title == "复核"
    runtime.complete(review, parties["hr"], {"decision": "agree"})
    db.session.refresh(moved)
    assert moved.status == "completed"
    assert db.session.get(WorkflowTimer, first.id) is None
    workflow = runtime.load(moved)
    assert workflow.data.get("note") == "保留"  # the start data survived the move


def test_one_refused_move_changes_nothing(fleet, world):
    stuck = fleet["at_acknowledge"]
    lock = stuck.lock_version
    with pytest.raises(Conflict):
        migration.migrate(stuck, world.admin())
    db.session.rollback()
    db.session.refresh(stuck)
    assert stuck.definition.version == 1 and stuck.lock_version == lock
    assert migration.check(db.session.get(ProcessInstance, fleet["at_approve"][0].id)).can_move


def test_an_instance_on_the_latest_version_has_nothing_to_move(fleet, parties):
    fresh = runtime.start("migration_review", parties["subject"])
    db.session.commit()
    assert fresh.definition.version == 2
    assert reasons(migration.check(fresh)) == ["已是最新版本"]


def test_a_changed_timer_starts_afresh_and_the_others_keep_their_deadline(deploy, parties, world):
    deploy("migration_review")
    instance = runtime.start("migration_review", parties["subject"])
    db.session.commit()
    deploy(fixture_xml("migration_review").replace('"PT24H"', '"PT48H"'))
    verdict = migration.check(instance)
    assert verdict.can_move and [m % p for m, p in verdict.notes] == ["「24小时」的等待条件已改变，将从迁移时起重新计时"]
    migration.migrate(instance, world.admin())
    db.session.commit()
    due = db.session.get(WorkflowTimer, instance.id).due_at
    assert due > datetime.now(timezone.utc) + timedelta(hours=47)


def test_the_api_dry_run_and_migrate(client, fleet, world):
    admin = token(client, world.admin())
    dry = client.get("/api/v1/process-definitions/migration_review/migration-dry-run", headers=auth(admin))
    body = dry.get_json()
    assert dry.status_code == 200 and body["latest_version"] == 2 and body["total"] == 4
    by_id = {item["id"]: item for item in body["items"]}
    assert by_id[fleet["at_acknowledge"].id]["can_move"] is False
    assert by_id[fleet["at_acknowledge"].id]["reasons"] == ["当前任务「确认结果」在新版本中已删除（该位置现为「复核」）"]
    assert client.get("/api/v1/process-definitions/nope/migration-dry-run", headers=auth(admin)).status_code == 404
    refused = client.post(f"/api/v1/process-instances/{fleet['at_acknowledge'].id}/migrate", headers=auth(admin))
    assert refused.status_code == 409 and "确认结果" in refused.get_json()["detail"]
    moved = client.post(f"/api/v1/process-instances/{fleet['at_approve'][0].id}/migrate", headers=auth(admin))
    assert moved.status_code == 200 and moved.get_json()["version"] == 2
    again = client.post(f"/api/v1/process-instances/{fleet['at_approve'][0].id}/migrate", headers=auth(admin))
    assert again.status_code == 409 and again.get_json()["detail"] == "已是最新版本"


def test_only_admins_migrate(client, fleet, parties):
    hr = token(client, parties["hr"])
    assert client.get("/api/v1/process-definitions/migration_review/migration-dry-run",
                      headers=auth(hr)).status_code == 403
    target = fleet["at_approve"][0]
    assert client.post(f"/api/v1/process-instances/{target.id}/migrate", headers=auth(hr)).status_code == 403
    assert db.session.get(ProcessInstance, target.id).definition.version == 1


SUBPROCESS_V2_RENAMED = fixture_xml("subprocess_review").replace('name="审核材料"', 'name="审核全部材料"')
SUBPROCESS_V2_REPLACED = fixture_xml("subprocess_review").replace(
    '<bpmn:userTask id="check" name="审核材料">', '<bpmn:userTask id="check_again" name="复核材料">').replace(
    'targetRef="check"', 'targetRef="check_again"').replace('sourceRef="check"', 'sourceRef="check_again"').replace(
    "<bpmn:flowNodeRef>check</bpmn:flowNodeRef>", "<bpmn:flowNodeRef>check_again</bpmn:flowNodeRef>")


def test_an_instance_waiting_inside_a_sub_process_moves_and_finishes_on_the_new_version(deploy, parties, world):
    deploy("subprocess_review")
    instance = runtime.start("subprocess_review", parties["subject"], data={"note": "保留"})
    db.session.commit()
    row = open_task(instance.id)
    assert (row.task_key, row.title) == ("check", "审核材料")
    deploy(SUBPROCESS_V2_RENAMED)
    verdict = migration.check(instance)
    assert verdict.can_move, reasons(verdict)
    migration.migrate(instance, world.admin())
    db.session.commit()
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.definition.version == 2
    row = open_task(instance.id)
    assert (row.task_key, row.title) == ("check", "审核全部材料")  # the inbox shows the new name
    instance = runtime.complete(row, parties["hr"], {"decision": "agree"})
    acknowledge = open_task(instance.id)
    assert acknowledge.task_key == "acknowledge"
    instance = runtime.complete(acknowledge, parties["person_user"], {"confirm": True})
    assert instance.status == "completed"
    assert runtime.load(instance).data.get("note") == "保留"


def test_an_instance_whose_sub_process_task_was_replaced_is_refused_and_unchanged(deploy, parties, world):
    deploy("subprocess_review")
    instance = runtime.start("subprocess_review", parties["subject"])
    db.session.commit()
    state = instance.state
    deploy(SUBPROCESS_V2_REPLACED)
    verdict = migration.check(instance)
    assert not verdict.can_move and any("审核材料" in reason for reason in reasons(verdict)), reasons(verdict)
    with pytest.raises(Conflict):
        migration.migrate(instance, world.admin())
    db.session.rollback()
    db.session.expire_all()
    instance = db.session.get(ProcessInstance, instance.id)
    assert instance.definition.version == 1 and instance.state == state and open_task(instance.id).task_key == "check"
