"""The rows of a running instance — its own and its inbox's — written with
prebuilt Core statements on the session's connection.

Starting and completing are the hot path: the ORM's unit of work cost about half of
every instance's time there (bench/workflow). These statements are built once, so
SQLAlchemy compiles each once per process; the ORM objects the callers hold are told
what was written (set_committed_value), so they neither write it again nor read stale
values. An instance row is written once per transaction, with its version checked:
two racing completions cannot both win (StaleDataError, turned into a 409).

On PostgreSQL a step's writes — the instance row, the completed inbox row, the new
ones — are one statement (data-modifying WITH: write_step); a round trip costs more
than the statement's work here. The inbox rows change only if the instance row did,
so a lost race writes nothing. SQLite runs the same writes one statement each.
"""
from functools import cache

from sqlalchemy import bindparam, exists, func, insert, select, union_all, update
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db, on_postgresql
from app.models import HumanTask, ProcessInstance

_INSTANCE, _TASK = ProcessInstance.__table__, HumanTask.__table__

# What a save changes on the instance row; the row's version moves by one.
SAVED = ("state", "status", "waiting_for", "updated_at", "completed_at")
_INSERT_INSTANCE = insert(_INSTANCE).returning(_INSTANCE.c.id)
_UPDATE_INSTANCE = update(_INSTANCE).where(
    _INSTANCE.c.id == bindparam("b_id"), _INSTANCE.c.lock_version == bindparam("b_version")).values(
    {name: bindparam(name) for name in SAVED} | {"lock_version": bindparam("b_next")})
_INSERT_TASKS = insert(_TASK)
_CLOSED = ("status", "completed_at", "completed_by_id", "completed_data")
_CLOSE_TASK = update(_TASK).where(_TASK.c.id == bindparam("b_id")).values({name: bindparam(name) for name in _CLOSED})


def _execute(statement, params):
    return db.session.connection().execute(statement, params)


def write_step(instance: ProcessInstance, values: dict, close: tuple | None, opened: list[dict]) -> None:
    """A step's rows: the instance (INSERTed with `values` when new, else the versioned
    UPDATE), `close` = (the completed inbox row, its new values; a new instance has
    none), the `opened` inbox rows (their instance_id filled in here)."""
    if instance.id is None:
        for name, value in values.items():
            setattr(instance, name, value)
    if on_postgresql():
        _write_together(instance, values, close, opened)
    else:
        if instance.id is None:
            insert_instance(instance)
        else:
            update_instance(instance, values)
        if close is not None:
            close_task(close[0], **close[1])
        insert_tasks([{**row, "instance_id": instance.id} for row in opened])


def _write_together(instance: ProcessInstance, values: dict, close: tuple | None, opened: list[dict]) -> None:
    params = {f"n{i}_{name}": value for i, row in enumerate(opened) for name, value in row.items()}
    if instance.id is None:
        instance.id = _execute(_pg_start(len(opened)), params | _instance_values(instance)).scalar_one()
        _now_persistent(instance)
        return
    if close is not None:
        params |= {"c_id": close[0].id, **{f"c_{name}": value for name, value in close[1].items()}}
    version = instance.lock_version
    params |= {"b_id": instance.id, "b_version": version, "b_next": version + 1, **values}
    if _execute(_pg_save(close is not None, len(opened)), params).scalar_one() != 1:
        raise StaleDataError(f"process_instance {instance.id} was changed by another transaction")
    for name, value in values.items():
        set_committed_value(instance, name, value)
    set_committed_value(instance, "lock_version", version + 1)
    if close is not None:
        for name, value in close[1].items():
            set_committed_value(close[0], name, value)


_OPENED_COLUMNS = [c for c in _TASK.columns if c.key not in ("id", "instance_id")]


def _opened(instance, count: int):
    """INSERT of `count` inbox rows of the instance the CTE `instance` wrote (none if it
    wrote none)."""
    rows = [select(instance.c.id, *(bindparam(f"n{i}_{c.key}", type_=c.type) for c in _OPENED_COLUMNS))
            for i in range(count)]
    source = rows[0] if count == 1 else union_all(*rows)
    return insert(_TASK).from_select(["instance_id", *(c.key for c in _OPENED_COLUMNS)], source) \
        .returning(_TASK.c.id).cte("opened")


def _count(cte):
    return select(func.count()).select_from(cte).scalar_subquery()


@cache
def _pg_start(count: int):
    """INSERT the instance and its first inbox rows; selects the new id."""
    started = insert(_INSTANCE).values({c.key: bindparam(c.key, type_=c.type) for c in _INSTANCE.columns
                                        if c.key != "id"}).returning(_INSTANCE.c.id).cte("started")
    if not count:
        return select(started.c.id)
    opened = _opened(started, count)
    return select(started.c.id, _count(opened))


@cache
def _pg_save(close: bool, count: int):
    """The versioned UPDATE, and the inbox rows only if it wrote; selects 1 or 0."""
    saved = _UPDATE_INSTANCE.returning(_INSTANCE.c.id).cte("saved")
    columns = [_count(saved)]
    if close:
        closed = update(_TASK).where(_TASK.c.id == bindparam("c_id"), exists(select(saved.c.id))).values(
            {name: bindparam(f"c_{name}") for name in _CLOSED}).returning(_TASK.c.id).cte("closed")
        columns.append(_count(closed))
    if count:
        opened = _opened(saved, count)
        columns.append(_count(opened))
    return select(*columns)


def insert_instance(instance: ProcessInstance) -> ProcessInstance:
    """INSERTs a new (transient) instance with every column it has, state included, and
    makes it a persistent object of the session without reading it back."""
    instance.id = _execute(_INSERT_INSTANCE, _instance_values(instance)).scalar_one()
    _now_persistent(instance)
    return instance


def _instance_values(instance: ProcessInstance) -> dict:
    values = {c.key: getattr(instance, c.key) for c in _INSTANCE.columns if c.key != "id"}
    values["lock_version"] = instance.lock_version = 1
    return values


def _now_persistent(instance: ProcessInstance) -> None:
    make_transient_to_detached(instance)
    db.session.add(instance)


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


def close_task(row: HumanTask, status: str, completed_at, completed_by_id, completed_data=None) -> None:
    values = {"status": status, "completed_at": completed_at, "completed_by_id": completed_by_id,
              "completed_data": completed_data}
    _execute(_CLOSE_TASK, {"b_id": row.id, **values})
    for name, value in values.items():
        set_committed_value(row, name, value)
