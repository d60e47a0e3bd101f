"""Durable timers: each instance's earliest deadline is a workflow_timer row; the
poller claims due rows one at a time and fires them, claim and firing in one
transaction, so a restart loses none and two pollers never fire one twice.

On PostgreSQL the claim is `FOR UPDATE SKIP LOCKED`, so pollers pass each other by;
on every database the instance's optimistic lock is the final guard.
"""
import logging

from sqlalchemy import select
from sqlalchemy.orm.exc import StaleDataError

from app.extensions import db
from app.models import ProcessInstance, WorkflowTimer
from app.models.types import utcnow
from app.workflow import runtime
from app.workflow.errors import WorkflowFailure

log = logging.getLogger(__name__)


def _claim_next(now, passed: set[int]):
    query = (select(WorkflowTimer).where(WorkflowTimer.due_at <= now)
             .order_by(WorkflowTimer.due_at).limit(1).with_for_update(skip_locked=True))
    if passed:
        query = query.where(WorkflowTimer.instance_id.not_in(passed))
    return db.session.scalar(query)


def fire_due(limit: int | None = None) -> int:
    """Fires every timer due now (at most `limit`); returns how many instances fired."""
    fired, passed = 0, set()
    while limit is None or fired < limit:
        now = utcnow()
        row = _claim_next(now, passed)
        if row is None:
            db.session.rollback()
            break
        instance_id = row.instance_id
        passed.add(instance_id)  # one firing per instance per call, whatever happens
        instance = db.session.get(ProcessInstance, instance_id)
        if instance.status not in ("running", "waiting"):
            runtime.disarm(instance)  # suspended, failed or ended: retry or resume re-arms it
            db.session.commit()
            continue
        try:
            runtime.fire_timers(instance)
            db.session.commit()
            fired += 1
        except StaleDataError:
            db.session.rollback()  # another process changed the instance meanwhile; next poll
        except WorkflowFailure as failure:
            db.session.rollback()
            runtime.mark_error(instance_id, failure.reason, {"kind": "timer"})
    return fired
