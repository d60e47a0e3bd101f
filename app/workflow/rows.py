"""The rows of a running instance — its own and its inbox's — written with
prebuilt Core statements on the session's connection.

Starting and completing are the hot path: the ORM's unit of work cost about half of
every instance's time there (bench/workflow). These statements are built once, so
SQLAlchemy compiles each once per process; the ORM objects the callers hold are told
what was written (set_committed_value), so they neither write it again nor read stale
values. An instance row is written once per transaction, with its version checked:
two racing completions cannot both win (StaleDataError, turned into a 409).
"""
from sqlalchemy import bindparam, insert, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import HumanTask, ProcessInstance

_INSTANCE, _TASK = ProcessInstance.__table__, HumanTask.__table__

# What a save changes on the instance row; the row's version moves by one.
SAVED = ("state", "status", "waiting_for", "updated_at", "completed_at")
_INSERT_INSTANCE = insert(_INSTANCE).returning(_INSTANCE.c.id)
_UPDATE_INSTANCE = update(_INSTANCE).where(
    _INSTANCE.c.id == bindparam("b_id"), _INSTANCE.c.lock_version == bindparam("b_version")).values(
    {name: bindparam(name) for name in SAVED} | {"lock_version": bindparam("b_next")})
_INSERT_TASKS = insert(_TASK)
_CLOSE_TASK = update(_TASK).where(_TASK.c.id == bindparam("b_id")).values(
    status=bindparam("status"), completed_at=bindparam("completed_at"), completed_by_id=bindparam("completed_by_id"),
    completed_data=bindparam("completed_data"))


def _execute(statement, params):
    return db.session.connection().execute(statement, params)


def insert_instance(instance: ProcessInstance) -> ProcessInstance:
    """INSERTs a new (transient) instance with every column it has, state included, and
    makes it a persistent object of the session without reading it back."""
    values = {c.key: getattr(instance, c.key) for c in _INSTANCE.columns if c.key != "id"}
    values["lock_version"] = instance.lock_version = 1
    instance.id = _execute(_INSERT_INSTANCE, values).scalar_one()
    make_transient_to_detached(instance)
    db.session.add(instance)
    return instance


def update_instance(instance: ProcessInstance, values: dict) -> None:
    """UPDATEs the saved columns if the row is still at the version this transaction
    read; otherwise someone else saved it first (StaleDataError)."""
    version = instance.lock_version
    result = _execute(_UPDATE_INSTANCE, {"b_id": instance.id, "b_version": version, "b_next": version + 1, **values})
    if result.rowcount != 1:
        raise StaleDataError(f"process_instance {instance.id} was changed by another transaction")
    for name, value in values.items():
        set_committed_value(instance, name, value)
    set_committed_value(instance, "lock_version", version + 1)


def insert_tasks(rows: list[dict]) -> None:
    """New inbox rows (one statement)."""
    if rows:
        _execute(_INSERT_TASKS, rows)


def close_task(row: HumanTask, status: str, at, by_id, data: dict | None = None) -> None:
    values = {"status": status, "completed_at": at, "completed_by_id": by_id, "completed_data": data}
    _execute(_CLOSE_TASK, {"b_id": row.id, **values})
    for name, value in values.items():
        set_committed_value(row, name, value)
