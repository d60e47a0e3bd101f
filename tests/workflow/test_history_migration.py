"""Revision 0018: the start, completed tasks and end of an instance stop being event
rows. What the users saw in a history before the upgrade is what they see after it,
the submitted forms included, and a downgrade gives the event rows back."""
from datetime import timedelta

from sqlalchemy import insert, select

from app import create_app
from app.extensions import db
from app.models import HumanTask, ProcessDefinition, ProcessEvent, ProcessInstance
from app.models.types import utcnow
from app.workflow import history
from tests.conftest import base_config
from tests.support.factories import World
from tests.support.migrating import fresh_database, migrate

BEFORE, THIS = "0017_notices", "0018_history_from_rows"
FIRST, SECOND = {"decision": "reject", "comment": "材料不全"}, {"decision": "agree", "comment": ""}


def _task(instance, key, status, at=None, by=None, spiff="0"):
    """An inbox row as revision 0017 had them (no completed_data column)."""
    db.session.execute(insert(HumanTask.__table__).values(
        instance_id=instance.id, spiff_task_id=spiff, process_key="p", task_key=key, title=key, subject={},
        status=status, created_at=instance.created_at, completed_at=at, completed_by_id=by))


def _old_history(app):
    """An instance whose approval was sent back once and then agreed, as 0017 wrote it."""
    world = World(app)
    hr, other = world.user(), world.user()
    definition = ProcessDefinition(key="p", version=3, bpmn_xml="<x/>", content_hash="h", source="t")
    db.session.add(definition)
    db.session.flush()
    t0 = utcnow() - timedelta(hours=1)
    instance = ProcessInstance(definition_id=definition.id, process_key="p", status="completed", subject={},
                               started_by_id=hr.id, created_at=t0, updated_at=t0, completed_at=t0 + timedelta(minutes=9),
                               lock_version=1)
    db.session.add(instance)
    db.session.flush()
    _task(instance, "approve", "completed", t0 + timedelta(minutes=2), hr.id, "a")
    _task(instance, "approve", "completed", t0 + timedelta(minutes=5), hr.id, "b")
    _task(instance, "fix", "withdrawn", t0 + timedelta(minutes=5), None, "c")
    events = [("started", None, hr.id, {"version": 3}, 0), ("task_completed", "approve", hr.id, {"data": FIRST}, 2),
              ("claimed", "approve", other.id, None, 3), ("task_completed", "approve", hr.id, {"data": SECOND}, 5),
              ("completed", None, None, None, 9)]
    db.session.add_all([ProcessEvent(instance_id=instance.id, kind=kind, task_key=key, actor_id=actor, detail=detail,
                                     at=t0 + timedelta(minutes=minutes)) for kind, key, actor, detail, minutes in events])
    db.session.commit()
    return instance.id, hr.id, other.id


def test_the_upgrade_keeps_every_history_and_the_downgrade_gives_the_rows_back(tmp_path):
    with fresh_database(tmp_path) as url:
        app = create_app(base_config(url, tmp_path))
        with app.app_context():
            migrate(app, "upgrade", BEFORE)
            instance_id, hr, other = _old_history(app)

            migrate(app, "upgrade", THIS)
            steps = history.of(db.session.get(ProcessInstance, instance_id))
            assert [(s.kind, s.task_key, s.actor_id, s.detail) for s in steps] == [
                ("started", None, hr, {"version": 3}), ("task_completed", "approve", hr, {"data": FIRST}),
                ("claimed", "approve", other, None), ("task_completed", "approve", hr, {"data": SECOND}),
                ("completed", None, None, None)]
            assert db.session.scalars(select(ProcessEvent.kind)).all() == ["claimed"]  # nothing kept twice

            migrate(app, "downgrade", BEFORE)
            rows = db.session.execute(select(ProcessEvent.kind, ProcessEvent.task_key, ProcessEvent.detail)
                                      .order_by(ProcessEvent.at)).all()
            assert [tuple(r) for r in rows] == [
                ("started", None, {"version": 3}), ("task_completed", "approve", {"data": FIRST}),
                ("claimed", "approve", None), ("task_completed", "approve", {"data": SECOND}), ("completed", None, None)]
