"""An instance's history as its kinds, oldest first: what the monitor and the API show."""
from app.extensions import db
from app.models import ProcessInstance
from app.workflow import history


def kinds(instance_id: int) -> list[str]:
    return [step.kind for step in history.of(db.session.get(ProcessInstance, instance_id))]


def count(instance_id: int, kind: str) -> int:
    return kinds(instance_id).count(kind)
