"""A task subject in words, for inbox lists and search: "张三 · 申城建设集团有限公司"."""
from app.extensions import db
from app.models import Enterprise, Person, Project

NAMED = (("person_id", Person), ("enterprise_id", Enterprise), ("project_id", Project))


def describe(subject: dict) -> str:
    parts = []
    for key, model in NAMED:
        if isinstance(subject.get(key), int):
            record = db.session.get(model, subject[key])
            if record is not None:
                parts.append(record.name)
    return " · ".join(parts)
