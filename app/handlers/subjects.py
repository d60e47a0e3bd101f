"""A task subject in words, for inbox lists and search: "张三 · 申城建设集团有限公司"."""
from functools import cache

from sqlalchemy import bindparam, inspect, literal, select
from sqlalchemy.orm import aliased
from sqlalchemy.orm.util import identity_key

from app.extensions import db
from app.models import Enterprise, Person, Project

NAMED = (("person_id", Person), ("enterprise_id", Enterprise), ("project_id", Project))


def describe(subject: dict) -> str:
    records = _named_records([(model, subject[key]) for key, model in NAMED if isinstance(subject.get(key), int)])
    return " · ".join(record.name for record in records if record is not None)


def _named_records(wanted: list[tuple]) -> list:
    """The records, those the session does not hold read in one SELECT: outer joins from
    a single row, so a missing one hides none of the others. They stay in the session:
    a start resolves the person's lane from the same row."""
    session = db.session()
    held = [session.identity_map.get(identity_key(model, record_id)) for model, record_id in wanted]
    missing = [(i, model, record_id) for i, ((model, record_id), record) in enumerate(zip(wanted, held))
               if record is None or inspect(record).expired_attributes]  # expired by a commit: read again
    if missing:
        query = _select_of(tuple(model for _, model, _ in missing))
        found = session.execute(query, {f"id_{n}": record_id for n, (_, _, record_id) in enumerate(missing)}).one()
        for (i, _, _), record in zip(missing, found):
            held[i] = record
    return held


@cache
def _select_of(models: tuple):
    """Built once per combination, so SQLAlchemy compiles it once."""
    one = select(literal(1).label("one")).subquery()
    entities = [aliased(model) for model in models]
    query = select(*entities).select_from(one)
    for n, entity in enumerate(entities):
        query = query.outerjoin(entity, entity.id == bindparam(f"id_{n}"))
    return query
