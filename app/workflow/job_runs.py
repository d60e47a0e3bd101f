"""Periodic jobs that catch up. Each run first claims its job's latest due time in the
job_run row (compare-and-set: the due time only moves forward, one writer wins), so a
scheduler that was down at 02:00 runs the 02:00 run once when it starts — not once per
missed day — and two schedulers never run one due time twice."""
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from app.extensions import db, on_postgresql
from app.models import JobRun
from app.models.types import utcnow

LOOK_BACK_AT_MOST = timedelta(days=800)  # longer than any schedule a job registers


def latest_due(trigger, now):
    """The latest time at or before `now` that the trigger's schedule names, or None."""
    # APScheduler 3 triggers only look forward: step back, doubling, until a due time
    # lies between there and now, then walk forward to the last one.
    back = timedelta(seconds=1)
    while (first := trigger.get_next_fire_time(None, now - back)) is None or first > now:
        back *= 2
        if back > LOOK_BACK_AT_MOST:
            return None
    due = first
    while (following := trigger.get_next_fire_time(None, due + timedelta(microseconds=1))) is not None \
            and due < following <= now:
        due = following
    return due


def _row_once(job_id: str):
    """INSERT of the job's row that does nothing when it exists (two schedulers may both try)."""
    insert = postgresql.insert if on_postgresql() else sqlite.insert
    return insert(JobRun).values(job_id=job_id).on_conflict_do_nothing(index_elements=["job_id"])


def claim(job_id: str, due, now) -> bool:
    """Takes the run due at `due`; False when it was taken before (by another scheduler,
    or by this one before a restart). Committed at once: the job commits as it goes."""
    db.session.execute(_row_once(job_id))
    taken = db.session.execute(
        update(JobRun)
        .where(JobRun.job_id == job_id, or_(JobRun.due_at.is_(None), JobRun.due_at < due))
        .values(due_at=due, started_at=now, finished_at=None, outcome=None, note=None)
        .execution_options(synchronize_session=False))
    db.session.commit()
    return taken.rowcount == 1


def finish(job_id: str, due, outcome: str, note=None) -> None:
    note = note[:500] if isinstance(note, str) else None  # a job says what it did by returning text
    db.session.execute(
        update(JobRun).where(JobRun.job_id == job_id, JobRun.due_at == due)  # unless a later run took over
        .values(finished_at=utcnow(), outcome=outcome, note=note).execution_options(synchronize_session=False))
    db.session.commit()


def run_if_due(job_id: str, func, trigger) -> bool:
    """Runs `func` for the job's latest due time unless that run was claimed already;
    True when it ran here. A run that fails is not repeated before its next due time."""
    now = utcnow()
    due = latest_due(trigger, now)
    if due is None or not claim(job_id, due, now):
        return False
    try:
        said = func()
    except Exception:
        db.session.rollback()
        finish(job_id, due, "failed")
        raise
    finish(job_id, due, "ok", said)
    return True


def last_runs(jobs) -> list[tuple]:
    """(job, its JobRun or None when it never ran) for each registered job."""
    rows = {row.job_id: row for row in db.session.scalars(select(JobRun))}
    return [(job, rows.get(job.id)) for job in jobs]
