"""What the process monitor shows, as queries: counts per process and status, overdue
tasks, failed instances, the average time per task from its inbox rows, and how
many instances wait at each task. Templates render these; they never query."""
import re
from collections import defaultdict
from datetime import datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import defer, joinedload

from app.extensions import db
from app.models import HumanTask, ProcessInstance
from app.models.workflow import INSTANCE_STATUSES
from app.services.idcard import mask_id_number
from app.web import SHANGHAI

DURATION_WINDOW = timedelta(days=90)
ID_NUMBER = re.compile(r"(?<![0-9])[1-9][0-9]{16}[0-9Xx](?![0-9A-Za-z])")
ID_KEY = re.compile(r"id_?(number|card|no)|idcard|身份证", re.IGNORECASE)


def status_counts() -> dict[str, dict[str, int]]:
    """process_key → {status: count}, every status present (0 when none)."""
    counts: dict[str, dict[str, int]] = {}
    rows = db.session.execute(select(ProcessInstance.process_key, ProcessInstance.status, func.count())
                              .group_by(ProcessInstance.process_key, ProcessInstance.status))
    for key, status, count in rows:
        counts.setdefault(key, dict.fromkeys(INSTANCE_STATUSES, 0))[status] = count
    return dict(sorted(counts.items()))


def overdue_tasks(now, limit: int = 10):
    """(the most overdue open tasks, how many there are in all)."""
    condition = (HumanTask.status == "open", HumanTask.due_at.is_not(None), HumanTask.due_at < now)
    total = db.session.scalar(select(func.count()).select_from(HumanTask).where(*condition))
    rows = db.session.scalars(select(HumanTask).where(*condition).order_by(HumanTask.due_at).limit(limit)).all()
    return rows, total


def failed_instances(limit: int = 10):
    query = select(ProcessInstance).options(defer(ProcessInstance.state)).where(ProcessInstance.status == "error")
    total = db.session.scalar(select(func.count()).select_from(query.subquery()))
    return db.session.scalars(query.order_by(ProcessInstance.updated_at.desc()).limit(limit)).all(), total


def task_durations(now) -> dict[str, list[dict]]:
    """process_key → [{task_key, count, seconds}] — the mean time from a task's inbox row
    opening (the moment it became due) to its completion, over recent completions."""
    rows = db.session.execute(
        select(HumanTask.process_key, HumanTask.task_key, HumanTask.completed_at, HumanTask.created_at)
        .where(HumanTask.status == "completed", HumanTask.completed_at >= now - DURATION_WINDOW))
    totals: dict[tuple, list] = defaultdict(lambda: [0, 0.0])
    for key, task_key, completed_at, opened_at in rows:
        seconds = (completed_at - opened_at).total_seconds()
        totals[(key, task_key)][0] += 1
        totals[(key, task_key)][1] += max(seconds, 0)
    result: dict[str, list[dict]] = defaultdict(list)
    for (key, task_key), (count, seconds) in sorted(totals.items()):
        result[key].append({"task_key": task_key, "count": count, "seconds": seconds / count})
    for bars in result.values():
        longest = max(b["seconds"] for b in bars) or 1
        for bar in bars:
            bar["percent"] = max(round(bar["seconds"] * 100 / longest), 1)
    return dict(result)


def waiting_counts(process_key: str) -> dict[str, int]:
    """task_key → how many instances of the process wait at that task now."""
    rows = db.session.execute(select(HumanTask.task_key, func.count(func.distinct(HumanTask.instance_id)))
                              .where(HumanTask.process_key == process_key,
                                     HumanTask.status.in_(("open", "suspended")))
                              .group_by(HumanTask.task_key))
    return dict(rows.all())


def instances(filters: dict):
    """A select() of instances matching the list page's filters, newest first."""
    query = select(ProcessInstance).options(defer(ProcessInstance.state), joinedload(ProcessInstance.definition))
    if filters.get("process"):
        query = query.where(ProcessInstance.process_key == filters["process"])
    if filters.get("status"):
        query = query.where(ProcessInstance.status == filters["status"])
    if filters.get("q"):
        text = filters["q"]
        conditions = [ProcessInstance.subject_text.contains(text, autoescape=True)]
        if text.isdigit() and len(text) < 10:
            conditions.append(ProcessInstance.id == int(text))
        query = query.where(or_(*conditions))
    if filters.get("started_from"):
        query = query.where(ProcessInstance.created_at >= _local_midnight(filters["started_from"]))
    if filters.get("started_to"):
        query = query.where(ProcessInstance.created_at < _local_midnight(filters["started_to"] + timedelta(days=1)))
    return query.order_by(ProcessInstance.id.desc())


def _local_midnight(day):
    """A Shanghai calendar day starts at 16:00 UTC the day before."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI)


def masked(value):
    """Task data for display: anything that looks like an ID number is masked."""
    if isinstance(value, dict):
        return {k: ("****" if ID_KEY.search(str(k)) and value[k] else masked(v)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(v) for v in value]
    if isinstance(value, str):
        return ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), value)
    if isinstance(value, int) and not isinstance(value, bool) and len(str(abs(value))) == 18:
        return masked(str(value))
    return value
